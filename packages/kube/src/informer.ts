/**
 * `Informer`: keeps a local copy of one kind (in one namespace or all) in step with the API server,
 * and tells handlers what changed.
 *
 * It lists (paged), then watches from the list's resourceVersion with bookmarks. A watch the server
 * ends (its `timeoutSeconds`) is reopened from the last resourceVersion seen. A 410 Gone or "too old
 * resource version" leads to a fresh list, whose differences to the store are delivered as adds,
 * updates and deletes. A watch that stays silent (no event, no bookmark) for `silenceTimeoutMs` is
 * closed and reopened by a watchdog. Other failures are retried with jittered exponential backoff,
 * short and capped at 1 s while the server does not answer at all (`informerRetryDelay`).
 * Its options and retry policy: informer-options.ts.
 */
import type { KubeObject } from '@sluice/core'
import { isResourceExpired } from './api-error.ts'
import { sleep, systemClock } from './clock.ts'
import type { Clock, TimerHandle } from './clock.ts'
import type { CacheableInformer } from './informer-cache.ts'
import type { KindRef, ListPage } from './kube-api.ts'
import { errorFields, silentLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { objectKey } from './object-key.ts'
import { ObjectStore } from './object-store.ts'
import type { StoreReader } from './object-store.ts'
import type { WatchEvent, WatchHandle, WatchOptions } from './watch.ts'
import { DEFAULT_INFORMER_BACKOFF, DEFAULT_UNAVAILABLE_BACKOFF, informerRetryDelay, isServerAway } from './informer-options.ts'
import type { AddHandler, DeleteHandler, InformerOptions, InformerRetryPolicy, InformerStats, ListWatchSource, UpdateHandler } from './informer-options.ts'

/** A watch that ends this soon without delivering anything counts as a failure (no hot loop). */
const SHORTEST_HEALTHY_WATCH_MS = 1_000

export class Informer<T extends KubeObject> implements CacheableInformer {
  readonly apiVersion: string
  readonly kind: string
  readonly namespace: string | undefined
  readonly isFiltered: boolean
  readonly stats: InformerStats = { lists: 0, watches: 0, watchRestarts: 0, expired: 0, silentWatches: 0, errors: 0, events: 0, bookmarks: 0 }

  readonly #source: ListWatchSource
  readonly #options: InformerOptions<T>
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #random: () => number
  readonly #store: ObjectStore<T>
  readonly #onAdd = new Set<AddHandler<T>>()
  readonly #onUpdate = new Set<UpdateHandler<T>>()
  readonly #onDelete = new Set<DeleteHandler<T>>()
  #synced = false
  #syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = []
  #resourceVersion = ''
  #stop: AbortController | undefined
  #loop: Promise<void> | undefined
  #watch: WatchHandle | undefined
  #restartFrom: string | undefined

  constructor(source: ListWatchSource, options: InformerOptions<T>) {
    this.#source = source
    this.#options = options
    this.apiVersion = options.apiVersion
    this.kind = options.kind
    this.namespace = options.namespace
    this.isFiltered = Boolean(options.labelSelector || options.fieldSelector)
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#random = options.random ?? Math.random
    this.#store = new ObjectStore<T>(options.indexers)
  }

  /** The local copy. Objects in it are shared: never mutate them (clone first). */
  get store(): StoreReader<T> {
    return this.#store
  }

  /** The resourceVersion the informer is up to date with ('' before the first list). */
  get resourceVersion(): string {
    return this.#resourceVersion
  }

  /** Called for each object that appears (at the first list, later lists, or by a watch event). Returns an unsubscribe function. */
  onAdd(handler: AddHandler<T>): () => void {
    this.#onAdd.add(handler)
    return () => this.#onAdd.delete(handler)
  }

  /** Called with the stored and the new version when an object changes. */
  onUpdate(handler: UpdateHandler<T>): () => void {
    this.#onUpdate.add(handler)
    return () => this.#onUpdate.delete(handler)
  }

  /** Called with the last known version when an object is deleted, including deletions only noticed at a relist. */
  onDelete(handler: DeleteHandler<T>): () => void {
    this.#onDelete.add(handler)
    return () => this.#onDelete.delete(handler)
  }

  /** True once the first list has been stored and its handlers called. */
  hasSynced(): boolean {
    return this.#synced
  }

  /** Resolves once synced; rejects when `signal` aborts or the informer is stopped first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve()
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(e)
        },
      }
      const onAbort = () => {
        this.#syncWaiters = this.#syncWaiters.filter((w) => w !== waiter)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#syncWaiters.push(waiter)
    })
  }

  /** Starts listing and watching in the background. Calling it again while running does nothing. */
  start(): void {
    if (this.#loop) return
    const stop = new AbortController()
    this.#stop = stop
    this.#loop = this.#run(stop.signal).finally(() => {
      this.#loop = undefined
    })
  }

  /** Stops watching and waits for the loop to end. The store keeps its content; handlers are not called any more. */
  async stop(): Promise<void> {
    this.#stop?.abort(new Error(`[kube] informer of ${this.kind} stopped`))
    this.#watch?.abort()
    for (const waiter of this.#syncWaiters.splice(0)) waiter.reject(new Error(`[kube] informer of ${this.kind} stopped before it synced`))
    await this.#loop
  }

  /**
   * Closes the current watch and opens a new one, from `resourceVersion` when given (else from the
   * last one seen). For tests and diagnostics: an ancient version forces the 410 → relist path.
   */
  restartWatch(options: { resourceVersion?: string } = {}): void {
    this.#restartFrom = options.resourceVersion
    this.#watch?.abort()
  }

  async #run(signal: AbortSignal): Promise<void> {
    let needList = true
    // Consecutive failures the server answered (an error status, a watch that ended at once), and
    // consecutive requests it did not answer at all: each kind backs off on its own count, so that
    // a minute of refused connections does not leave the first answered error waiting 30 s.
    let failures = 0
    let unanswered = 0
    let expiredInARow = 0
    let firstWatchAfterList = true
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#list(signal)
          needList = false
          firstWatchAfterList = true
          failures = 0
          unanswered = 0
        }
        if (signal.aborted) break
        if (!firstWatchAfterList) this.stats.watchRestarts += 1
        firstWatchAfterList = false
        const healthy = await this.#watchOnce(signal)
        unanswered = 0
        if (healthy) {
          failures = 0
          expiredInARow = 0
        } else {
          failures += 1
          await this.#sleep(informerRetryDelay({ failures, unanswered: 0 }, undefined, this.#retryPolicy()), signal)
        }
      } catch (error) {
        if (signal.aborted) break
        if (isResourceExpired(error)) {
          this.stats.expired += 1
          expiredInARow += 1
          unanswered = 0
          needList = true
          this.#logger.info({ kind: this.kind, namespace: this.namespace, resourceVersion: this.#resourceVersion, ...errorFields(error) }, 'resourceVersion expired; relisting')
          // A relist that expires again at once (a compaction race) waits before trying again.
          if (expiredInARow > 1) await this.#sleep(informerRetryDelay({ failures: expiredInARow - 1, unanswered: 0 }, undefined, this.#retryPolicy()), signal)
          continue
        }
        this.stats.errors += 1
        if (isServerAway(error)) unanswered += 1
        else {
          failures += 1
          unanswered = 0
        }
        const delayMs = informerRetryDelay({ failures, unanswered }, error, this.#retryPolicy())
        const fields = { kind: this.kind, namespace: this.namespace, failures: failures + unanswered, delayMs: Math.round(delayMs), ...errorFields(error) }
        // A server that is down makes every informer fail about once a second: the first failure
        // is a warning, the rest debug lines until it answers again.
        if (unanswered <= 1) this.#logger.warn(fields, needList ? 'list failed; retrying' : 'watch failed; reconnecting')
        else this.#logger.debug(fields, needList ? 'list failed; retrying' : 'watch failed; reconnecting')
        await this.#sleep(delayMs, signal)
      }
    }
  }

  #retryPolicy(): InformerRetryPolicy {
    return {
      backoff: this.#options.backoff ?? DEFAULT_INFORMER_BACKOFF,
      unavailableBackoff: this.#options.unavailableBackoff ?? DEFAULT_UNAVAILABLE_BACKOFF,
      random: this.#random,
    }
  }

  async #sleep(delayMs: number, signal: AbortSignal): Promise<void> {
    await sleep(this.#clock, delayMs, signal).catch(() => {})
  }

  #ref(): KindRef {
    const ref: KindRef = { apiVersion: this.apiVersion, kind: this.kind }
    if (this.namespace) ref.namespace = this.namespace
    return ref
  }

  async #list(signal: AbortSignal): Promise<void> {
    const items: T[] = []
    let token: string | undefined
    let resourceVersion = ''
    do {
      const page: ListPage<T> = await this.#source.listPage<T>(this.#ref(), {
        limit: this.#options.pageSize ?? 500,
        ...(this.#options.labelSelector ? { labelSelector: this.#options.labelSelector } : {}),
        ...(this.#options.fieldSelector ? { fieldSelector: this.#options.fieldSelector } : {}),
        ...(token ? { continue: token } : {}),
        signal,
      })
      if (signal.aborted) return
      items.push(...page.items.map((item) => this.#transform(item)))
      resourceVersion = page.resourceVersion || resourceVersion
      token = page.continue
    } while (token)
    this.stats.lists += 1
    // A fresh list supersedes any resourceVersion a restartWatch asked for meanwhile.
    this.#restartFrom = undefined
    this.#replace(items, resourceVersion)
    if (!this.#synced) {
      this.#synced = true
      for (const waiter of this.#syncWaiters.splice(0)) waiter.resolve()
    }
  }

  /** Stores a fresh list and delivers its differences to the previous content. */
  #replace(items: readonly T[], resourceVersion: string): void {
    const previous = new Map(this.#store.keys().map((k) => [k, this.#store.get(k)!]))
    this.#store.replace(items)
    this.#resourceVersion = resourceVersion
    for (const object of items) {
      const key = objectKey(object)
      const old = previous.get(key)
      previous.delete(key)
      if (!old) this.#emitAdd(object)
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) this.#emitUpdate(old, object)
    }
    for (const gone of previous.values()) this.#emitDelete(gone)
  }

  /**
   * Runs one watch to its end. Returns true when it was healthy (delivered something, or lasted long
   * enough), false when it ended at once without a word; throws what ended it otherwise.
   */
  async #watchOnce(signal: AbortSignal): Promise<boolean> {
    const from = this.#restartFrom ?? this.#resourceVersion
    this.#restartFrom = undefined
    const base = this.#options.watchTimeoutSeconds ?? 300
    const timeoutSeconds = Math.floor(base * (1 + this.#random()))
    const silenceMs = this.#options.silenceTimeoutMs ?? 300_000
    const started = this.#clock.now()
    let delivered = false
    let silent = false
    let watchdog: TimerHandle | undefined
    const armWatchdog = () => {
      if (watchdog !== undefined) this.#clock.clearTimeout(watchdog)
      watchdog = this.#clock.setTimeout(() => {
        silent = true
        this.stats.silentWatches += 1
        this.#logger.warn({ kind: this.kind, namespace: this.namespace, silenceMs }, 'watch silent for too long; reopening it')
        this.#watch?.abort()
      }, silenceMs)
    }
    this.stats.watches += 1
    armWatchdog()
    try {
      const options: WatchOptions = { resourceVersion: from, timeoutSeconds, allowWatchBookmarks: true }
      if (this.#options.labelSelector) options.labelSelector = this.#options.labelSelector
      if (this.#options.fieldSelector) options.fieldSelector = this.#options.fieldSelector
      const handle = await this.#source.watch<T>(this.#ref(), options, (event) => {
        delivered = true
        armWatchdog()
        this.#apply(event)
      })
      this.#watch = handle
      if (signal.aborted || silent) handle.abort()
      const end = await handle.done
      this.#logger.debug({ kind: this.kind, namespace: this.namespace, end, resourceVersion: this.#resourceVersion }, 'watch ended')
      return delivered || silent || end === 'aborted' || this.#clock.now() - started >= SHORTEST_HEALTHY_WATCH_MS
    } finally {
      this.#watch = undefined
      if (watchdog !== undefined) this.#clock.clearTimeout(watchdog)
    }
  }

  #apply(event: WatchEvent<T>): void {
    if (event.type === 'BOOKMARK') {
      this.stats.bookmarks += 1
      this.#resourceVersion = event.resourceVersion
      return
    }
    this.stats.events += 1
    const object = this.#transform(event.object)
    if (object.metadata.resourceVersion) this.#resourceVersion = object.metadata.resourceVersion
    if (event.type === 'DELETED') {
      const gone = this.#store.delete(objectKey(object))
      if (gone) this.#emitDelete(object)
      return
    }
    const stored = this.#store.get(objectKey(object))
    // Already stored through observe() (this client's own write): nothing changed. An older version
    // than the stored one (observed first, delivered late) must not replace it.
    if (stored && !isNewer(object, stored)) return
    const previous = this.#store.upsert(object)
    if (previous) this.#emitUpdate(previous, object)
    else this.#emitAdd(object)
  }

  /**
   * Write-through: stores `object` as the API server just returned it to this client's own write,
   * unless the store already holds that version or a newer one. No handler is called (the writer
   * knows what it wrote), and the watch event of the same version, when it comes, is not delivered
   * either. Reads right after a write then see it, without waiting for the watch.
   */
  observe(object: T): void {
    const transformed = this.#transform(object)
    const stored = this.#store.get(objectKey(transformed))
    if (stored && !isNewer(transformed, stored)) return
    this.#store.upsert(transformed)
  }

  /** Write-through of this client's own delete: drops the object without calling handlers. */
  forget(object: { metadata: { name?: string; namespace?: string } }): void {
    this.#store.delete(objectKey(object as T))
  }

  #transform(object: T): T {
    return this.#options.transform ? this.#options.transform(object) : object
  }

  #emitAdd(object: T): void {
    for (const handler of this.#onAdd) this.#call(() => handler(object), 'onAdd')
  }

  #emitUpdate(previous: T, current: T): void {
    for (const handler of this.#onUpdate) this.#call(() => handler(previous, current), 'onUpdate')
  }

  #emitDelete(object: T): void {
    for (const handler of this.#onDelete) this.#call(() => handler(object), 'onDelete')
  }

  #call(fn: () => void, which: string): void {
    try {
      fn()
    } catch (error) {
      // A handler's bug must not stop the informer: it is logged, and the next event is delivered.
      this.#logger.error({ kind: this.kind, handler: which, ...errorFields(error) }, 'informer handler threw')
    }
  }
}

/**
 * True when `a` is a later version than `b`. resourceVersions are opaque, but every etcd-backed API
 * server hands out increasing integers: compared as such when both are, otherwise any difference
 * counts as newer.
 */
function isNewer(a: KubeObject, b: KubeObject): boolean {
  const x = a.metadata.resourceVersion ?? ''
  const y = b.metadata.resourceVersion ?? ''
  if (/^\d+$/.test(x) && /^\d+$/.test(y)) return BigInt(x) > BigInt(y)
  return x !== y
}
