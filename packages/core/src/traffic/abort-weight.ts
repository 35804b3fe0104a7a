/**
 * The canary weight while an update is being aborted (spec §3.1, §5.1).
 *
 * Without dynamicStableScale the stable ReplicaSet never shrank, so all traffic goes back at once
 * (weight 0). With it, the stable may be short of pods: traffic steps back down the step list,
 * holding each level until the stable has the pods to take the rest.
 */
import { podsForWeight } from '../replicas/canary-replicas.ts'
import type { CanaryStep } from '../api/rollout.ts'

export interface AbortWeightInput {
  replicas: number
  maxWeight: number
  steps: readonly CanaryStep[]
  dynamicStableScale: boolean
  canaryAvailable: number | undefined
  stableAvailable: number | undefined
  /** The canary weight the routers carry now (status), if any. */
  recordedCanaryWeight: number | undefined
}

/**
 * The weight of the last `setWeight` step below what the stable cannot carry yet: walking the steps
 * from the last one back, the first whose pod count is strictly less than the pods the stable still
 * lacks (R − stable available); 0 once the stable has all its pods.
 *   R 4, steps 25/75, stable 1 available → 25 (75 needs 3 pods, not fewer than the 3 missing)
 *   R 4, steps 25/75, stable 4 available → 0
 *
 * Argo Rollouts also counts the canary's available pods here, so a canary that keeps its pods
 * (abortScaleDownDelaySeconds: 0) keeps its weight forever; the stable's capacity alone decides here.
 */
export function gradualAbortWeight(input: AbortWeightInput): number {
  const { replicas, maxWeight, steps } = input
  const canaryPods = replicas - (input.stableAvailable ?? 0)
  for (let i = steps.length - 1; i >= 0; i--) {
    const weight = steps[i]?.setWeight
    if (weight !== undefined && podsForWeight(weight, replicas, maxWeight) < canaryPods) return weight
  }
  return 0
}

/**
 * The router weight during an abort. Never raises the weight because the stable's availability
 * flaps, and holds the current weight while the stable cannot take more traffic.
 */
export function abortWeight(input: AbortWeightInput): number {
  const { replicas, maxWeight } = input
  if (!input.dynamicStableScale || input.canaryAvailable === undefined || input.stableAvailable === undefined || replicas === 0) return 0
  const target = gradualAbortWeight(input)
  const stableShare = Math.floor((maxWeight * input.stableAvailable) / replicas)
  const expected = Math.max(0, maxWeight - stableShare)
  const current = input.recordedCanaryWeight
  if (current === undefined) return Math.max(expected, target)
  if (target <= 0) return Math.min(expected, current)
  if (stableShare < maxWeight - target) return current
  return Math.min(target, current)
}
