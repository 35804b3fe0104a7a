// The state of one planning pass (Pass, PlanOptions) and the predicates its phases share.

import type { CanaryStep, CanaryStrategy, Rollout, RolloutStatus, TrafficWeights } from '../api/rollout.ts'
import type { RolloutAction, RolloutEvent } from './actions.ts'
import type { ObservedReplicaSet, ObservedRollout } from './observed.ts'

export interface PlanOptions {
  /** How long to wait before asking a router again whether a weight is in effect. Default 10 s. */
  verifyRetryMs?: number
  /** How often an invalid Rollout is looked at again (referenced objects may appear). Default 20 s. */
  invalidSpecRetryMs?: number
  /** How often a pending restart is looked at again. Default 10 s. */
  restartRetryMs?: number
  /**
   * How long after the Rollout's creation, or the controller first seeing its current spec, a
   * missing Service or mesh object is waited for quietly (no InvalidSpec, no Degraded) before it is
   * reported: `kubectl apply -f` of one file may create the Rollout before its Services. Default 5 s.
   */
  missingReferenceGraceMs?: number
}

/** Everything one planning pass works with, resolved once. */
export interface Pass {
  observed: ObservedRollout
  rollout: Rollout
  now: Date
  options: Required<PlanOptions>
  prev: RolloutStatus
  status: RolloutStatus
  actions: RolloutAction[]
  events: RolloutEvent[]
  requeue: number[]

  canary: CanaryStrategy
  /** spec.replicas (R), 1 when unset. */
  replicas: number
  /** The weight scale (W). */
  maxWeight: number
  steps: CanaryStep[]
  trafficRouted: boolean
  dynamic: boolean
  maxSurge: number
  maxUnavailable: number
  /** canary.scaleDownDelaySeconds, 30 when unset (every default: spec/defaults.ts). */
  scaleDownDelaySeconds: number
  /** canary.abortScaleDownDelaySeconds, 30 when unset (`canary.abortScaleDownDelaySeconds` says whether it was set). */
  abortScaleDownDelaySeconds: number
  /** spec.progressDeadlineSeconds, 600 when unset. */
  progressDeadlineSeconds: number
  /** spec.revisionHistoryLimit, 10 when unset. */
  revisionHistoryLimit: number

  currentHash: string
  newRS: ObservedReplicaSet
  stableRS: ObservedReplicaSet | undefined
  /** Owned ReplicaSets that are neither the canary nor the stable. */
  older: ObservedReplicaSet[]

  /** Weights recorded before this pass (what the routers carry, as far as we know). */
  recorded: TrafficWeights | undefined
  /** Weights after this pass (changed when this pass writes traffic). */
  weights: TrafficWeights | undefined
  /** True when this pass asks the routers to carry the traffic state (all gates passed). */
  trafficWritten: boolean
  /** Set by the traffic phase when the canary Service cannot take traffic (its weight is held at 0). */
  canaryFault?: CanaryServiceFault
}

export function isFullyPromoted(pass: Pass): boolean {
  return pass.status.stableRS === pass.currentHash
}

export const isAborted = (pass: Pass) => pass.status.abort === true

export function isFullyAvailable(rs: ObservedReplicaSet): boolean {
  return rs.replicas > 0 && rs.availableReplicas > 0 && rs.replicas <= rs.availableReplicas
}

/**
 * Rolling back to the stable revision with dynamicStableScale: the stable ReplicaSet was scaled down,
 * so the previous canary keeps its traffic (and the canary Service keeps pointing at it) until the
 * stable has all its pods again (Argo issue #3020).
 */
export function isHoldingPreviousCanary(pass: Pass): boolean {
  const recorded = pass.recorded
  return (
    isFullyPromoted(pass) &&
    pass.trafficRouted &&
    pass.dynamic &&
    recorded !== undefined &&
    recorded.canary.weight > 0 &&
    recorded.canary.podTemplateHash !== undefined &&
    recorded.canary.podTemplateHash !== pass.currentHash &&
    pass.newRS.availableReplicas < pass.replicas
  )
}

/** Why the canary Service cannot take traffic; `problem` finishes "canary Service web-canary …". */
export interface CanaryServiceFault {
  service: string
  problem: 'not found' | 'has no ready endpoints'
}

export function scale(pass: Pass, rs: ObservedReplicaSet, replicas: number, why?: string): void {
  pass.actions.push({ type: 'scaleReplicaSet', name: rs.name, from: rs.replicas, replicas, rolloutReplicas: pass.replicas, ...(why ? { why } : {}) })
  const direction = replicas > rs.replicas ? 'up' : 'down'
  pass.events.push({
    type: 'Normal',
    reason: 'ScalingReplicaSet',
    message: `Scaled ${direction} ReplicaSet ${rs.name} (revision ${rs.revision}) from ${rs.replicas} to ${replicas}`,
  })
}
