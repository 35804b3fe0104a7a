import { defineTrafficRouter, isTerminal, RouterSettingsError } from '@sluice/core'
import { createMemoryKube } from '@sluice/kube/memory'
import type { DesiredTraffic, Rollout, RouterCapabilities, TrafficRouter } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { builtinRouters, createRouterRegistry, RouterRegistry, routerSettingsFromFlags } from './index.ts'

const rollout = (canary: Record<string, unknown>): Rollout =>
  ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'apps', uid: 'u1' }, spec: { strategy: { canary } } }) as Rollout

const refs = (r: Rollout, registry = createRouterRegistry()) => registry.references(r).map((o) => `${o.kind} ${o.namespace}/${o.name}`)

describe('the objects a Rollout reads', () => {
  it.each([
    // trafficRouting → the objects whose changes must wake the Rollout
    [{ canaryService: 'c', stableService: 's' }, ['Service apps/c', 'Service apps/s']],
    [{ trafficRouting: { istio: { virtualService: { name: 'vs.mesh' }, destinationRule: { name: 'dr' } } } }, ['VirtualService mesh/vs', 'DestinationRule apps/dr']],
    [{ trafficRouting: { istio: { virtualServices: [{ name: 'a' }, { name: 'b.other.svc.cluster.local' }] } } }, ['VirtualService apps/a', 'VirtualService other/b']],
    // the namespace is after the last dot: names may contain dots, namespaces may not
    [{ trafficRouting: { istio: { virtualService: { name: 'web.internal.mesh' } } } }, ['VirtualService mesh/web.internal']],
    [{ trafficRouting: { nginx: { stableIngresses: ['i1', 'i2'] } } }, ['Ingress apps/i1', 'Ingress apps/i2']],
    [{ trafficRouting: { alb: { ingress: 'lb', servicePort: 80 } } }, ['Ingress apps/lb']],
    [{ trafficRouting: { smi: {} } }, ['TrafficSplit apps/web']],
    [{ trafficRouting: { smi: { trafficSplitName: 'split' } } }, ['TrafficSplit apps/split']],
    [{ trafficRouting: { ambassador: { mappings: ['m1'] } } }, ['Mapping apps/m1']],
    // a router this registry does not know names nothing (validation reports it)
    [{ trafficRouting: { traefik: { weightedTraefikServiceName: 'x' } } }, []],
  ])('%j → %j', (canary, expected) => {
    expect(refs(rollout(canary))).toEqual(expected)
  })

  it('names a Mapping by the kind of the configured version', () => {
    const registry = createRouterRegistry({ ambassador: { apiVersion: 'x.getambassador.io/v3alpha1' } })
    expect(registry.references(rollout({ trafficRouting: { ambassador: { mappings: ['m1'] } } }))).toEqual([
      { apiVersion: 'x.getambassador.io/v3alpha1', kind: 'AmbassadorMapping', namespace: 'apps', name: 'm1' },
    ])
  })
})

describe('settings', () => {
  it('fills in the defaults and watches the kinds of the chosen versions, each once', () => {
    expect(createRouterRegistry().watches()).toEqual([
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
      { apiVersion: 'getambassador.io/v2', kind: 'Mapping' },
      { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' },
      { apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit' },
    ])
    const chosen = createRouterRegistry(routerSettingsFromFlags({ 'traffic-split-api-version': 'split.smi-spec.io/v1alpha3', 'ambassador-api-version': 'x.getambassador.io/v3alpha1' }))
    expect(chosen.watches()).toContainEqual({ apiVersion: 'split.smi-spec.io/v1alpha3', kind: 'TrafficSplit' })
    expect(chosen.watches()).toContainEqual({ apiVersion: 'x.getambassador.io/v3alpha1', kind: 'AmbassadorMapping' })
    expect(chosen.settingsOf('smi')).toEqual({ apiVersion: 'split.smi-spec.io/v1alpha3' })
  })

  it('refuses a value a router does not speak, naming the router, the setting and the allowed values', () => {
    expect(() => createRouterRegistry({ smi: { apiVersion: 'split.smi-spec.io/v9' as never } })).toThrow(RouterSettingsError)
    expect(() => createRouterRegistry(routerSettingsFromFlags({ 'ambassador-api-version': 'getambassador.io/v1' }))).toThrow(
      /the ambassador router's apiVersion "getambassador.io\/v1" is not one of getambassador.io\/v2, getambassador.io\/v3alpha1, x.getambassador.io\/v3alpha1/,
    )
    expect(() => createRouterRegistry({ istio: { apiVersion: 'x' } as never })).toThrow(/the istio router has no setting "apiVersion"/)
  })

  it('declares ALB weight verification only when the host gives it a client', () => {
    expect(createRouterRegistry().capabilities().alb?.weightVerification).toBe(false)
    const client = { send: () => Promise.reject(new Error('not called')) } as never
    expect(createRouterRegistry({ alb: { verifyWeights: { client } } }).capabilities().alb?.weightVerification).toBe(true)
  })

  it('knows every router name core types, and no other', () => {
    expect(createRouterRegistry().names).toEqual(Object.keys(builtinRouters).sort())
  })
})

describe('the routers of a Rollout', () => {
  const desired = (over: Partial<DesiredTraffic> = {}): DesiredTraffic => ({
    canary: { weight: 20 },
    stable: { weight: 80 },
    additional: [],
    maxWeight: 100,
    headerRoutes: [],
    mirrorRoutes: [],
    ...over,
  })

  it('builds the configured ones in order, and turns a refused block into an error at its path', () => {
    const r = rollout({ canaryService: 'c', stableService: 's', trafficRouting: { nginx: { stableIngress: 'web' }, smi: {} } })
    const { routers, errors } = createRouterRegistry().create(r, createMemoryKube([]))
    expect(routers.map((x) => x.name)).toEqual(['nginx', 'smi'])
    expect(errors).toEqual([])
  })

  it('refuses, terminally and before writing anything, a traffic state the router cannot carry', async () => {
    const kube = createMemoryKube([])
    const r = rollout({ canaryService: 'c', stableService: 's', trafficRouting: { smi: {} } })
    const [smi] = createRouterRegistry().create(r, kube).routers
    const refused = smi?.apply(desired({ canary: { weight: 20 }, stable: { weight: 180 }, maxWeight: 200 }))
    await expect(refused).rejects.toThrow('[smi] Rollout apps/web: not supported by this router: a weight scale of 200 (weights are percentages)')
    await refused?.catch((error: unknown) => expect(isTerminal(error)).toBe(true))
    const mirrored = smi?.apply(desired({ mirrorRoutes: [{ name: 'm', match: [{ method: { exact: 'GET' } }], percentage: 10 }] }))
    await expect(mirrored).rejects.toThrow(/mirror routes/)
    expect(await kube.list({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: 'apps' })).toEqual([])
    // What it can carry goes through to the adapter.
    await smi?.apply(desired())
    expect(await kube.list({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: 'apps' })).toHaveLength(1)
  })
})

describe('a plugin among the routers', () => {
  // A made-up plugin: it records its config block, so the test sees what reached it.
  const seen: unknown[] = []
  const capabilities: RouterCapabilities = { headerRouting: false, mirroring: false, maxTrafficWeight: false, weightVerification: false, additionalDestinations: false }
  const plugin = defineTrafficRouter<{ route?: string }>({
    name: 'example/mesh',
    settings: {},
    capabilities: () => capabilities,
    watches: () => [{ apiVersion: 'example.com/v1', kind: 'Route' }],
    references: (target, config) => [{ apiVersion: 'example.com/v1', kind: 'Route', namespace: target.rollout.namespace, name: config.route ?? target.rollout.name }],
    create: ({ config }): TrafficRouter => {
      seen.push(config)
      if (config.route === 'refused') throw new Error('route "refused" is not a route of this mesh')
      return { name: 'example/mesh', capabilities, validate: async () => [], apply: async () => [], observe: async () => ({ canaryWeight: 0, headerRoutes: [], mirrorRoutes: [] }) }
    },
  })
  const registry = new RouterRegistry({ ...builtinRouters, 'example/mesh': plugin })

  it('gets its block from trafficRouting.plugins, untouched, next to a built-in router', () => {
    const r = rollout({ canaryService: 'c', stableService: 's', trafficRouting: { smi: {}, plugins: { 'example/mesh': { route: 'r1', extra: [1, { deep: true }] } } } })
    const { routers, errors } = registry.create(r, createMemoryKube([]))
    expect(routers.map((x) => x.name)).toEqual(['smi', 'example/mesh'])
    expect(errors).toEqual([])
    expect(seen.at(-1)).toEqual({ route: 'r1', extra: [1, { deep: true }] })
    expect(refs(r, registry)).toEqual(['Service apps/c', 'Service apps/s', 'TrafficSplit apps/web', 'Route apps/r1'])
    expect(registry.watches()).toContainEqual({ apiVersion: 'example.com/v1', kind: 'Route' })
    expect(registry.capabilities()['example/mesh']?.maxTrafficWeight).toBe(false)
  })

  it('reports a block its plugin refuses at the plugin\'s own path', () => {
    const r = rollout({ canaryService: 'c', stableService: 's', trafficRouting: { plugins: { 'example/mesh': { route: 'refused' } } } })
    expect(registry.create(r, createMemoryKube([])).errors).toEqual([
      { kind: 'invalid', path: 'spec.strategy.canary.trafficRouting.plugins["example/mesh"]', message: 'route "refused" is not a route of this mesh' },
    ])
  })
})
