import { describe, expect, it } from 'vitest'
import type { KubeObject, Rollout } from '@sluice/core'
import { configMapRouterCapabilities, createConfigMapRouter } from '@sluice/core/testing'
import { simulateRollout, SimulationError } from './simulate-rollout.ts'
import type { SimulationInput } from './simulate-rollout.ts'

function rollout(canary: NonNullable<NonNullable<Rollout['spec']['strategy']>['canary']>, replicas = 10): Rollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } },
      strategy: { canary },
    },
  }
}

const service = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
})

function input(r: Rollout, extra: Partial<SimulationInput> = {}): SimulationInput {
  const tr = r.spec.strategy?.canary?.trafficRouting !== undefined
  return {
    rollout: r,
    objects: [service('web-canary'), service('web-stable')],
    createRouters: (target, kube) => (tr ? [createConfigMapRouter({ target, config: {} }, { kube })] : []),
    // The engine validates against these; the configmap router stands in for a real mesh here.
    routerCapabilities: { istio: configMapRouterCapabilities, nginx: configMapRouterCapabilities },
    ...extra,
  }
}

const pods = (s: { canary: { replicas: number; weight: number | null }; stable: { replicas: number; weight: number | null } }) =>
  `${s.canary.replicas}/${s.stable.replicas} ${s.canary.weight ?? '-'}/${s.stable.weight ?? '-'}`

describe('simulateRollout', () => {
  it('basic canary, R = 10: pod ratios approximate the weights (spec §3.5)', async () => {
    const r = rollout({ steps: [{ setWeight: 5 }, { pause: {} }, { setWeight: 33 }, { pause: { duration: 30 } }, { setWeight: 50 }, { pause: {} }] })
    const result = await simulateRollout(input(r))
    expect(result.steps.map((s) => [s.step, pods(s)])).toEqual([
      ['setWeight: 5', '1/10 -/-'],
      ['pause', '1/10 -/-'],
      ['setWeight: 33', '3/7 -/-'],
      ['pause: 30', '3/7 -/-'],
      ['setWeight: 50', '5/5 -/-'],
      ['pause', '5/5 -/-'],
    ])
    expect(result.steps.map((s) => s.phase)).toEqual(['Progressing', 'Paused', 'Progressing', 'Paused', 'Progressing', 'Paused'])
    expect([result.final.phase, pods(result.final)]).toEqual(['Healthy', '10/0 -/-'])
  })

  it('traffic-routed canary, R = 10: weights exact, stable stays at R (spec §3.5)', async () => {
    const r = rollout({
      canaryService: 'web-canary',
      stableService: 'web-stable',
      trafficRouting: { nginx: { stableIngress: 'web' } },
      steps: [{ setWeight: 5 }, { pause: {} }, { setWeight: 33 }, { pause: {} }, { setWeight: 50 }],
    })
    const result = await simulateRollout(input(r))
    expect(result.steps.map((s) => [s.step, pods(s)])).toEqual([
      ['setWeight: 5', '1/10 5/95'],
      ['pause', '1/10 5/95'],
      ['setWeight: 33', '4/10 33/67'],
      ['pause', '4/10 33/67'],
      ['setWeight: 50', '5/10 50/50'],
    ])
    // promoted: all traffic on the new pods through both Services, the old stable scaled down after its delay
    expect([result.final.phase, pods(result.final)]).toEqual(['Healthy', '10/0 0/100'])
    const services = result.final.resources.filter((o) => o.kind === 'Service')
    expect(services.map((s) => (s.spec as { selector: Record<string, string> }).selector['rollouts-pod-template-hash'])).toEqual([
      result.hashes.canary,
      result.hashes.canary,
    ])
  })

  it('dynamicStableScale shrinks the stable as traffic leaves it', async () => {
    const r = rollout(
      {
        canaryService: 'web-canary',
        stableService: 'web-stable',
        dynamicStableScale: true,
        trafficRouting: { nginx: { stableIngress: 'web' } },
        steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 75 }, { pause: {} }],
      },
      4,
    )
    const result = await simulateRollout(input(r))
    expect(result.steps.map((s) => pods(s))).toEqual(['1/4 25/75', '1/3 25/75', '3/3 75/25', '3/1 75/25'])
  })

  it('aborting at a pause returns traffic to stable and then scales the canary to 0', async () => {
    const r = rollout({
      canaryService: 'web-canary',
      stableService: 'web-stable',
      trafficRouting: { nginx: { stableIngress: 'web' } },
      steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }],
    })
    const result = await simulateRollout(input(r, { abortAtStep: 1 }))
    expect(result.steps.map((s) => pods(s))).toEqual(['2/10 20/80', '2/10 20/80'])
    expect([result.final.phase, pods(result.final), result.final.index]).toEqual(['Degraded', '0/10 0/100', 0])
  })

  it('refuses an invalid rollout with every field error', async () => {
    const r = rollout({ steps: [{ setWeight: 120 }, { pause: { duration: 'soon' } }] })
    const error = await simulateRollout(input(r)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SimulationError)
    expect((error as SimulationError).errors.map((e) => e.path)).toEqual([
      'spec.strategy.canary.steps[0].setWeight',
      'spec.strategy.canary.steps[1].pause.duration',
    ])
  })

  it('refuses a rollout whose Service is missing', async () => {
    const r = rollout({ canaryService: 'web-canary', stableService: 'web-stable', trafficRouting: { nginx: { stableIngress: 'web' } }, steps: [{ setWeight: 5 }] })
    const error = await simulateRollout({ ...input(r), objects: [service('web-stable')] }).catch((e: unknown) => e)
    expect((error as SimulationError).errors).toEqual([
      expect.objectContaining({ path: 'spec.strategy.canary.canaryService', kind: 'not-found' }),
    ])
  })
})
