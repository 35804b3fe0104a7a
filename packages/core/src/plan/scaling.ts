// ---------------------------------------------------------------------------------------------------
// 6. ReplicaSet scaling (spec §3, §8.2, §8.3)

import type { TrafficWeights } from '../api/rollout.ts'
import type { ReplicaCounts } from '../replicas/canary-replicas.ts'
import { basicCanaryReplicas, isCanaryProgressMet, podsForWeight, trafficRoutedReplicas } from '../replicas/canary-replicas.ts'
import { canaryScaleAt, setWeightAt } from '../spec/steps.ts'
import { gradualAbortWeight } from '../traffic/abort-weight.ts'
import type { ObservedReplicaSet } from './observed.ts'
import { planOlderReplicaSets } from './older-replica-sets.ts'
import type { Pass } from './pass.ts'
import { isAborted, isFullyPromoted, scale } from './pass.ts'

/**
 * The weight (or explicit count) the canary ReplicaSet is sized for (spec §3.1), and the traffic
 * weight the stable is sized against under dynamicStableScale. A setCanaryScale changes the canary's
 * pods, never the traffic, so it never shrinks the stable (Argo sizes the stable from the scale weight).
 */
function canarySizing(pass: Pass): { weight: number; explicit?: number; trafficWeight?: number } {
  const { status, steps, maxWeight } = pass
  if (status.promoteFull || !pass.stableRS || isFullyPromoted(pass)) return { weight: maxWeight }
  const aborted = isAborted(pass)
  if (pass.trafficRouted && !aborted) {
    const scale = canaryScaleAt(steps, status.currentStepIndex)
    const trafficWeight = setWeightAt(steps, status.currentStepIndex ?? steps.length, maxWeight)
    if (scale?.replicas !== undefined) return { weight: 0, explicit: scale.replicas, trafficWeight }
    if (scale?.weight !== undefined) return { weight: scale.weight, trafficWeight }
  }
  if (aborted) {
    if (pass.dynamic && pass.stableRS) {
      return {
        weight: gradualAbortWeight({
          replicas: pass.replicas,
          maxWeight,
          steps,
          dynamicStableScale: true,
                canaryAvailable: pass.newRS.availableReplicas,
          stableAvailable: pass.stableRS.availableReplicas,
          recordedCanaryWeight: pass.weights?.canary.weight,
        }),
      }
    }
    return { weight: 0 }
  }
  return { weight: setWeightAt(steps, status.currentStepIndex ?? steps.length, maxWeight) }
}

/** The counts the canary and stable ReplicaSets should have now; `weights` are those the routers carry. */
function desiredCounts(pass: Pass, weights: TrafficWeights | undefined): { canary: number; stable: number } {
  const sizing = canarySizing(pass)
  if (!pass.stableRS || isFullyPromoted(pass)) return { canary: pass.replicas, stable: 0 }
  if (pass.trafficRouted) {
    return trafficRoutedReplicas({
      replicas: pass.replicas,
      weight: sizing.weight,
      maxWeight: pass.maxWeight,
      ...(sizing.explicit !== undefined ? { explicitCanaryReplicas: sizing.explicit } : {}),
      ...(sizing.trafficWeight !== undefined ? { trafficWeight: sizing.trafficWeight } : {}),
      ...(pass.canary.minPodsPerReplicaSet !== undefined ? { minPodsPerReplicaSet: pass.canary.minPodsPerReplicaSet } : {}),
      dynamicStableScale: pass.dynamic,
      aborted: isAborted(pass),
      ...(weights ? { recorded: { canary: weights.canary.weight, stable: weights.stable.weight } } : {}),
    })
  }
  return basicCanaryReplicas({
    replicas: pass.replicas,
    weight: sizing.weight,
    maxWeight: pass.maxWeight,
    maxSurge: pass.maxSurge,
    maxUnavailable: pass.maxUnavailable,
    canary: counts(pass.newRS),
    stable: counts(pass.stableRS),
    otherReplicas: pass.older.reduce((n, rs) => n + rs.replicas, 0),
  })
}

const counts = (rs: ObservedReplicaSet | undefined): ReplicaCounts | undefined => (rs ? { replicas: rs.replicas, available: rs.availableReplicas } : undefined)

/**
 * "Has the current step's pod count been reached?" (spec §3.4): the canary has exactly its desired
 * pods, all available (or the progress threshold is met), and the stable has its pods created.
 */
export function isAtStepReplicaCounts(pass: Pass): boolean {
  const desired = desiredCounts(pass, undefined)
  const { newRS, stableRS } = pass
  if (!isCanaryProgressMet(newRS.availableReplicas, desired.canary, newRS.replicas, pass.canary.replicaProgressThreshold)) return false
  if (!pass.trafficRouted || !pass.dynamic) {
    const stableReplicas = stableRS?.replicas ?? 0
    const stableCurrent = stableRS?.currentReplicas ?? 0
    if (stableRS && (stableReplicas !== desired.stable || stableCurrent !== desired.stable)) return false
  }
  if (!pass.trafficRouted && pass.older.some((rs) => rs.availableReplicas > 0)) return false
  return true
}

export function planScaling(pass: Pass): void {
  if (pass.rollout.spec.paused && !isAborted(pass)) return // manual pause halts scaling (not an abort)
  const { newRS, stableRS } = pass

  // Stable: sized from the weights recorded before this pass, so it shrinks only after the routers
  // took traffic off it (and, with weight verification, only after the data plane confirmed it).
  if (stableRS && !isFullyPromoted(pass)) {
    let stableTarget = desiredCounts(pass, pass.recorded).stable
    if (pass.trafficRouted && pass.dynamic && pass.recorded?.verified === false) stableTarget = Math.max(stableTarget, stableRS.replicas)
    if (stableTarget !== stableRS.replicas) {
      scale(pass, stableRS, stableTarget)
      return
    }
  }

  // Canary: sized from the weights of this pass.
  if (isAborted(pass) && pass.trafficRouted) {
    if (planAbortedCanary(pass)) return
  } else {
    const canaryTarget = desiredCounts(pass, pass.weights).canary
    if (canaryTarget !== newRS.replicas) {
      scale(pass, newRS, canaryTarget)
      return
    }
    if (newRS.scaleDownDeadline) pass.actions.push({ type: 'setScaleDownDeadline', name: newRS.name, deadline: null })
  }
  planOlderReplicaSets(pass)
}

/**
 * The canary of an aborted update keeps its pods until no traffic is left on it and the stable has
 * all its pods, then for abortScaleDownDelaySeconds (default 30 s; 0 keeps them), and only then goes
 * to 0. With dynamicStableScale and no explicit delay it shrinks as traffic leaves it instead.
 * Returns true when it acted on the canary.
 */
function planAbortedCanary(pass: Pass): boolean {
  const { newRS, stableRS, now } = pass
  const canaryWeight = pass.weights?.canary.weight ?? 0
  const explicitDelay = pass.canary.abortScaleDownDelaySeconds
  if (pass.dynamic && explicitDelay === undefined) {
    const target = desiredCounts(pass, pass.weights).canary
    if (target < newRS.replicas && podsForWeight(canaryWeight, pass.replicas, pass.maxWeight) > target) return false
    if (target !== newRS.replicas) {
      scale(pass, newRS, target, 'update aborted')
      return true
    }
    return false
  }
  if (explicitDelay === 0 || newRS.replicas === 0) return false
  if (canaryWeight > 0 || !stableRS || stableRS.availableReplicas < pass.replicas) return false
  const delaySeconds = pass.abortScaleDownDelaySeconds
  if (!newRS.scaleDownDeadline) {
    const deadline = new Date(now.getTime() + delaySeconds * 1000).toISOString()
    pass.actions.push({ type: 'setScaleDownDeadline', name: newRS.name, deadline })
    pass.requeue.push(delaySeconds * 1000)
    return true
  }
  const left = Date.parse(newRS.scaleDownDeadline) - now.getTime()
  if (left > 0) {
    pass.requeue.push(left)
    return false
  }
  scale(pass, newRS, 0, 'update aborted, scale-down delay passed')
  pass.actions.push({ type: 'setScaleDownDeadline', name: newRS.name, deadline: null })
  return true
}
