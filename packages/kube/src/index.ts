/**
 * @sluice/kube: a small controller runtime for TypeScript.
 *
 *   createKubeApi(kc)     core's KubeApi on a real API server (+ status subresource, list/watch)
 *   Informer              list + watch one kind into an indexed store; handlers on add/update/delete
 *   InformerCache         lets the KubeApi answer get/list from synced informers
 *   WorkQueue             keyed, de-duplicating, rate-limited queue and the reconcile worker loop
 *   LeaderElector         leader election on a coordination.k8s.io/v1 Lease
 *   EventRecorder         events.k8s.io/v1 Events, correlated as client-go does (combined, counted, rate-limited)
 *   ensureFields          write only the fields a controller owns, and only when they differ
 *
 * Level-based: queue keys (`namespace/name`), re-read in the reconciler, decide, act.
 */
export { createKubeApi } from './kube-api.ts'
export type { ClusterKubeApi, KubeApiOptions, KindRef, ListPage, ListPageOptions, ApiRequestCounts } from './kube-api.ts'
export type { ApiResource } from './api-resource.ts'
export { isResourceExpired } from './api-error.ts'
export { isResourceNotServed, ResourceNotServedError } from './discovery.ts'
export type { WatchEvent, WatchEnd, WatchHandle, WatchOptions } from './watch.ts'

export { Informer } from './informer.ts'
export type { InformerOptions, InformerStats, ListWatchSource, AddHandler, UpdateHandler, DeleteHandler } from './informer-options.ts'
export { InformerCache } from './informer-cache.ts'
export type { CacheableInformer } from './informer-cache.ts'
export type { StoreReader, IndexFunction } from './object-store.ts'
export { objectKey, parseObjectKey } from './object-key.ts'

export { WorkQueue } from './work-queue.ts'
export type { ReconcileResult, Reconciler, ReconcileOutcome, WorkQueueOptions, RunOptions } from './work-queue.ts'
export { createDefaultRateLimiter } from './backoff.ts'
export type { RateLimiter, DefaultRateLimiterOptions, ExponentialBackoffOptions } from './backoff.ts'

export { LeaderElector } from './leader-elector.ts'
export type { LeaderElectorOptions, Lease, LeaseSpec } from './leader-elector.ts'

export { EventRecorder } from './event-recorder.ts'
export type { EventRecorderOptions, EventInput, EventSubject } from './event-recorder.ts'
export type { CorrelatorOptions } from './event-correlator.ts'

export { ensureFields } from './ensure-fields.ts'
export type { EnsureFieldsOptions, DesiredFields } from './ensure-fields.ts'

export { silentLogger } from './logger.ts'
export type { Logger } from './logger.ts'
export { systemClock } from './clock.ts'
export type { Clock, TimerHandle } from './clock.ts'
