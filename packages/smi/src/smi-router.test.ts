import { readFileSync } from 'node:fs'
import { AdapterError, formatFieldError, isTerminal } from '@sluice/core'
import type { KubeObject, RouterTarget } from '@sluice/core'
import { conformanceTarget, describeTrafficRouter, desiredTraffic } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { createSmiRouter, smiCapabilities } from './index.ts'
import type { SmiApiVersion, SmiRouterOptions } from './index.ts'

function fixture(name: string): KubeObject[] {
  const text = readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')
  return parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject)
}

const versions: SmiApiVersion[] = ['split.smi-spec.io/v1alpha1', 'split.smi-spec.io/v1alpha2', 'split.smi-spec.io/v1alpha3']

function setup(options: Partial<SmiRouterOptions> = {}, objects: KubeObject[] = []) {
  const kube = createMemoryKube([...fixture('services.yaml'), ...objects])
  const router = createSmiRouter({ target: conformanceTarget, config: {}, ...options }, { kube })
  const split = (name = 'web', apiVersion: string = options.apiVersion ?? 'split.smi-spec.io/v1alpha1') =>
    kube.get<KubeObject & { spec?: { backends?: unknown[] } }>({ apiVersion, kind: 'TrafficSplit', namespace: 'default', name })
  return { kube, router, split }
}

describe.each(versions)('%s', (apiVersion) => {
  describeTrafficRouter('smi', (target: RouterTarget) => {
    const kube = createMemoryKube(fixture('services.yaml'))
    return { kube, router: createSmiRouter({ target, config: {}, apiVersion }, { kube }) }
  })
})

describe('the TrafficSplit it writes', () => {
  it('defaults to v1alpha1, the Rollout name, and the stable Service as root; owned by the Rollout', async () => {
    const { router, split } = setup()
    await router.apply(desiredTraffic(20))
    expect(await split()).toMatchObject({
      apiVersion: 'split.smi-spec.io/v1alpha1',
      metadata: {
        name: 'web',
        namespace: 'default',
        ownerReferences: [
          { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: conformanceTarget.rollout.uid, controller: true },
        ],
      },
      spec: {
        service: 'web-stable',
        backends: [
          { service: 'web-canary', weight: '20' },
          { service: 'web-stable', weight: '80' },
        ],
      },
    })
  })

  it('uses trafficSplitName and rootService', async () => {
    const { router, split } = setup({ config: { trafficSplitName: 'web-split', rootService: 'web' }, apiVersion: 'split.smi-spec.io/v1alpha3' })
    await router.apply(desiredTraffic(5))
    expect(await split('web')).toBeUndefined()
    expect((await split('web-split'))?.spec).toEqual({
      service: 'web',
      backends: [
        { service: 'web-canary', weight: 5 },
        { service: 'web-stable', weight: 95 },
      ],
    })
  })

  it('reports what it did in words for Events', async () => {
    const { router } = setup({ apiVersion: 'split.smi-spec.io/v1alpha2' })
    expect(await router.apply(desiredTraffic(0))).toEqual([{ object: 'TrafficSplit default/web', result: 'created', detail: 'canary weight 0' }])
    expect(await router.apply(desiredTraffic(20))).toEqual([{ object: 'TrafficSplit default/web', result: 'updated', detail: 'canary weight 0 → 20' }])
    expect(await router.apply(desiredTraffic(20))).toEqual([{ object: 'TrafficSplit default/web', result: 'unchanged' }])
  })

  it('puts back backends and root Service that were edited out of band', async () => {
    const { kube, router, split } = setup()
    await router.apply(desiredTraffic(30))
    await kube.mergePatch(
      { apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: 'default', name: 'web' },
      { spec: { service: 'elsewhere', backends: [{ service: 'web-stable', weight: '100' }] } },
    )
    expect(await router.observe()).toMatchObject({ canaryWeight: 0 })
    const changes = await router.apply(desiredTraffic(30))
    expect(changes).toEqual([{ object: 'TrafficSplit default/web', result: 'updated', detail: 'canary weight 0 → 30' }])
    expect((await split())?.spec).toEqual({
      service: 'web-stable',
      backends: [
        { service: 'web-canary', weight: '30' },
        { service: 'web-stable', weight: '70' },
      ],
    })
  })

  it('keeps a scale other than 100 right, since SMI weights are relative (upstream writes 100 − w)', async () => {
    const { router, split } = setup({ apiVersion: 'split.smi-spec.io/v1alpha3' })
    await router.apply(desiredTraffic(250, { maxWeight: 1000 }))
    expect((await split())?.spec?.backends).toEqual([
      { service: 'web-canary', weight: 250 },
      { service: 'web-stable', weight: 750 },
    ])
    expect((await router.observe()).canaryWeight).toBe(25)
  })
})

describe('a TrafficSplit it does not own', () => {
  it('is refused with a terminal error and left as it was', async () => {
    const { kube, router, split } = setup({}, fixture('traffic-split.foreign.yaml'))
    const before = await split()
    const error = await router.apply(desiredTraffic(20)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AdapterError)
    expect(isTerminal(error)).toBe(true)
    expect((error as AdapterError).message).toMatch(/^\[smi\] TrafficSplit default\/web: exists and is not controlled by Rollout default\/web/)
    expect(await split()).toEqual(before)
    expect(kube.writes).toMatchObject({ create: 0, replace: 0, mergePatch: 0, apply: 0, delete: 0 })
  })

  it('is not reported as this router’s weight', async () => {
    const { router } = setup({}, fixture('traffic-split.foreign.yaml'))
    expect(await router.observe()).toEqual({ canaryWeight: undefined, headerRoutes: [], mirrorRoutes: [] })
  })
})

describe('observe', () => {
  it('reports no weight before the TrafficSplit exists', async () => {
    const { router } = setup()
    expect((await router.observe()).canaryWeight).toBeUndefined()
  })

  it.each([
    // canary, stable backend weights as stored → observed canary weight
    ['20', '80', 20], // v1alpha1 as Sluice and Go clients write it
    [20, 80, 20], // numbers, as a CRD without conversion serves a split written through v1alpha2/3
    ['500m', '1500m', 25], // quantities with suffixes
  ])('reads %j / %j as %d', async (canary, stable, weight) => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(0))
    await kube.mergePatch(
      { apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: 'default', name: 'web' },
      { spec: { backends: [{ service: 'web-canary', weight: canary }, { service: 'web-stable', weight: stable }] } },
    )
    expect((await router.observe()).canaryWeight).toBe(weight)
  })
})

describe('validate', () => {
  it('checks that an explicit rootService exists, naming the full field path', async () => {
    const { router } = setup({ config: { rootService: 'web-apex' } })
    expect((await router.validate()).map(formatFieldError)).toEqual([
      'spec.strategy.canary.trafficRouting.smi.rootService: Not found: "web-apex": service "web-apex" not found',
    ])
  })

  it('accepts an existing rootService, and the default (the stable Service, which the engine checks)', async () => {
    expect(await setup({ config: { rootService: 'web' } }).router.validate()).toEqual([])
    expect(await setup({ config: { rootService: 'web-stable' } }).router.validate()).toEqual([])
  })

  it('never writes', async () => {
    const { kube, router } = setup({ config: { rootService: 'web' } }, fixture('traffic-split.foreign.yaml'))
    await router.validate()
    expect(kube.writes).toMatchObject({ create: 0, replace: 0, mergePatch: 0, apply: 0, delete: 0 })
  })
})

describe('the factory', () => {
  it('rejects an API version it does not know', () => {
    const kube = createMemoryKube()
    const apiVersion = 'split.smi-spec.io/v1alpha4' as SmiApiVersion
    expect(() => createSmiRouter({ target: conformanceTarget, config: {}, apiVersion }, { kube })).toThrow(
      '[smi] unsupported TrafficSplit API version "split.smi-spec.io/v1alpha4"; use one of split.smi-spec.io/v1alpha1, split.smi-spec.io/v1alpha2, split.smi-spec.io/v1alpha3',
    )
  })

  it('declares header routing and mirroring unsupported, so the engine rejects such steps', () => {
    expect(smiCapabilities).toEqual({
      headerRouting: false,
      mirroring: false,
      maxTrafficWeight: false,
      weightVerification: false,
      additionalDestinations: false,
    })
  })
})
