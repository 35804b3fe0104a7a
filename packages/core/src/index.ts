/**
 * @sluice/core: the pure engine of Sluice.
 *
 * observe → plan → act: an application reads a Rollout, its ReplicaSets, Services and what its
 * traffic routers report into an `ObservedRollout`, calls `planRollout(observed, now)`, and carries
 * out the returned actions; the engine itself does no I/O. Adapters implement `TrafficRouter`.
 */
export { TerminalError, AdapterError, isTerminal } from './errors.ts'

export type { KubeApi, KubeObject, ObjectMeta, ObjectRef, OwnerReference, ApplyOptions, WriteResult } from './kube/types.ts'
export { KubeApiError, isNotFound, isConflict } from './kube/types.ts'
export { controllerRefTo, isControlledBy, describeObject, refOf } from './kube/owner-refs.ts'
export { jsonEqual, isJsonSubset, canonicalJson, cloneJson } from './kube/json.ts'
export type { Json } from './kube/json.ts'
export { ensureOwned } from './kube/ensure.ts'
export type { EnsureOwnedOptions } from './kube/ensure.ts'
export { createMemoryKube, applyMergePatch } from './kube/memory-kube.ts'
export type { MemoryKube } from './kube/memory-kube.ts'

export type * from './rollout/types.ts'
export {
  ROLLOUT_API_VERSION,
  ROLLOUT_KIND,
  POD_TEMPLATE_HASH_LABEL,
  MANAGED_BY_ANNOTATION,
  REVISION_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
  TRAFFIC_ROUTER_NAMES,
} from './rollout/types.ts'

export type {
  TrafficRouter,
  TrafficRouterFactory,
  TrafficRouterOptions,
  RouterDeps,
  RouterTarget,
  RouterCapabilities,
  RouterCapabilityMap,
  HeaderRoutingSupport,
  StringMatchType,
  DesiredTraffic,
  HeaderRoute,
  MirrorRoute,
  RouterChange,
  ObservedTraffic,
  WeightVerification,
} from './traffic/traffic-router.ts'

export type { FieldError, FieldErrorKind } from './validation/field-error.ts'
export { fieldError, formatFieldError } from './validation/field-error.ts'
