import { describe, expect, it } from 'vitest'
import { AdapterError, formatFieldError, isTerminal } from '@sluice/core'
import type { ApplyOptions, IstioTrafficRouting, KubeObject, RouterTarget } from '@sluice/core'
import { conformanceTarget, describeTrafficRouter, desiredTraffic } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import type { MemoryKube } from '@sluice/kube/memory'
import { createIstioRouter, istioCapabilities } from './index.ts'
import { loadFixture, targetOf } from './__fixtures__/load-fixture.ts'
import type { Fixture } from './__fixtures__/load-fixture.ts'

const fixtures = {
  host: loadFixture('host-split.yaml'),
  subset: loadFixture('subset-split.yaml'),
  multi: loadFixture('multi-vs.yaml'),
}

function setup(fixture: Fixture, options: { target?: RouterTarget; config?: IstioTrafficRouting; objects?: KubeObject[] } = {}) {
  const kube = createMemoryKube(options.objects ?? fixture.objects)
  const target = options.target ?? targetOf(fixture.rollout)
  const router = createIstioRouter({ target, config: options.config ?? fixture.config }, { kube })
  return { kube, router, target }
}

/** Records every server-side apply (kind, body, options) made through a memory kube. */
function recordApplies(kube: MemoryKube) {
  const calls: { kind: string; body: KubeObject; options: ApplyOptions }[] = []
  const apply = kube.apply.bind(kube)
  kube.apply = async (object, options) => {
    calls.push({ kind: object.kind, body: structuredClone(object), options })
    return apply(object, options)
  }
  return calls
}

const get = (kube: MemoryKube, apiVersion: string, kind: string, name: string, namespace = 'default') =>
  kube.get<KubeObject & { spec: Record<string, unknown> }>({ apiVersion, kind, namespace, name })

describe('conformance', () => {
  for (const [name, fixture] of Object.entries(fixtures)) {
    describe(`${name} fixture`, () => {
      describeTrafficRouter('istio', (target) => {
        const kube = createMemoryKube(fixture.objects)
        return { kube, router: createIstioRouter({ target, config: fixture.config }, { kube }) }
      })
    })
  }
})

describe('createIstioRouter', () => {
  it('exports the capabilities it declares', () => {
    const { router } = setup(fixtures.host)
    expect(router.capabilities).toBe(istioCapabilities)
    expect(istioCapabilities).toEqual({
      headerRouting: { matchTypes: ['exact', 'prefix', 'regex'] },
      mirroring: true,
      maxTrafficWeight: false,
      weightVerification: false,
      additionalDestinations: false,
    })
  })

  it('leaves every user route and field as it was through a whole rollout', async () => {
    const { kube, router } = setup(fixtures.host)
    const before = await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web')
    const header = { name: 'header-1', match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }] }
    const mirror = { name: 'mirror-1', match: [{ method: { exact: 'GET' } }], percentage: 50 }
    for (const desired of [
      desiredTraffic(0),
      desiredTraffic(20),
      desiredTraffic(20, { headerRoutes: [header] }),
      desiredTraffic(50, { headerRoutes: [header], mirrorRoutes: [mirror] }),
      desiredTraffic(50, { mirrorRoutes: [mirror] }),
      desiredTraffic(100),
      desiredTraffic(0),
    ]) {
      await router.apply(desired)
    }
    const after = await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web')
    // Back at weight 0 with no managed route, the object reads as it was seeded, byte for byte.
    expect(after?.spec).toEqual(before?.spec)
    expect(after?.metadata.labels).toEqual(before?.metadata.labels)
  })

  it('sets only the weights of the selected route and keeps its other destination fields', async () => {
    const { kube, router } = setup(fixtures.host)
    await router.apply(desiredTraffic(30))
    const vs = await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web')
    const http = vs?.spec.http as { name: string; route: { weight?: number; headers?: unknown }[]; timeout?: string; retries?: unknown }[]
    expect(http.map((r) => r.name)).toEqual(['debug', 'primary'])
    const seeded = fixtures.host.objects.find((o) => o.kind === 'VirtualService') as KubeObject & { spec: { http: unknown[] } }
    expect(http[0]).toEqual(seeded.spec.http[0])
    expect(http[1]?.route.map((d) => d.weight)).toEqual([70, 30])
    expect(http[1]?.route[0]?.headers).toEqual({ response: { set: { 'x-served-by': 'stable' } } })
    expect(http[1]?.retries).toEqual({ attempts: 3, perTryTimeout: '2s' })
  })

  it('writes with server-side apply as sluice-istio, only the route lists, with the resourceVersion read as a precondition', async () => {
    const { kube, router } = setup(fixtures.host)
    const calls = recordApplies(kube)
    const read = await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web')
    await router.apply(desiredTraffic(10))
    expect(calls).toHaveLength(1)
    const [call] = calls
    expect(call?.options).toEqual({ fieldManager: 'sluice-istio', force: true })
    expect(call?.body.apiVersion).toBe('networking.istio.io/v1')
    expect(call?.body.metadata).toEqual({ name: 'web', namespace: 'default', resourceVersion: read?.metadata.resourceVersion })
    expect(Object.keys(call?.body.spec as object)).toEqual(['http'])
  })

  it('does not write when the desired state is already in place, managed routes included', async () => {
    const { kube, router } = setup(fixtures.subset)
    const desired = desiredTraffic(40, {
      headerRoutes: [{ name: 'header-1', match: [{ headerName: 'x-canary', headerValue: { prefix: 'y' } }] }],
      mirrorRoutes: [{ name: 'mirror-1', match: [{ path: { prefix: '/api' } }], percentage: 10 }],
    })
    expect(await router.apply(desired)).toHaveLength(2)
    const writes = { ...kube.writes }
    expect(await router.apply(desired)).toEqual([])
    expect(kube.writes).toEqual(writes)
  })

  it('reports what changed on each object', async () => {
    const { router } = setup(fixtures.subset)
    expect(await router.apply(desiredTraffic(0))).toEqual([
      { object: 'DestinationRule default/web', result: 'updated', detail: 'subset canary → c4n4ry; subset stable → st4bl3; marked as managed by Rollout web' },
    ])
    const header = { name: 'header-2', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }
    expect(await router.apply(desiredTraffic(25, { headerRoutes: [header] }))).toEqual([
      { object: 'VirtualService default/web', result: 'updated', detail: 'canary weight 0 → 25; managed routes (none) → header-2' },
    ])
  })

  it('finds objects under v1beta1 and v1alpha3 and writes them back under the same version', async () => {
    for (const fixture of [fixtures.subset, fixtures.multi]) {
      const { kube, router } = setup(fixture)
      await router.apply(desiredTraffic(60))
      const versions = kube.all().filter((o) => o.apiVersion.startsWith('networking.istio.io/')).map((o) => `${o.kind} ${o.apiVersion}`)
      const seeded = fixture.objects.filter((o) => o.apiVersion.startsWith('networking.istio.io/')).map((o) => `${o.kind} ${o.apiVersion}`)
      expect(versions.sort()).toEqual(seeded.sort())
      expect((await router.observe()).canaryWeight).toBe(60)
    }
  })

  it('prefers networking.istio.io/v1 when an object answers under several versions', async () => {
    const vs = fixtures.host.objects.find((o) => o.kind === 'VirtualService') as KubeObject
    const stale = { ...structuredClone(vs), apiVersion: 'networking.istio.io/v1alpha3', spec: { http: [] } }
    const { kube, router } = setup(fixtures.host, { objects: [...fixtures.host.objects, stale] })
    const calls = recordApplies(kube)
    await router.apply(desiredTraffic(5))
    expect(calls.map((c) => c.body.apiVersion)).toEqual(['networking.istio.io/v1'])
  })

  it('shifts the selected TLS and TCP routes of a VirtualService in another namespace and leaves the others', async () => {
    const { kube, router } = setup(fixtures.multi)
    await router.apply(desiredTraffic(35))
    const edge = await get(kube, 'networking.istio.io/v1alpha3', 'VirtualService', 'web-edge', 'mesh')
    const tls = edge?.spec.tls as { route: { weight?: number }[] }[]
    const tcp = edge?.spec.tcp as { route: { weight?: number }[] }[]
    expect(tls.map((r) => r.route.map((d) => d.weight))).toEqual([[65, 35], [undefined]])
    expect(tcp.map((r) => r.route.map((d) => d.weight))).toEqual([[65, 35], [undefined]])
    expect(edge?.spec.gateways).toEqual(['mesh/edge'])
  })

  it('puts managed routes only into VirtualServices with a selected HTTP route', async () => {
    const { kube, router } = setup(fixtures.multi)
    const header = { name: 'header-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }
    await router.apply(desiredTraffic(10, { headerRoutes: [header] }))
    const web = await get(kube, 'networking.istio.io/v1alpha3', 'VirtualService', 'web')
    const edge = await get(kube, 'networking.istio.io/v1alpha3', 'VirtualService', 'web-edge', 'mesh')
    expect((web?.spec.http as { name: string }[]).map((r) => r.name)).toEqual(['header-1', 'primary'])
    expect(edge?.spec.http).toBeUndefined()
  })

  describe('subset-level split', () => {
    it('labels the canary and stable subsets and keeps every other subset, label, annotation and policy', async () => {
      const objects = structuredClone(fixtures.subset.objects)
      const seededRule = objects.find((o) => o.kind === 'DestinationRule') as KubeObject
      seededRule.metadata.annotations = { 'team.example.com/owner': 'storefront' }
      const { kube, router } = setup(fixtures.subset, { objects })
      await router.apply(desiredTraffic(10))
      const rule = await get(kube, 'networking.istio.io/v1beta1', 'DestinationRule', 'web')
      expect(rule?.metadata.annotations).toEqual({ 'team.example.com/owner': 'storefront', 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' })
      expect(rule?.spec).toEqual({
        host: 'web.default.svc.cluster.local',
        trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
        subsets: [
          { name: 'canary', labels: { app: 'web', 'rollouts-pod-template-hash': 'c4n4ry' } },
          { name: 'stable', labels: { app: 'web', 'rollouts-pod-template-hash': 'st4bl3' } },
          { name: 'legacy', labels: { app: 'web', version: 'v0' }, trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } },
        ],
      })
    })

    /** Sets up a subset split in the state `(canary hash, stable hash, canary weight)` and returns which kinds `apply(next)` writes, in order. */
    async function writeOrder(from: [string, string, number], to: [string, string, number]): Promise<string[]> {
      const { kube, router } = setup(fixtures.subset)
      const state = ([canary, stable, weight]: [string, string, number]) => {
        const desired = desiredTraffic(weight)
        desired.canary.podTemplateHash = canary
        desired.stable.podTemplateHash = stable
        return desired
      }
      await router.apply(state(from))
      const calls = recordApplies(kube)
      await router.apply(state(to))
      return calls.map((c) => c.kind)
    }

    it.each([
      // from (canary hash, stable hash, weight) → to: expected writes
      [['v2', 'v1', 0], ['v2', 'v1', 20], ['VirtualService']], // a step: weights only
      [['v1', 'v1', 0], ['v2', 'v1', 0], ['DestinationRule']], // a new revision starts at 0: hashes only
      [['v1', 'v1', 0], ['v2', 'v1', 10], ['DestinationRule', 'VirtualService']], // raising weight: move hashes first
      [['v2', 'v1', 20], ['v3', 'v1', 0], ['VirtualService', 'DestinationRule']], // canary replaced while weighted: weight to 0 first
      [['v2', 'v1', 100], ['v2', 'v2', 0], ['DestinationRule', 'VirtualService']], // promotion: stable subset to v2 before weight returns to it
      [['v2', 'v1', 30], ['v1', 'v1', 0], ['DestinationRule', 'VirtualService']], // rollback to stable: both orders safe, hashes first
    ] as const)('from %j to %j writes %j', async (from, to, expected) => {
      expect(await writeOrder([...from], [...to])).toEqual(expected)
    })

    it('refuses a DestinationRule managed by another Rollout', async () => {
      const objects = structuredClone(fixtures.subset.objects)
      const rule = objects.find((o) => o.kind === 'DestinationRule') as KubeObject
      rule.metadata.annotations = { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'checkout' }
      const { router } = setup(fixtures.subset, { objects })
      expect((await router.validate()).map(formatFieldError)).toEqual([
        'spec.strategy.canary.trafficRouting.istio.destinationRule.name: Invalid value: "web": DestinationRule default/web is managed by another Rollout ("checkout")',
      ])
    })
  })

  describe('destinations Sluice does not own', () => {
    const withExtraDestination = (weight: number) => {
      const objects = structuredClone(fixtures.subset.objects)
      const vs = objects.find((o) => o.kind === 'VirtualService') as KubeObject & { spec: { http: { route: unknown[] }[] } }
      vs.spec.http[0] = {
        ...vs.spec.http[0],
        route: [
          { destination: { host: 'web', subset: 'stable' }, weight: 100 - weight },
          { destination: { host: 'web', subset: 'canary' }, weight: 0 },
          { destination: { host: 'web', subset: 'legacy' }, weight },
        ],
      }
      return objects
    }
    const config = { ...fixtures.subset.config, destinationRule: { ...fixtures.subset.config.destinationRule!, additionalSubsetNames: ['legacy'] } }

    it.each([
      // canary weight asked → stable, canary, legacy weights written (legacy holds 10)
      [0, [90, 0, 10]],
      [30, [60, 30, 10]],
      [90, [0, 90, 10]],
      [100, [0, 90, 10]], // capped: the canary gets everything Sluice controls, the route still sums to 100
    ])('canary %i → weights %j', async (canary, weights) => {
      const { kube, router } = setup(fixtures.subset, { objects: withExtraDestination(10), config })
      await router.apply(desiredTraffic(canary))
      const vs = await get(kube, 'networking.istio.io/v1beta1', 'VirtualService', 'web')
      expect((vs?.spec.http as { route: { weight: number }[] }[])[0]?.route.map((d) => d.weight)).toEqual(weights)
    })
  })

  describe('header and mirror routes', () => {
    it('builds header routes to the canary destination as the weighted route names it, first in managedRoutes order', async () => {
      const { kube, router } = setup(fixtures.host)
      await router.apply(
        desiredTraffic(20, {
          headerRoutes: [
            { name: 'header-1', match: [{ headerName: 'X-User', headerValue: { regex: '^qa-.*' } }, { headerName: 'x-canary', headerValue: { exact: 'yes' } }] },
            { name: 'header-2', match: [{ headerName: 'x-beta', headerValue: { prefix: 'on' } }] },
          ],
          mirrorRoutes: [{ name: 'mirror-1', match: [{ method: { exact: 'POST' }, path: { prefix: '/orders' }, headers: { 'X-Tenant': { exact: 'acme' } } }], percentage: 25 }],
        }),
      )
      const http = (await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web'))?.spec.http as Record<string, unknown>[]
      expect(http.map((r) => r.name)).toEqual(['header-1', 'header-2', 'mirror-1', 'debug', 'primary'])
      const canary = { host: 'web-canary.default.svc.cluster.local', port: { number: 80 } }
      expect(http[0]).toEqual({
        name: 'header-1',
        match: [{ headers: { 'x-user': { regex: '^qa-.*' } } }, { headers: { 'x-canary': { exact: 'yes' } } }],
        route: [{ destination: canary, weight: 100 }],
      })
      expect(http[2]).toEqual({
        name: 'mirror-1',
        match: [{ method: { exact: 'POST' }, uri: { prefix: '/orders' }, headers: { 'x-tenant': { exact: 'acme' } } }],
        route: (http[4] as { route: unknown }).route,
        mirror: canary,
        mirrorPercentage: { value: 25 },
      })
    })

    it('uses the DestinationRule host and canary subset in subset mode', async () => {
      const { kube, router } = setup(fixtures.subset)
      await router.apply(desiredTraffic(0, { headerRoutes: [{ name: 'header-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }] }))
      const http = (await get(kube, 'networking.istio.io/v1beta1', 'VirtualService', 'web'))?.spec.http as { route: unknown[] }[]
      expect(http[0]?.route).toEqual([{ destination: { host: 'web', subset: 'canary' }, weight: 100 }])
    })

    it('keeps mirror route weights in step with the split', async () => {
      const { kube, router } = setup(fixtures.host)
      const mirror = { name: 'mirror-1', match: [{ method: { exact: 'GET' } }], percentage: 100 }
      for (const weight of [20, 60]) {
        await router.apply(desiredTraffic(weight, { mirrorRoutes: [mirror] }))
        const http = (await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web'))?.spec.http as { route: { weight: number }[] }[]
        expect(http[0]?.route.map((d) => d.weight)).toEqual([100 - weight, weight])
      }
    })

    it('removes a route named in managedRoutes that is not desired, even one it did not write', async () => {
      const objects = structuredClone(fixtures.host.objects)
      const vs = objects.find((o) => o.kind === 'VirtualService') as KubeObject & { spec: { http: unknown[] } }
      vs.spec.http.push({ name: 'header-2', route: [{ destination: { host: 'web-canary' } }] })
      const { kube, router } = setup(fixtures.host, { objects })
      await router.apply(desiredTraffic(0))
      const http = (await get(kube, 'networking.istio.io/v1', 'VirtualService', 'web'))?.spec.http as { name: string }[]
      expect(http.map((r) => r.name)).toEqual(['debug', 'primary'])
    })

    it('refuses managed routes when no VirtualService has a selected HTTP route', async () => {
      const config = { virtualServices: [{ name: 'web-edge.mesh', tlsRoutes: [{ port: 443, sniHosts: ['web.example.com'] }], tcpRoutes: [{ port: 5432 }] }] }
      const { router } = setup(fixtures.multi, { config })
      const error = await router.apply(desiredTraffic(0, { headerRoutes: [{ name: 'header-1', match: [{ headerName: 'a', headerValue: { exact: 'b' } }] }] })).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AdapterError)
      expect(isTerminal(error)).toBe(true)
    })
  })

  it('keeps an edit a user made to the VirtualService between two applies', async () => {
    const { kube, router } = setup(fixtures.host)
    await router.apply(desiredTraffic(10))
    const ref = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'web' }
    const current = await kube.get<KubeObject & { spec: { http: unknown[] } }>(ref)
    await kube.mergePatch(ref, { spec: { hosts: ['web.example.com', 'www.example.com'], http: [{ name: 'maintenance', route: [{ destination: { host: 'sorry' } }] }, ...(current?.spec.http ?? [])] } })
    await router.apply(desiredTraffic(40))
    const after = await kube.get<KubeObject & { spec: { hosts: string[]; http: { name: string }[] } }>(ref)
    expect(after?.spec.hosts).toEqual(['web.example.com', 'www.example.com'])
    expect(after?.spec.http.map((r) => r.name)).toEqual(['maintenance', 'debug', 'primary'])
  })

  it('refuses to apply an invalid configuration, writing nothing', async () => {
    const { kube, router } = setup(fixtures.host, { config: { virtualService: { name: 'web', routes: ['missing'] } } })
    const error = await router.apply(desiredTraffic(10)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AdapterError)
    expect(isTerminal(error)).toBe(true)
    expect((error as Error).message).toBe(
      '[istio] VirtualService default/web: spec.strategy.canary.trafficRouting.istio.virtualService.name: Invalid value: "web": VirtualService default/web has no HTTP route "missing" (named in routes)',
    )
    expect(kube.writes.apply).toBe(0)
  })

  it('refuses a weight scale other than 100', async () => {
    const { router } = setup(fixtures.host)
    await expect(router.apply(desiredTraffic(250, { maxWeight: 1000 }))).rejects.toThrow(/weight scale of 1000 is not supported/)
  })

  it('observe throws when the VirtualService is gone', async () => {
    const { kube, router } = setup(fixtures.host)
    await kube.delete({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: 'default', name: 'web' })
    await expect(router.observe()).rejects.toThrow(/VirtualService "web" not found in namespace "default"/)
  })
})

describe('validate', () => {
  const root = 'spec.strategy.canary.trafficRouting.istio'
  const vsOf = (fixture: Fixture) => fixture.objects.find((o) => o.kind === 'VirtualService') as KubeObject & { spec: { http?: unknown[] } }
  const host = fixtures.host.config
  const subset = fixtures.subset.config

  it.each<[string, Fixture, (objects: KubeObject[]) => void, IstioTrafficRouting | undefined, Partial<RouterTarget> | undefined, string[]]>([
    ['the fixtures are valid', fixtures.host, () => {}, undefined, undefined, []],
    [
      'both virtualService and virtualServices',
      fixtures.host,
      () => {},
      { ...host, virtualServices: [{ name: 'web' }] },
      undefined,
      [`${root}: Invalid value: set exactly one of virtualService and virtualServices, not both`],
    ],
    ['neither virtualService nor virtualServices', fixtures.host, () => {}, {}, undefined, [`${root}: Required value: set one of virtualService and virtualServices`]],
    [
      'a missing VirtualService (second of two)',
      fixtures.host,
      () => {},
      { virtualServices: [{ name: 'web', routes: ['primary'] }, { name: 'api' }] },
      undefined,
      [`${root}.virtualServices[1].name: Not found: "api": VirtualService "api" not found in namespace "default" (looked up as networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3)`],
    ],
    [
      'a VirtualService without routes',
      fixtures.host,
      (objects) => void (vsOf({ objects } as Fixture).spec = {}),
      undefined,
      undefined,
      [`${root}.virtualService.name: Invalid value: "web": VirtualService default/web has no http, tls or tcp routes`],
    ],
    [
      'a named route that is missing',
      fixtures.host,
      () => {},
      { virtualService: { name: 'web', routes: ['primary', 'secondary'] } },
      undefined,
      [`${root}.virtualService.name: Invalid value: "web": VirtualService default/web has no HTTP route "secondary" (named in routes)`],
    ],
    [
      'routes omitted with two candidate routes (Argo Rollouts would silently patch nothing)',
      fixtures.host,
      () => {},
      { virtualService: { name: 'web' } },
      undefined,
      [`${root}.virtualService.name: Invalid value: "web": VirtualService default/web has 2 HTTP routes outside managedRoutes (HTTP route "debug", HTTP route "primary"): name the ones to shift in routes`],
    ],
    [
      'a route without the canary destination',
      fixtures.host,
      () => {},
      { virtualService: { name: 'web', routes: ['debug'] } },
      undefined,
      [`${root}.virtualService.name: Invalid value: "web": VirtualService default/web: HTTP route "debug" has no destination for the canary Service "web-canary"`],
    ],
    [
      'a route without the stable subset',
      fixtures.subset,
      (objects) => void ((vsOf({ objects } as Fixture).spec.http as { route: unknown[] }[])[0]?.route.shift()),
      undefined,
      undefined,
      [`${root}.virtualService.name: Invalid value: "web": VirtualService default/web: HTTP route http[0] has no destination for the stable subset "stable" of host "web.default.svc.cluster.local"`],
    ],
    [
      'TLS and TCP selectors matching nothing',
      fixtures.multi,
      () => {},
      { virtualServices: [{ name: 'web-edge.mesh', tlsRoutes: [{ port: 8443 }], tcpRoutes: [{ port: 5432 }, { port: 3306 }] }] },
      undefined,
      [
        `${root}.virtualServices[0].name: Invalid value: "web-edge.mesh": VirtualService mesh/web-edge has no TLS route matching tlsRoutes[0] (port 8443)`,
        `${root}.virtualServices[0].name: Invalid value: "web-edge.mesh": VirtualService mesh/web-edge has no TCP route matching tcpRoutes[1] (port 3306)`,
      ],
    ],
    [
      'a missing DestinationRule',
      fixtures.subset,
      (objects) => void objects.splice(objects.findIndex((o) => o.kind === 'DestinationRule'), 1),
      undefined,
      undefined,
      [`${root}.destinationRule.name: Not found: "web": DestinationRule "web" not found in namespace "default" (looked up as networking.istio.io/v1, networking.istio.io/v1beta1, networking.istio.io/v1alpha3)`],
    ],
    [
      'a canary subset missing from the DestinationRule',
      fixtures.subset,
      () => {},
      { ...subset, destinationRule: { name: 'web', canarySubsetName: 'preview', stableSubsetName: 'stable' } },
      undefined,
      [
        `${root}.destinationRule.name: Invalid value: "web": DestinationRule default/web has no subset "preview" (the canary subset)`,
        `${root}.virtualService.name: Invalid value: "web": VirtualService default/web: HTTP route http[0] has no destination for the canary subset "preview" of host "web.default.svc.cluster.local"`,
      ],
    ],
    [
      'host-level split without canaryService and stableService',
      fixtures.host,
      () => {},
      undefined,
      { canaryService: '', stableService: '' },
      [
        'spec.strategy.canary.canaryService: Required value: Istio host-level splitting needs both canaryService and stableService (or trafficRouting.istio.destinationRule for subset-level splitting)',
        'spec.strategy.canary.stableService: Required value: Istio host-level splitting needs both canaryService and stableService (or trafficRouting.istio.destinationRule for subset-level splitting)',
        `${root}.virtualService.name: Invalid value: "web": VirtualService default/web: HTTP route "primary" has no destination for the canary Service ""`,
        `${root}.virtualService.name: Invalid value: "web": VirtualService default/web: HTTP route "primary" has no destination for the stable Service ""`,
      ],
    ],
  ])('%s', async (_title, fixture, mutate, config, target, expected) => {
    const objects = structuredClone(fixture.objects)
    mutate(objects)
    const { router } = setup(fixture, { objects, config, target: { ...targetOf(fixture.rollout), ...target } })
    expect((await router.validate()).map(formatFieldError)).toEqual(expected)
  })

  it('never writes', async () => {
    const { kube, router } = setup(fixtures.subset)
    await router.validate()
    expect(kube.writes).toEqual({ create: 0, replace: 0, mergePatch: 0, apply: 0, delete: 0 })
  })

  it('fits the conformance target used by the shared suite', () => {
    expect(targetOf(fixtures.host.rollout)).toEqual({ ...conformanceTarget, rollout: { ...conformanceTarget.rollout, uid: '' } })
  })
})
