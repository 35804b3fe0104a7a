/**
 * What an `Informer` is configured with and how it waits between attempts: its options, statistics
 * and handler types, and the retry policy (`informerRetryDelay`).
 */
import { KubeApiError } from '@sluice/core'
import type { KubeObject } from '@sluice/core'
import { isConnectionFailure, retryAfterMs } from './api-error.ts'
import { exponentialDelay, jitter } from './backoff.ts'
import type { ExponentialBackoffOptions } from './backoff.ts'
import type { Clock } from './clock.ts'
import type { KindRef, ListPage, ListPageOptions } from './kube-api.ts'
import type { Logger } from './logger.ts'
import type { IndexFunction } from './object-store.ts'
import type { WatchEvent, WatchHandle, WatchOptions } from './watch.ts'

/** The two calls an informer makes; `createKubeApi(...)` provides both. */
export interface ListWatchSource {
  listPage<T extends KubeObject>(ref: KindRef, options?: ListPageOptions): Promise<ListPage<T>>
  watch<T extends KubeObject>(ref: KindRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle>
}

export interface InformerOptions<T extends KubeObject> {
  apiVersion: string
  kind: string
  /** Watch one namespace; omitted: all namespaces (or a cluster-scoped kind). */
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
  /** Extra store indexes by name (namespace, controller uid and label indexes are built in). */
  indexers?: Readonly<Record<string, IndexFunction<T>>>
  /** List page size. Default 500. */
  pageSize?: number
  /** Server-side watch timeout; each watch asks for a random value in [this, 2·this). Default 300 s. */
  watchTimeoutSeconds?: number
  /** Reopen a watch that delivered no event or bookmark for this long. Default 5 min. */
  silenceTimeoutMs?: number
  /** Backoff between failed lists/watches the server answered. Default 800 ms doubling to 30 s (client-go's reflector). */
  backoff?: ExponentialBackoffOptions
  /** Backoff while the server is away (connection refused or reset, 503). Default 250 ms doubling to 1 s. */
  unavailableBackoff?: ExponentialBackoffOptions
  clock?: Clock
  logger?: Logger
  /** Random numbers in [0, 1) for jitter. Default Math.random. */
  random?: () => number
  /**
   * Applied to every object before it is stored (listed, watched or observed), e.g. to drop
   * `metadata.managedFields`, which a controller rarely reads and which often makes up half of an
   * object's size. Must return an object of the same identity and resourceVersion.
   */
  transform?: (object: T) => T
}

/** Counters for metrics and tests. */
export interface InformerStats {
  /** Completed lists (the first one and every relist). */
  lists: number
  /** Watch requests opened. */
  watches: number
  /** Watches reopened from a known resourceVersion (after the server closed one, an error or the watchdog). */
  watchRestarts: number
  /** 410 Gone / "too old resource version" answers, each followed by a relist. */
  expired: number
  /** Watches closed by the watchdog for silence. */
  silentWatches: number
  /** Failed lists and watches other than 410 (retried with backoff). */
  errors: number
  /** ADDED/MODIFIED/DELETED events applied. */
  events: number
  bookmarks: number
}

export type AddHandler<T> = (object: T) => void
export type UpdateHandler<T> = (previous: T, current: T) => void
export type DeleteHandler<T> = (lastKnown: T) => void


/** client-go's reflector: 800 ms doubling to 30 s. */
export const DEFAULT_INFORMER_BACKOFF: ExponentialBackoffOptions = { baseMs: 800, maxMs: 30_000 }
/** While the server does not answer at all: 250 ms doubling to 1 s. */
export const DEFAULT_UNAVAILABLE_BACKOFF: ExponentialBackoffOptions = { baseMs: 250, maxMs: 1000 }

/**
 * True when the server is away rather than failing: no answer at all, or a 503, which an API
 * server sends while it starts ("the request has been made before all known HTTP paths have been
 * installed") or shuts down, and a load balancer while it has no server behind it. Rate limiting
 * is a 429, and backs off as usual.
 */
export function isServerAway(error: unknown): boolean {
  return isConnectionFailure(error) || (error instanceof KubeApiError && error.status === 503)
}

export interface InformerRetryPolicy {
  /** For failures the server answered. */
  backoff: ExponentialBackoffOptions
  /** For requests it did not answer (`isConnectionFailure`) or answered with a 503. */
  unavailableBackoff: ExponentialBackoffOptions
  random: () => number
}

/**
 * How long an informer waits before it lists or watches again, with 25 % jitter. While the server
 * is away (connection refused or reset, or a 503: it is down or restarting), it asks again every
 * 0.75–1 s, which costs a server that is down nothing and reopens the watches within a second of it
 * answering; a failure it answered backs off as client-go's reflector does, and never retries
 * before a 429's Retry-After.
 *   unanswered 1            → 188–250 ms
 *   unanswered 60           → 750–1000 ms  (a minute's outage)
 *   failures 3              → 2.4–3.2 s
 *   failures 1, Retry-After 5 s → 5 s
 */
export function informerRetryDelay(counts: { failures: number; unanswered: number }, error: unknown, policy: InformerRetryPolicy): number {
  if (counts.unanswered > 0) return jitter(exponentialDelay(counts.unanswered, policy.unavailableBackoff), 0.25, policy.random)
  const delay = jitter(exponentialDelay(counts.failures, policy.backoff), 0.25, policy.random)
  return Math.max(delay, retryAfterMs(error) ?? 0)
}
