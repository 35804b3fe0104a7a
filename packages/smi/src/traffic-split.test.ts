import { describe, expect, it } from 'vitest'
import { buildTrafficSplit, readCanaryWeight } from './traffic-split.ts'
import type { SmiApiVersion, TrafficSplit } from './traffic-split.ts'

const input = {
  name: 'web',
  namespace: 'default',
  rootService: 'web',
  canaryService: 'web-canary',
  stableService: 'web-stable',
}

describe('buildTrafficSplit', () => {
  it.each<[SmiApiVersion, number, number, unknown, unknown]>([
    // apiVersion, canary weight, scale → canary backend weight, stable backend weight
    ['split.smi-spec.io/v1alpha1', 0, 100, '0', '100'], // v1alpha1 weights are quantities: written as strings
    ['split.smi-spec.io/v1alpha1', 20, 100, '20', '80'],
    ['split.smi-spec.io/v1alpha1', 100, 100, '100', '0'], // end of the steps: all to the canary
    ['split.smi-spec.io/v1alpha2', 0, 100, 0, 100], // later versions: integers
    ['split.smi-spec.io/v1alpha2', 33, 100, 33, 67],
    ['split.smi-spec.io/v1alpha3', 5, 100, 5, 95],
    ['split.smi-spec.io/v1alpha3', 100, 100, 100, 0],
    ['split.smi-spec.io/v1alpha3', 250, 1000, 250, 750], // relative weights carry any scale (upstream writes 100 − w)
  ])('%s, canary %i of %i → backends %j / %j', (apiVersion, canaryWeight, maxWeight, canary, stable) => {
    expect(buildTrafficSplit({ ...input, apiVersion, canaryWeight, maxWeight })).toEqual({
      apiVersion,
      kind: 'TrafficSplit',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        service: 'web',
        backends: [
          { service: 'web-canary', weight: canary },
          { service: 'web-stable', weight: stable },
        ],
      },
    })
  })

  it('names only the root Service and the two backends: nothing else is written', () => {
    const split = buildTrafficSplit({ ...input, apiVersion: 'split.smi-spec.io/v1alpha3', canaryWeight: 20, maxWeight: 100 })
    expect(Object.keys(split.spec ?? {})).toEqual(['service', 'backends'])
    expect(split.metadata).toEqual({ name: 'web', namespace: 'default' })
  })
})

describe('readCanaryWeight', () => {
  const split = (...backends: { service: string; weight?: unknown }[]) => ({ spec: { service: 'web', backends } }) as TrafficSplit

  it.each<[string, TrafficSplit, number | undefined]>([
    // description, split → canary share on 100
    ['v1alpha1 strings', split({ service: 'web-canary', weight: '20' }, { service: 'web-stable', weight: '80' }), 20],
    ['integers', split({ service: 'web-canary', weight: 20 }, { service: 'web-stable', weight: 80 }), 20],
    ['a mix of both', split({ service: 'web-canary', weight: 20 }, { service: 'web-stable', weight: '80' }), 20],
    ['relative weights', split({ service: 'web-canary', weight: 1 }, { service: 'web-stable', weight: 3 }), 25],
    ['milli quantities (SMI spec example)', split({ service: 'web-canary', weight: '500m' }, { service: 'web-stable', weight: '1500m' }), 25],
    ['a scale of 1000', split({ service: 'web-canary', weight: 250 }, { service: 'web-stable', weight: 750 }), 25],
    ['no canary backend', split({ service: 'web-stable', weight: 100 }), 0],
    ['a weight of 0 left out (Go omitempty)', split({ service: 'web-canary' }, { service: 'web-stable', weight: 100 }), 0],
    ['all traffic to the canary', split({ service: 'web-canary', weight: '100' }, { service: 'web-stable', weight: '0' }), 100],
    ['all weights 0: nothing is routed', split({ service: 'web-canary', weight: 0 }, { service: 'web-stable', weight: 0 }), undefined],
    ['no backends', split(), undefined],
    ['an unreadable weight', split({ service: 'web-canary', weight: 'lots' }, { service: 'web-stable', weight: 80 }), undefined],
  ])('%s → %s', (_description, trafficSplit, weight) => {
    expect(readCanaryWeight(trafficSplit, 'web-canary')).toBe(weight)
  })
})
