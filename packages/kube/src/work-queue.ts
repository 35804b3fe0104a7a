/**
 * A keyed, de-duplicating, rate-limited work queue and the worker loop that drains it; the shape of
 * client-go's `workqueue` plus controller-runtime's `reconcileHandler`.
 *
 * Guarantees:
 * - a key queued several times before a worker takes it is processed once;
 * - a key is never processed by two workers at once: added while in flight, it is processed again
 *   after the current run finishes;
 * - `addAfter(key, ms)` keeps one timer per key; the earliest requested time wins;
 * - `shutDown()` stops taking keys, drops the ones not started, and resolves once the in-flight
 *   reconciles have finished.
 */
import { isTerminal } from '@sluice/core'
import { createDefaultRateLimiter } from './backoff.ts'
import type { RateLimiter } from './backoff.ts'
import { systemClock } from './clock.ts'
import type { Clock, TimerHandle } from './clock.ts'
import { errorFields, silentLogger } from './logger.ts'
import type { Logger } from './logger.ts'

/**
 * What a reconcile asks of the queue. Thrown errors are retried with backoff; a `TerminalError`
 * (or terminal `AdapterError`) is logged and not retried until the key is added again.
 */
export type ReconcileResult = { type: 'done' } | { type: 'requeueAfter'; ms: number }

/** Reconciles the object named by `key` (`namespace/name`): re-read, decide, act. */
export type Reconciler = (key: string) => Promise<ReconcileResult>

/** What became of one reconcile, for metrics and logs. */
export type ReconcileOutcome =
  | { type: 'done' }
  | { type: 'requeueAfter'; ms: number }
  | { type: 'retry'; error: unknown; delayMs: number; failures: number }
  | { type: 'terminal'; error: unknown }

export interface WorkQueueOptions {
  /** Used in log lines (`rollouts`). */
  name?: string
  clock?: Clock
  /** How long a failed key waits. Default: `createDefaultRateLimiter` (5 ms doubling to 1000 s, overall 10/s burst 100; at most 2 s while the API server is unavailable). */
  rateLimiter?: RateLimiter
  logger?: Logger
}

export interface RunOptions {
  /** Keys reconciled in parallel (never the same key twice). Default 1. */
  workers?: number
  /** Called after each reconcile with its outcome and duration; errors it throws are logged and ignored. */
  onOutcome?: (key: string, outcome: ReconcileOutcome, durationMs: number) => void
}

export class WorkQueue {
  readonly #name: string
  readonly #clock: Clock
  readonly #rateLimiter: RateLimiter
  readonly #logger: Logger
  /** Keys ready for a worker, in order. Each is also in `#dirty`. */
  readonly #queue: string[] = []
  /** Keys that must be processed (queued, or added again while in flight). */
  readonly #dirty = new Set<string>()
  /** Keys a worker holds. */
  readonly #processing = new Set<string>()
  /** One timer per key, at the earliest time asked for. */
  readonly #waiting = new Map<string, { at: number; handle: TimerHandle }>()
  /** Workers blocked in `get()`. */
  readonly #getters: ((key: string | undefined) => void)[] = []
  #shuttingDown = false
  #drained: (() => void) | undefined
  #running: Promise<void> | undefined

  constructor(options: WorkQueueOptions = {}) {
    this.#name = options.name ?? 'queue'
    this.#clock = options.clock ?? systemClock
    this.#rateLimiter = options.rateLimiter ?? createDefaultRateLimiter(this.#clock)
    this.#logger = options.logger ?? silentLogger
  }

  /** Keys waiting for a worker (not in flight, not scheduled for later): the queue depth metric. */
  get length(): number {
    return this.#queue.length
  }

  /** Keys being reconciled right now. */
  get inFlight(): number {
    return this.#processing.size
  }

  /** Keys scheduled by `addAfter` or a retry, not yet due. */
  get scheduled(): number {
    return this.#waiting.size
  }

  get isShuttingDown(): boolean {
    return this.#shuttingDown
  }

  /** Queues `key` now. A no-op when it is already queued, or after `shutDown()`. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return
    this.#dirty.add(key)
    if (this.#processing.has(key)) return
    this.#queue.push(key)
    this.#handOut()
  }

  /** Queues `key` after `ms`; when the key is already scheduled, the earlier of the two times wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return
    if (!(ms > 0)) {
      this.add(key)
      return
    }
    const at = this.#clock.now() + ms
    const existing = this.#waiting.get(key)
    if (existing && existing.at <= at) return
    if (existing) this.#clock.clearTimeout(existing.handle)
    const handle = this.#clock.setTimeout(() => {
      this.#waiting.delete(key)
      this.add(key)
    }, ms)
    this.#waiting.set(key, { at, handle })
  }

  /** Queues `key` after its backoff (one more failure recorded, of `error` when given); returns the delay chosen. */
  addRateLimited(key: string, error?: unknown): number {
    const delay = this.#rateLimiter.when(key, error)
    this.addAfter(key, delay)
    return delay
  }

  /** Clears the failure count of `key`: its next failure starts the backoff over. */
  forget(key: string): void {
    this.#rateLimiter.forget(key)
  }

  /** Consecutive failures recorded for `key`. */
  failures(key: string): number {
    return this.#rateLimiter.failures(key)
  }

  /**
   * Takes the next key, waiting for one; `undefined` once the queue shuts down. The caller owns the
   * key until it calls `done(key)`. (`run` does this for you; use `get`/`done` for a loop of your own.)
   */
  get(): Promise<string | undefined> {
    const key = this.#take()
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key)
    return new Promise((resolve) => this.#getters.push(resolve))
  }

  /** Releases a key taken with `get()`; if it was added again meanwhile, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key)
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      this.#queue.push(key)
      this.#handOut()
    }
    if (this.#shuttingDown && this.#processing.size === 0) this.#drained?.()
  }

  /**
   * Starts `workers` loops that reconcile keys until `shutDown()`. Resolves when they have all
   * stopped. Results map onto the queue as follows:
   * done → forget; requeueAfter → forget + addAfter; thrown → addRateLimited; terminal → forget, logged.
   */
  run(reconcile: Reconciler, options: RunOptions = {}): Promise<void> {
    if (this.#running) throw new Error(`[kube] work queue ${this.#name} is already running`)
    const workers = Math.max(1, Math.floor(options.workers ?? 1))
    const loops = Array.from({ length: workers }, async () => {
      for (;;) {
        const key = await this.get()
        if (key === undefined) return
        await this.#reconcileOne(key, reconcile, options.onOutcome)
      }
    })
    this.#running = Promise.all(loops).then(() => undefined)
    return this.#running
  }

  /**
   * Stops taking keys: queued and scheduled keys are dropped, idle workers return, and the promise
   * resolves once every in-flight reconcile has finished (level-based: the dropped keys are
   * reconciled again by whoever starts next).
   */
  shutDown(): Promise<void> {
    if (!this.#shuttingDown) {
      this.#shuttingDown = true
      for (const { handle } of this.#waiting.values()) this.#clock.clearTimeout(handle)
      this.#waiting.clear()
      this.#queue.length = 0
      this.#dirty.clear()
      for (const resolve of this.#getters.splice(0)) resolve(undefined)
    }
    const drained =
      this.#processing.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const previous = this.#drained
            this.#drained = () => {
              previous?.()
              resolve()
            }
          })
    return drained.then(() => this.#running).then(() => undefined)
  }

  #take(): string | undefined {
    const key = this.#queue.shift()
    if (key === undefined) return undefined
    this.#dirty.delete(key)
    this.#processing.add(key)
    return key
  }

  #handOut(): void {
    while (this.#getters.length > 0 && this.#queue.length > 0) {
      const resolve = this.#getters.shift()
      resolve?.(this.#take())
    }
  }

  async #reconcileOne(key: string, reconcile: Reconciler, onOutcome: RunOptions['onOutcome']): Promise<void> {
    const started = this.#clock.now()
    let outcome: ReconcileOutcome
    try {
      const result = await reconcile(key)
      switch (result.type) {
        case 'done':
          this.forget(key)
          outcome = { type: 'done' }
          break
        case 'requeueAfter':
          this.forget(key)
          this.addAfter(key, result.ms)
          outcome = { type: 'requeueAfter', ms: result.ms }
          break
        default: {
          const unknown: never = result
          throw new Error(`[kube] reconcile of ${key} returned an unknown result ${JSON.stringify(unknown)}`)
        }
      }
    } catch (error) {
      if (isTerminal(error)) {
        this.forget(key)
        outcome = { type: 'terminal', error }
        this.#logger.error({ queue: this.#name, key, ...errorFields(error) }, 'reconcile failed terminally; not retrying')
      } else {
        const delayMs = this.addRateLimited(key, error)
        const failures = this.failures(key)
        outcome = { type: 'retry', error, delayMs, failures }
        this.#logger.warn({ queue: this.#name, key, failures, delayMs, ...errorFields(error) }, 'reconcile failed; retrying')
      }
    } finally {
      this.done(key)
    }
    if (onOutcome) {
      try {
        onOutcome(key, outcome, this.#clock.now() - started)
      } catch (error) {
        // A metrics hook must never take a worker down.
        this.#logger.warn({ queue: this.#name, key, ...errorFields(error) }, 'onOutcome hook threw')
      }
    }
  }
}
