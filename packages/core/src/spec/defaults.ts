/**
 * The home of every default of a Rollout's spec that Sluice applies (as Argo Rollouts applies them):
 * read a canary Rollout through `resolveCanary`, never `spec.replicas ?? 1` on the spot.
 * (maxSurge and maxUnavailable default to 25 % in `resolveSurgeAndUnavailable`, which resolves them.)
 */
import type { CanaryStep, CanaryStrategy, Rollout, SetMirrorRoute } from '../api/rollout.ts'
import { resolveSurgeAndUnavailable } from '../replicas/surge.ts'

const DEFAULT_REPLICAS = 1
const DEFAULT_MAX_TRAFFIC_WEIGHT = 100
const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30
const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
const DEFAULT_REVISION_HISTORY_LIMIT = 10
const DEFAULT_MIRROR_PERCENTAGE = 100

/** A canary Rollout's spec with its defaults applied. */
export interface ResolvedCanary {
  /** spec.strategy.canary, `{}` when unset. */
  canary: CanaryStrategy
  /** spec.replicas (R), 1 when unset. */
  replicas: number
  /** The weight scale (W): trafficRouting.maxTrafficWeight, 100 when unset. */
  maxWeight: number
  /** The canary steps, `[]` when unset. */
  steps: CanaryStep[]
  /** maxSurge and maxUnavailable resolved against `replicas` (25 % each when unset). */
  maxSurge: number
  maxUnavailable: number
  /** True when the canary has trafficRouting. */
  trafficRouted: boolean
  /** canary.dynamicStableScale, false when unset. */
  dynamicStableScale: boolean
  /** How long an older ReplicaSet keeps its pods under traffic routing; 30 s when unset. */
  scaleDownDelaySeconds: number
  /** How long an aborted canary keeps its pods; 30 s when unset (check `canary.abortScaleDownDelaySeconds` for whether it was set). */
  abortScaleDownDelaySeconds: number
  /** spec.progressDeadlineSeconds, 600 when unset. */
  progressDeadlineSeconds: number
  /** spec.revisionHistoryLimit, 10 when unset. */
  revisionHistoryLimit: number
}

/** The values a canary Rollout runs with: its spec with every default applied. */
export function resolveCanary(rollout: Rollout): ResolvedCanary {
  const canary = rollout.spec.strategy?.canary ?? {}
  const replicas = rollout.spec.replicas ?? DEFAULT_REPLICAS
  const { maxSurge, maxUnavailable } = resolveSurgeAndUnavailable(replicas, canary.maxSurge, canary.maxUnavailable)
  return {
    canary,
    replicas,
    maxWeight: canary.trafficRouting?.maxTrafficWeight ?? DEFAULT_MAX_TRAFFIC_WEIGHT,
    steps: canary.steps ?? [],
    maxSurge,
    maxUnavailable,
    trafficRouted: canary.trafficRouting !== undefined,
    dynamicStableScale: canary.dynamicStableScale === true,
    scaleDownDelaySeconds: canary.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS,
    abortScaleDownDelaySeconds: canary.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS,
    progressDeadlineSeconds: rollout.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
    revisionHistoryLimit: rollout.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
  }
}

/** The share of requests a setMirrorRoute step mirrors: its `percentage`, 100 when unset. */
export function mirrorPercentage(route: SetMirrorRoute): number {
  return route.percentage ?? DEFAULT_MIRROR_PERCENTAGE
}
