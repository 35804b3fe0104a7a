import { describe, expect, it } from 'vitest'
import type { Rollout } from '../api/rollout.ts'
import { mirrorPercentage, resolveCanary } from './defaults.ts'

const rollout = (spec: Partial<Rollout['spec']>): Rollout =>
  ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web' }, spec: { selector: {}, template: {}, ...spec } }) as Rollout

describe('resolveCanary', () => {
  it('applies every default to an empty canary', () => {
    expect(resolveCanary(rollout({}))).toEqual({
      canary: {},
      replicas: 1,
      maxWeight: 100,
      steps: [],
      maxSurge: 1,
      maxUnavailable: 0,
      trafficRouted: false,
      dynamicStableScale: false,
      scaleDownDelaySeconds: 30,
      abortScaleDownDelaySeconds: 30,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
    })
  })

  it('keeps what the spec sets, 0 included', () => {
    const canary = {
      steps: [{ setWeight: 5 }],
      maxSurge: 0,
      maxUnavailable: '50%',
      trafficRouting: { maxTrafficWeight: 1000, nginx: { stableIngress: 'web' } },
      dynamicStableScale: true,
      scaleDownDelaySeconds: 0,
      abortScaleDownDelaySeconds: 0,
    }
    const resolved = resolveCanary(rollout({ replicas: 4, progressDeadlineSeconds: 60, revisionHistoryLimit: 0, strategy: { canary } }))
    expect(resolved).toEqual({
      canary,
      replicas: 4,
      maxWeight: 1000,
      steps: [{ setWeight: 5 }],
      maxSurge: 0,
      maxUnavailable: 2,
      trafficRouted: true,
      dynamicStableScale: true,
      scaleDownDelaySeconds: 0,
      abortScaleDownDelaySeconds: 0,
      progressDeadlineSeconds: 60,
      revisionHistoryLimit: 0,
    })
  })
})

describe('mirrorPercentage', () => {
  it('is 100 unless the step sets it', () => {
    expect(mirrorPercentage({ name: 'm' })).toBe(100)
    expect(mirrorPercentage({ name: 'm', percentage: 0 })).toBe(0)
  })
})
