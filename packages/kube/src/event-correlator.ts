/**
 * Decides, for each Event a controller records, whether it is written and as what, with the
 * semantics of client-go's event correlator (`tools/record`), so that a Sluice controller writes
 * no more Events than a client-go one (Argo Rollouts) at the same transitions:
 *
 * 1. **Similar events are combined.** Events about one object with one type and reason but
 *    different notes are "similar". Once the 10th distinct note of one such group arrives while the
 *    group's previous occurrence is at most 10 minutes old, that note and every later one within
 *    the window go into a single Event, noted "(combined from similar events): <note>".
 * 2. **Identical events are counted.** A repeat of an Event already written (same object, type,
 *    reason, note; or the same combined Event) updates that Event's count and last time instead of
 *    creating another one.
 * 3. **Spam is dropped.** Each object has a token bucket per event type holding 25 tokens and
 *    gaining one every 5 minutes; every occurrence, a repeat included, takes a token, and one
 *    arriving at an empty bucket is dropped. So an object gets at most 25 writes in a burst, then one
 *    per 5 minutes.
 *
 * Each of the three keeps at most `maxEntries` keys (4096), least recently used first out.
 *
 *   notes "w 1" … "w 9", then "w 10" (one reason, within 10 min) → 9 Events, then a combined one
 *   "w 1" three times                                         → one Event, count 3
 *   30 Events at once about one object                          → the first 25 written, 5 dropped;
 *                                                                 5 minutes later one more passes
 */

export interface CorrelatorOptions {
  /** Distinct notes of similar events within the window before they are combined. Default 10. */
  maxSimilar?: number
  /** How long after the last similar event a group of similar events stays open. Default 10 min. */
  similarWindowMs?: number
  /** Writes an object may get in a burst, per event type. Default 25. */
  burst?: number
  /** Time for one token to come back. Default 5 min. */
  refillMs?: number
  /** Keys each of the three caches keeps. Default 4096. */
  maxEntries?: number
}

export interface CorrelatedEvent {
  /** Identifies the Event this occurrence is written to: the same key means the same Event. */
  key: string
  /** The note to write; the input's, or the combined one. */
  note: string
}

/** The parts of an Event that decide how it correlates; `object` identifies the subject and the source. */
export interface CorrelatorInput {
  object: string
  type: string
  reason: string
  note: string
}

export const COMBINED_PREFIX = '(combined from similar events): '

export class EventCorrelator {
  readonly #maxSimilar: number
  readonly #windowMs: number
  readonly #burst: number
  readonly #refillMs: number
  readonly #similar: Lru<{ notes: Set<string>; last: number }>
  readonly #buckets: Lru<{ tokens: number; at: number }>

  constructor(options: CorrelatorOptions = {}) {
    this.#maxSimilar = options.maxSimilar ?? 10
    this.#windowMs = options.similarWindowMs ?? 600_000
    this.#burst = options.burst ?? 25
    this.#refillMs = options.refillMs ?? 300_000
    const max = options.maxEntries ?? 4096
    this.#similar = new Lru(max)
    this.#buckets = new Lru(max)
  }

  /** The Event `input` goes into at `now`, or `undefined` when the object's spam budget is spent. */
  correlate(input: CorrelatorInput, now: number): CorrelatedEvent | undefined {
    const group = JSON.stringify([input.object, input.type, input.reason])
    let similar = this.#similar.get(group)
    if (!similar || now - similar.last > this.#windowMs) similar = { notes: new Set(), last: now }
    similar.notes.add(input.note)
    similar.last = now
    this.#similar.set(group, similar)
    let result: CorrelatedEvent = { key: JSON.stringify([group, input.note]), note: input.note }
    if (similar.notes.size >= this.#maxSimilar) {
      // Keep the set at its limit: the group stays combined as long as it keeps arriving.
      similar.notes.delete(similar.notes.values().next().value!)
      result = { key: JSON.stringify([group, COMBINED_PREFIX]), note: COMBINED_PREFIX + input.note }
    }
    return this.#take(JSON.stringify([input.object, input.type]), now) ? result : undefined
  }

  #take(key: string, now: number): boolean {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, at: now }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) / this.#refillMs)
    bucket.at = now
    this.#buckets.set(key, bucket)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }
}

/** A map that forgets its least recently used keys beyond `max`. */
export class Lru<V> {
  readonly #max: number
  readonly #map = new Map<string, V>()

  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#map.size
  }

  get(key: string): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined) {
      this.#map.delete(key)
      this.#map.set(key, value)
    }
    return value
  }

  set(key: string, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    while (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!)
  }

  delete(key: string): void {
    this.#map.delete(key)
  }
}
