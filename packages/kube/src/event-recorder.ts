/**
 * Records Kubernetes Events (`events.k8s.io/v1`) about objects, e.g. "Rollout prod/web: Normal
 * RolloutStepCompleted: Rollout step 2/5 completed (setWeight: 20)".
 *
 * What is written follows client-go's correlator (`event-correlator.ts`): similar Events are
 * combined, a repeat of an Event updates its `series` (count, lastObservedTime) with a PATCH
 * instead of creating another Event, and each object gets at most 25 writes per type in a burst,
 * then one per 5 minutes. A burst of repeats costs at most one write in flight plus one queued.
 * Recording never throws and never blocks the caller: failures are logged and the Event is dropped
 * (Events are best effort, and the API server deletes them after an hour anyway).
 */
import { isNotFound } from '@sluice/core'
import type { KubeApi, KubeObject } from '@sluice/core'
import { systemClock } from './clock.ts'
import { EventCorrelator, Lru } from './event-correlator.ts'
import type { CorrelatorOptions } from './event-correlator.ts'
import type { Clock } from './clock.ts'
import { errorFields, silentLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { toMicroTime } from './micro-time.ts'

/** The object an Event is about. A `KubeObject` qualifies; uid and resourceVersion are copied when present. */
export interface EventSubject {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
  uid?: string
  resourceVersion?: string
}

export interface EventInput {
  type: 'Normal' | 'Warning'
  /** Why, in UpperCamelCase (`StepCompleted`, `InvalidSpec`); at most 128 characters. */
  reason: string
  /** What a person reads; at most 1 kB (longer notes are cut). */
  note: string
  /** What the controller did or failed to do (`Scale`, `Promote`). Default: the reason. */
  action?: string
}

export interface EventRecorderOptions {
  /** Writes the Events (`createKubeApi(kc)`). */
  kube: KubeApi
  /** The controller, as a qualified name: `sluice.dev/rollouts-controller`. */
  reportingController: string
  /** This replica (pod name); at most 128 characters. */
  reportingInstance: string
  /** Limits of the correlator (combining, spam filter, cache size); client-go's by default. */
  correlator?: CorrelatorOptions
  clock?: Clock
  logger?: Logger
}

interface Tracked {
  subject: EventSubject
  input: EventInput
  /** Name of the Event once created. */
  name: string | undefined
  count: number
  firstObserved: number
  lastObserved: number
  /** A write is running for this entry. */
  busy: boolean
  /** Something changed since the last write. */
  dirty: boolean
}

const EVENTS_API = 'events.k8s.io/v1'

export class EventRecorder {
  readonly #o: EventRecorderOptions
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #correlator: EventCorrelator
  readonly #tracked: Lru<Tracked>
  readonly #writes = new Set<Promise<void>>()
  #sequence = 0

  constructor(options: EventRecorderOptions) {
    this.#o = options
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#correlator = new EventCorrelator(options.correlator)
    this.#tracked = new Lru(options.correlator?.maxEntries ?? 4096)
  }

  /** Records an Event about `subject` in the background. Never throws. */
  record(subject: KubeObject | EventSubject, input: EventInput): void {
    try {
      const s = toSubject(subject)
      const action = input.action ?? input.reason
      const object = JSON.stringify([s.apiVersion, s.kind, s.namespace ?? '', s.name, s.uid ?? ''])
      const now = this.#clock.now()
      const correlated = this.#correlator.correlate({ object, type: input.type, reason: input.reason, note: input.note }, now)
      if (!correlated) {
        this.#logger.debug({ event: `${s.kind} ${s.namespace ?? ''}/${s.name}: ${input.type} ${input.reason}` }, 'event dropped: too many for this object')
        return
      }
      const key = JSON.stringify([correlated.key, action])
      let entry = this.#tracked.get(key)
      if (entry) {
        entry.count += 1
        entry.lastObserved = now
        entry.subject = s
      } else {
        entry = { subject: s, input: { ...input, note: correlated.note, action }, name: undefined, count: 1, firstObserved: now, lastObserved: now, busy: false, dirty: false }
        this.#tracked.set(key, entry)
      }
      entry.dirty = true
      if (!entry.busy) {
        entry.busy = true
        const write = this.#drain(entry).finally(() => this.#writes.delete(write))
        this.#writes.add(write)
      }
    } catch (error) {
      // Recording is best effort by contract: a malformed subject must not reach the caller.
      this.#logger.warn({ reason: input?.reason, ...errorFields(error) }, 'could not record event')
    }
  }

  /** Resolves when every write started so far has finished (for shutdown and tests). */
  async flush(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all([...this.#writes])
  }

  async #drain(entry: Tracked): Promise<void> {
    try {
      while (entry.dirty) {
        entry.dirty = false
        try {
          await this.#write(entry)
        } catch (error) {
          if (entry.name && isNotFound(error)) {
            // The Event expired (Events live an hour) or was deleted: start a new one.
            entry.name = undefined
            entry.count = 1
            entry.firstObserved = entry.lastObserved
            entry.dirty = true
            continue
          }
          this.#logger.warn({ event: describe(entry), ...errorFields(error) }, 'dropped an event the API server did not take')
        }
      }
    } finally {
      entry.busy = false
    }
  }

  async #write(entry: Tracked): Promise<void> {
    const { subject, input } = entry
    const namespace = subject.namespace || 'default'
    const series = entry.count > 1 ? { count: entry.count, lastObservedTime: toMicroTime(entry.lastObserved) } : undefined
    if (entry.name) {
      await this.#o.kube.mergePatch({ apiVersion: EVENTS_API, kind: 'Event', namespace, name: entry.name }, { series })
      return
    }
    this.#sequence += 1
    const name = `${subject.name}.${entry.firstObserved.toString(16)}${this.#sequence.toString(16).padStart(4, '0')}`
    const regarding: Record<string, string> = { apiVersion: subject.apiVersion, kind: subject.kind, name: subject.name }
    if (subject.namespace) regarding.namespace = subject.namespace
    if (subject.uid) regarding.uid = subject.uid
    if (subject.resourceVersion) regarding.resourceVersion = subject.resourceVersion
    const event: KubeObject = {
      apiVersion: EVENTS_API,
      kind: 'Event',
      metadata: { name: name.slice(-253).replace(/^[^a-z0-9]+/, ''), namespace },
      eventTime: toMicroTime(entry.firstObserved),
      reportingController: this.#o.reportingController,
      reportingInstance: this.#o.reportingInstance.slice(0, 128),
      action: truncate(input.action ?? input.reason, 128),
      reason: truncate(input.reason, 128),
      type: input.type,
      note: truncateBytes(input.note, 1024),
      regarding,
    }
    if (series) event.series = series
    const created = await this.#o.kube.create(event)
    entry.name = created.metadata.name
  }
}

function toSubject(subject: KubeObject | EventSubject): EventSubject {
  if ('metadata' in subject && typeof subject.metadata === 'object' && subject.metadata !== null) {
    const m = (subject as KubeObject).metadata
    const s: EventSubject = { apiVersion: subject.apiVersion, kind: subject.kind, name: m.name ?? '' }
    if (m.namespace) s.namespace = m.namespace
    if (m.uid) s.uid = m.uid
    if (m.resourceVersion) s.resourceVersion = m.resourceVersion
    return s
  }
  return subject as EventSubject
}

function describe(entry: Tracked): string {
  const s = entry.subject
  return `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}: ${entry.input.type} ${entry.input.reason}`
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max)
}

/** Cuts `text` to at most `max` UTF-8 bytes without splitting a character, marking the cut with '…'. */
export function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text
  let out = ''
  let bytes = 0
  const budget = max - Buffer.byteLength('…', 'utf8')
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8')
    if (bytes + n > budget) break
    out += ch
    bytes += n
  }
  return `${out}…`
}
