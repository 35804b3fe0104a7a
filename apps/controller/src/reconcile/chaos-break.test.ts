import { planRollout } from '@sluice/core'
import type { ObservedRollout, Rollout, RolloutPlan } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { breakPlan } from './chaos-break.ts'

const rollout = (stableWeight: number): Rollout => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'default', uid: 'u' },
  spec: { replicas: 4 },
  status: {
    stableRS: 'old',
    currentPodHash: 'new',
    canary: { weights: { canary: { weight: 100 - stableWeight, podTemplateHash: 'new' }, stable: { weight: stableWeight, podTemplateHash: 'old' } } },
  },
})

const observed = (stableWeight: number, stableReplicas: number): ObservedRollout => ({
  rollout: rollout(stableWeight),
  replicaSets: [
    { name: 'web-old', podTemplateHash: 'old', revision: 1, replicas: stableReplicas, currentReplicas: stableReplicas, readyReplicas: stableReplicas, availableReplicas: stableReplicas },
    { name: 'web-new', podTemplateHash: 'new', revision: 2, replicas: 2, currentReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
  ],
  services: [],
  routerCapabilities: {},
})

const traffic = (stableWeight: number): RolloutPlan['actions'][number] => ({
  type: 'setTraffic',
  desired: { canary: { weight: 100 - stableWeight, podTemplateHash: 'new' }, stable: { weight: stableWeight, podTemplateHash: 'old' }, additional: [], maxWeight: 100, headerRoutes: [], mirrorRoutes: [] },
})

const planWith = (actions: RolloutPlan['actions']): RolloutPlan => ({ ...planRollout(observed(100, 4), new Date(0)), actions })

describe('breakPlan scale-stable-first (test-only)', () => {
  it('scales the stable down to what the new weight needs before the traffic write that lowers its weight', () => {
    const plan = breakPlan(planWith([traffic(50)]), observed(100, 4), 'scale-stable-first')
    expect(plan.actions.map((a) => a.type)).toEqual(['scaleReplicaSet', 'setTraffic'])
    expect(plan.actions[0]).toEqual({ type: 'scaleReplicaSet', name: 'web-old', from: 4, replicas: 2, rolloutReplicas: 4 })
  })

  it('leaves plans alone that raise the stable weight, have no traffic write, or find the stable small enough', () => {
    const raise = planWith([traffic(100)])
    expect(breakPlan(raise, observed(50, 4), 'scale-stable-first')).toBe(raise)
    const none = planWith([])
    expect(breakPlan(none, observed(100, 4), 'scale-stable-first')).toBe(none)
    const small = planWith([traffic(50)])
    expect(breakPlan(small, observed(100, 2), 'scale-stable-first')).toBe(small)
  })
})
