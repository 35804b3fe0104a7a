/**
 * @sluice/core: the pure engine of Sluice.
 *
 * observe → plan → act: an application reads a Rollout, its ReplicaSets, Services and what its
 * traffic routers report into an `ObservedRollout`, calls `planRollout(observed, now)`, and carries
 * out the returned actions; the engine itself does no I/O. Adapters implement `TrafficRouter`.
 *
 * Every name here has a user outside core (or appears in the signature of one that does); the rest
 * (replica math, step readers, conditions) is internal, and core's tests import it by file.
 */
export { TerminalError, AdapterError, isTerminal } from './api/errors.ts'

export type { KubeApi, KubeObject, ObjectMeta, ObjectRef, OwnerReference, ApplyOptions, WriteResult } from './api/kube-object.ts'
export { KubeApiError, isNotFound, isConflict } from './api/kube-object.ts'
export { isControlledBy, describeObject } from './kube/owner-refs.ts'
export { jsonEqual, isJsonSubset, canonicalJson, cloneJson } from './kube/json.ts'
export type { Json } from './kube/json.ts'
export { ensureOwned } from './kube/ensure.ts'
export type { EnsureOwnedOptions } from './kube/ensure.ts'

export type * from './api/rollout.ts'
export {
  ROLLOUT_API_VERSION,
  ROLLOUT_KIND,
  POD_TEMPLATE_HASH_LABEL,
  MANAGED_BY_ANNOTATION,
  REVISION_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from './api/labels.ts'

export type {
  TrafficRouter,
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

export { routerTargetOf } from './traffic/router-target.ts'
export { defineTrafficRouter, resolveRouterSettings, RouterSettingsError } from './traffic/router-definition.ts'
export type {
  TrafficRouterDefinition,
  AnyTrafficRouterDefinition,
  RouterSetting,
  RouterSettingsSpec,
  RouterSettingsOf,
  KindRef,
} from './traffic/router-definition.ts'
export type { FieldError, FieldErrorKind } from './api/field-error.ts'
export { fieldError, formatFieldError } from './api/field-error.ts'

export { planRollout } from './plan/plan-rollout.ts'
export { statusChanged } from './plan/status.ts'
export type { PlanOptions } from './plan/pass.ts'
export type { RolloutAction, RolloutEvent, RolloutPlan } from './plan/actions.ts'
export type { ObservedRollout, ObservedReplicaSet, ObservedService, ObservedPod, ObservedWeightVerification } from './plan/observed.ts'
export { podTemplateHash, stepsHash } from './spec/hash.ts'
export { resolveCanary } from './spec/defaults.ts'
export type { ResolvedCanary } from './spec/defaults.ts'
export { parseDuration } from './spec/duration.ts'
export { buildReplicaSet, runsTemplate } from './plan/replica-sets.ts'
export { setWeightAt, canaryScaleAt, describeStep, managedRoutesAt } from './spec/steps.ts'

export { trafficRoutedReplicas, podsForWeight } from './replicas/canary-replicas.ts'

export { validateRollout } from './validation/validate-rollout.ts'
export { configuredRouters, isPluginName, routerConfigOf, routerConfigPath } from './spec/configured-routers.ts'
export type { ValidateOptions } from './validation/validate-rollout.ts'
export { validateServiceReferences } from './plan/validate-references.ts'

