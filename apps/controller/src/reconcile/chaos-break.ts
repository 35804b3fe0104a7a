/**
 * TEST-ONLY fault injection: a deliberately broken controller, so the chaos suite (tools/chaos) can
 * show that its invariant checker catches a real ordering bug on a real cluster. Enabled only by the
 * environment variable SLUICE_CHAOS_BREAK, which nothing but that suite sets; never set it anywhere
 * else.
 *
 *   scale-stable-first  before a traffic write that lowers the stable's weight, scale the stable
 *                       ReplicaSet down to the pods the new weight needs: the stable loses capacity
 *                       while it still carries the old, larger share (the order dynamicStableScale
 *                       must never take: traffic first, then the stable's pods).
 */
import type { ObservedRollout, RolloutPlan } from '@sluice/core'

export type ChaosBreak = 'scale-stable-first'

export const CHAOS_BREAKS: readonly ChaosBreak[] = ['scale-stable-first']

/** The plan with the break applied; the plan itself when nothing applies. */
export function breakPlan(plan: RolloutPlan, observed: ObservedRollout, mode: ChaosBreak): RolloutPlan {
  switch (mode) {
    case 'scale-stable-first': {
      const index = plan.actions.findIndex((a) => a.type === 'setTraffic')
      const traffic = plan.actions[index]
      const stableHash = observed.rollout.status?.stableRS
      const stable = observed.replicaSets.find((rs) => rs.podTemplateHash === stableHash)
      const replicas = observed.rollout.spec.replicas ?? 1
      if (!traffic || traffic.type !== 'setTraffic' || !stable || stable.podTemplateHash === observed.rollout.status?.currentPodHash) return plan
      const recorded = observed.rollout.status?.canary?.weights?.stable.weight ?? traffic.desired.maxWeight
      if (traffic.desired.stable.weight >= recorded) return plan
      const pods = Math.ceil((traffic.desired.stable.weight * replicas) / traffic.desired.maxWeight)
      if (stable.replicas <= pods) return plan
      const scale = { type: 'scaleReplicaSet' as const, name: stable.name, from: stable.replicas, replicas: pods, rolloutReplicas: replicas }
      return { ...plan, actions: [...plan.actions.slice(0, index), scale, ...plan.actions.slice(index)] }
    }
  }
}
