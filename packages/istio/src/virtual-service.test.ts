import { describe, expect, it } from 'vitest'
import {
  buildHeaderRoute,
  buildMirrorRoute,
  buildRouteLists,
  findDestinationProblems,
  parseVirtualServiceName,
  readManagedRoutes,
  readSplitWeights,
  roleOf,
  selectRoutes,
  setRouteWeights,
  shortHost,
} from './virtual-service.ts'
import type { HttpRoute, RouteDestination, TrafficSplit, VirtualServiceSpec } from './virtual-service.ts'

const hostSplit: TrafficSplit = { level: 'host', canaryService: 'web-canary', stableService: 'web-stable' }
const subsetSplit: TrafficSplit = { level: 'subset', host: 'web.default.svc.cluster.local', canarySubset: 'canary', stableSubset: 'stable' }

const to = (host: string, weight?: number, subset?: string): RouteDestination => {
  const entry: RouteDestination = { destination: subset === undefined ? { host } : { host, subset } }
  if (weight !== undefined) entry.weight = weight
  return entry
}
const weighted = (name: string | undefined, stable = 100, canary = 0): HttpRoute => {
  const route: HttpRoute = { route: [to('web-stable', stable), to('web-canary', canary)] }
  if (name !== undefined) route.name = name
  return route
}

describe('shortHost', () => {
  it.each([
    ['web', 'web'], // already short
    ['web.default', 'web'], // namespaced
    ['web.default.svc.cluster.local', 'web'], // FQDN
    ['', ''], // empty stays empty
  ])('%s → %s', (host, short) => {
    expect(shortHost(host)).toBe(short)
  })
})

describe('parseVirtualServiceName', () => {
  it.each([
    ['web', { name: 'web', namespace: 'default' }], // the rollout's namespace
    ['web.mesh', { name: 'web', namespace: 'mesh' }], // name.namespace
    ['web.v2.mesh', { name: 'web.v2', namespace: 'mesh' }], // the last segment is the namespace
    ['web.mesh.svc.cluster.local', { name: 'web', namespace: 'mesh' }], // cluster suffix ignored
    ['web.mesh.cluster.local', { name: 'web', namespace: 'mesh' }], // shorter cluster suffix ignored
    ['web.', { name: 'web.', namespace: 'default' }], // a trailing dot names no namespace
  ])('%s', (value, expected) => {
    expect(parseVirtualServiceName(value, 'default')).toEqual(expected)
  })
})

describe('roleOf', () => {
  it.each<[string, TrafficSplit, RouteDestination['destination'], string]>([
    ['canary Service by short name', hostSplit, { host: 'web-canary' }, 'canary'],
    ['canary Service by FQDN', hostSplit, { host: 'web-canary.default.svc.cluster.local' }, 'canary'],
    ['stable Service with a subset still counts by host', hostSplit, { host: 'web-stable', subset: 'x' }, 'stable'],
    ['another Service', hostSplit, { host: 'web-canary2' }, 'other'],
    ['canary subset of the rule host', subsetSplit, { host: 'web', subset: 'canary' }, 'canary'],
    ['stable subset of the rule host', subsetSplit, { host: 'web.default', subset: 'stable' }, 'stable'],
    ['same subset name on another host', subsetSplit, { host: 'api', subset: 'canary' }, 'other'],
    ['an additional subset', subsetSplit, { host: 'web', subset: 'legacy' }, 'other'],
    ['host unknown (rule unreadable): subset name alone', { ...subsetSplit, host: undefined }, { host: 'api', subset: 'canary' }, 'canary'],
  ])('%s', (_title, split, destination, role) => {
    expect(roleOf(destination, split)).toBe(role)
  })
})

describe('setRouteWeights', () => {
  it.each<[string, RouteDestination[], TrafficSplit, number, (number | undefined)[]]>([
    ['first step', [to('web-stable', 100), to('web-canary', 0)], hostSplit, 20, [80, 20]],
    ['all to canary', [to('web-stable', 100), to('web-canary', 0)], hostSplit, 100, [0, 100]],
    ['back to stable', [to('web-stable', 10), to('web-canary', 90)], hostSplit, 0, [100, 0]],
    ['canary listed first', [to('web-canary', 0), to('web-stable', 100)], hostSplit, 5, [5, 95]],
    ['absent weights read as 0', [to('web-stable'), to('web-canary')], hostSplit, 30, [70, 30]],
    ['another host keeps its weight, stable gives way', [to('web-stable', 70), to('web-canary', 0), to('search', 30)], hostSplit, 20, [50, 20, 30]],
    ['canary capped at what others leave', [to('web-stable', 70), to('web-canary', 0), to('search', 30)], hostSplit, 100, [0, 70, 30]],
    ['additional subset keeps its weight', [to('web', 90, 'stable'), to('web', 0, 'canary'), to('web', 10, 'legacy')], subsetSplit, 45, [45, 45, 10]],
    ['others over 100: nothing left, never negative', [to('web-stable', 0), to('web-canary', 0), to('search', 120)], hostSplit, 10, [0, 0, 120]],
  ])('%s', (_title, route, split, canary, weights) => {
    expect(setRouteWeights(route, split, canary).map((d) => d.weight)).toEqual(weights)
  })

  it('returns entries whose weight does not change as the same objects, other fields included', () => {
    const stable = { ...to('web-stable', 80), headers: { request: { set: { a: 'b' } } } }
    const canary = to('web-canary', 20)
    const [s, c] = setRouteWeights([stable, canary], hostSplit, 20)
    expect(s).toBe(stable)
    expect(c).toBe(canary)
    const [s2] = setRouteWeights([stable, canary], hostSplit, 30)
    expect(s2).toEqual({ ...stable, weight: 70 })
  })

  it('leaves an absent canary weight absent when it stays 0', () => {
    const route = [to('web-stable', 100), to('web-canary')]
    expect(setRouteWeights(route, hostSplit, 0)[1]).toBe(route[1])
  })
})

describe('selectRoutes', () => {
  const spec = (http: HttpRoute[], rest: Partial<VirtualServiceSpec> = {}): VirtualServiceSpec => ({ http, ...rest })
  const tlsRoute = (port: number | undefined, sniHosts: string[]) => ({ match: [{ ...(port === undefined ? {} : { port }), sniHosts }], route: [] })
  const tcpRoute = (port: number) => ({ match: [{ port }], route: [] })

  it.each<[string, VirtualServiceSpec, Parameters<typeof selectRoutes>[1], { http?: number[]; tls?: number[]; tcp?: number[] }, string[]]>([
    ['one unnamed route, routes omitted', spec([weighted(undefined)]), {}, { http: [0] }, []],
    ['one named route, routes omitted', spec([weighted('primary')]), {}, { http: [0] }, []],
    ['managed routes are not candidates', spec([weighted('header-1'), weighted('primary')]), {}, { http: [1] }, []],
    ['routes named', spec([weighted('a'), weighted('b'), weighted('c')]), { routes: ['c', 'a'] }, { http: [0, 2] }, []],
    ['routes: [] selects no HTTP route (TLS only)', spec([weighted('a')], { tls: [tlsRoute(443, ['x'])] }), { routes: [] }, { tls: [0] }, []],
    ['routes: [] and nothing else', spec([weighted('a')]), { routes: [] }, {}, ['has no route selected by routes, tlsRoutes or tcpRoutes']],
    ['no routes at all', {}, {}, {}, ['has no http, tls or tcp routes']],
    ['a named route is missing', spec([weighted('a')]), { routes: ['a', 'b'] }, { http: [0] }, ['has no HTTP route "b" (named in routes)']],
    [
      'a named route is also managed',
      spec([weighted('header-1'), weighted('primary')]),
      { routes: ['header-1', 'primary'] },
      { http: [1] },
      ['has HTTP route "header-1" named in both routes and managedRoutes (managed routes are created and deleted by Sluice)'],
    ],
    [
      'two candidates: an error instead of a silent no-op (Argo Rollouts #4741)',
      spec([weighted('a'), weighted('b')]),
      {},
      {},
      ['has 2 HTTP routes outside managedRoutes (HTTP route "a", HTTP route "b"): name the ones to shift in routes'],
    ],
    ['only managed routes', spec([weighted('header-1')]), {}, {}, ['has no HTTP route outside managedRoutes to shift traffic on']],
    ['one TLS route beside HTTP, tlsRoutes omitted: selected too', spec([weighted('a')], { tls: [tlsRoute(443, ['x'])] }), {}, { http: [0], tls: [0] }, []],
    [
      'two TLS routes, tlsRoutes omitted',
      spec([], { tls: [tlsRoute(443, ['x']), tlsRoute(443, ['y'])] }),
      {},
      {},
      ['has 2 TLS routes: select the ones to shift with tlsRoutes (or tlsRoutes: [] for none)'],
    ],
    ['TLS by port and SNI hosts (order free)', spec([], { tls: [tlsRoute(443, ['x']), tlsRoute(443, ['y', 'z'])] }), { tlsRoutes: [{ port: 443, sniHosts: ['z', 'y'] }] }, { tls: [1] }, []],
    ['TLS by port alone matches every route on it', spec([], { tls: [tlsRoute(443, ['x']), tlsRoute(8443, ['y'])] }), { tlsRoutes: [{ port: 443 }] }, { tls: [0] }, []],
    ['TLS SNI hosts must be the same set', spec([], { tls: [tlsRoute(443, ['x', 'y'])] }), { tlsRoutes: [{ sniHosts: ['x'] }] }, {}, ['has no TLS route matching tlsRoutes[0] (sniHosts x)']],
    ['TLS port must match', spec([], { tls: [tlsRoute(undefined, ['x'])] }), { tlsRoutes: [{ port: 443, sniHosts: ['x'] }] }, {}, ['has no TLS route matching tlsRoutes[0] (port 443, sniHosts x)']],
    ['TCP by port', spec([], { tcp: [tcpRoute(5432), tcpRoute(6379)] }), { tcpRoutes: [{ port: 6379 }] }, { tcp: [1] }, []],
    ['TCP selector matching nothing', spec([], { tcp: [tcpRoute(5432)] }), { tcpRoutes: [{ port: 3306 }] }, {}, ['has no TCP route matching tcpRoutes[0] (port 3306)']],
    ['two TCP routes, tcpRoutes omitted', spec([], { tcp: [tcpRoute(1), tcpRoute(2)] }), {}, {}, ['has 2 TCP routes: select the ones to shift with tcpRoutes (or tcpRoutes: [] for none)']],
  ])('%s', (_title, vsSpec, selection, selected, problems) => {
    const result = selectRoutes(vsSpec, selection, ['header-1', 'mirror-1'])
    expect(result.problems).toEqual(problems)
    expect(result.selected).toEqual({ http: [], tls: [], tcp: [], ...selected })
  })
})

describe('findDestinationProblems', () => {
  it.each<[string, VirtualServiceSpec, TrafficSplit, string[]]>([
    ['canary and stable present', { http: [weighted('primary')] }, hostSplit, []],
    ['no canary', { http: [{ name: 'primary', route: [to('web-stable', 100)] }] }, hostSplit, ['HTTP route "primary" has no destination for the canary Service "web-canary"']],
    ['a redirect route has neither', { http: [{ redirect: { uri: '/' } }] }, hostSplit, [
      'HTTP route http[0] has no destination for the canary Service "web-canary"',
      'HTTP route http[0] has no destination for the stable Service "web-stable"',
    ]],
    ['two canary destinations', { http: [{ route: [to('web-stable', 50), to('web-canary', 25), to('web-canary.default', 25)] }] }, hostSplit, [
      'HTTP route http[0] has 2 destinations for the canary Service "web-canary"; it needs exactly one',
    ]],
    ['subset mode checks the rule host', { http: [{ route: [to('web', 100, 'stable'), to('api', 0, 'canary')] }] }, subsetSplit, [
      'HTTP route http[0] has no destination for the canary subset "canary" of host "web.default.svc.cluster.local"',
    ]],
  ])('%s', (_title, vsSpec, split, problems) => {
    expect(findDestinationProblems(vsSpec, { http: [0], tls: [], tcp: [] }, split)).toEqual(problems)
  })

  it('checks TLS and TCP routes', () => {
    const spec: VirtualServiceSpec = { tls: [{ route: [to('web-stable', 100)] }], tcp: [{ route: [to('web-canary', 100)] }] }
    expect(findDestinationProblems(spec, { http: [], tls: [0], tcp: [0] }, hostSplit)).toEqual([
      'TLS route tls[0] has no destination for the canary Service "web-canary"',
      'TCP route tcp[0] has no destination for the stable Service "web-stable"',
    ])
  })
})

describe('buildHeaderRoute', () => {
  const route = [
    { destination: { host: 'web-stable.default.svc.cluster.local', port: { number: 8080 } }, weight: 80 },
    { destination: { host: 'web-canary.default.svc.cluster.local' }, weight: 20, headers: { request: { set: { a: 'b' } } } },
  ]

  it.each<[string, Parameters<typeof buildHeaderRoute>[0]['match'], HttpRoute['match']]>([
    ['exact', [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }], [{ headers: { 'x-canary': { exact: 'yes' } } }]],
    ['prefix', [{ headerName: 'x-canary', headerValue: { prefix: 'y' } }], [{ headers: { 'x-canary': { prefix: 'y' } } }]],
    ['regex, name lower-cased', [{ headerName: 'X-User', headerValue: { regex: 'qa-.*' } }], [{ headers: { 'x-user': { regex: 'qa-.*' } } }]],
    ['several matches are ORed: one match entry each', [
      { headerName: 'a', headerValue: { exact: '1' } },
      { headerName: 'b', headerValue: { exact: '2' } },
    ], [{ headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }]],
  ])('%s', (_title, match, expected) => {
    expect(buildHeaderRoute({ name: 'header-1', match }, route, hostSplit)).toEqual({
      name: 'header-1',
      match: expected,
      // the canary host as the weighted route writes it, the port of the first destination (the canary has none)
      route: [{ destination: { host: 'web-canary.default.svc.cluster.local', port: { number: 8080 } }, weight: 100 }],
    })
  })

  it('keeps the canary subset and its own port in subset mode', () => {
    const subsetRoute = [to('web', 100, 'stable'), { destination: { host: 'web', subset: 'canary', port: { number: 9090 } }, weight: 0 }]
    expect(buildHeaderRoute({ name: 'h', match: [{ headerName: 'a', headerValue: { exact: 'b' } }] }, subsetRoute, subsetSplit).route).toEqual([
      { destination: { host: 'web', subset: 'canary', port: { number: 9090 } }, weight: 100 },
    ])
  })
})

describe('buildMirrorRoute', () => {
  const route = [to('web-stable', 70), to('web-canary', 30)]

  it.each<[string, Parameters<typeof buildMirrorRoute>[0]['match'], HttpRoute['match']]>([
    ['method', [{ method: { exact: 'GET' } }], [{ method: { exact: 'GET' } }]],
    ['path becomes uri', [{ path: { prefix: '/api' } }], [{ uri: { prefix: '/api' } }]],
    ['headers, names lower-cased', [{ headers: { 'X-Tenant': { regex: 'a.*' } } }], [{ headers: { 'x-tenant': { regex: 'a.*' } } }]],
    ['conditions of one entry ANDed, entries ORed', [{ method: { exact: 'POST' }, path: { exact: '/pay' } }, { method: { exact: 'PUT' } }], [
      { method: { exact: 'POST' }, uri: { exact: '/pay' } },
      { method: { exact: 'PUT' } },
    ]],
  ])('%s', (_title, match, expected) => {
    expect(buildMirrorRoute({ name: 'mirror-1', match, percentage: 40 }, route, hostSplit)).toEqual({
      name: 'mirror-1',
      match: expected,
      route,
      mirror: { host: 'web-canary' },
      mirrorPercentage: { value: 40 },
    })
  })

  it('copies the weighted destinations rather than sharing them', () => {
    const built = buildMirrorRoute({ name: 'm', match: [{}], percentage: 100 }, route, hostSplit)
    expect(built.route).toEqual(route)
    expect(built.route).not.toBe(route)
  })
})

describe('buildRouteLists', () => {
  const header = (name: string) => ({ name, match: [{ headerName: 'x', headerValue: { exact: name } }] })
  const mirror = (name: string) => ({ name, match: [{ method: { exact: 'GET' } }], percentage: 100 })
  const names = (lists: { http?: HttpRoute[] }) => lists.http?.map((r) => r.name ?? '(unnamed)')
  const managedRoutes = ['mirror-1', 'header-1', 'header-2']

  it.each<[string, HttpRoute[], { headers?: string[]; mirrors?: string[] }, (string | undefined)[]]>([
    ['no managed routes', [weighted('user'), weighted('primary')], {}, ['user', 'primary']],
    ['managed routes first, in managedRoutes order (mirror-1 before header-1)', [weighted('user'), weighted('primary')], { headers: ['header-1'], mirrors: ['mirror-1'] }, ['mirror-1', 'header-1', 'user', 'primary']],
    ['a managed route that is no longer desired is removed', [weighted('header-2'), weighted('primary')], { headers: ['header-1'] }, ['header-1', 'primary']],
    ['a managed route in the middle moves to the top; user routes keep their order', [weighted('b'), weighted('header-1'), weighted('primary'), weighted('a')], { headers: ['header-1'] }, ['header-1', 'b', 'primary', 'a']],
    ['unnamed user routes stay', [weighted(undefined), weighted('primary')], { headers: ['header-2'] }, ['header-2', '(unnamed)', 'primary']],
  ])('%s', (_title, http, desired, expected) => {
    const primary = http.findIndex((r) => r.name === 'primary')
    const lists = buildRouteLists({ http }, { http: [primary], tls: [], tcp: [] }, hostSplit, {
      canaryWeight: 10,
      headerRoutes: (desired.headers ?? []).map(header),
      mirrorRoutes: (desired.mirrors ?? []).map(mirror),
      managedRoutes,
    })
    expect(names(lists)).toEqual(expected)
  })

  it('weights the selected routes only, and the mirror route copies the new split', () => {
    const lists = buildRouteLists({ http: [weighted('other'), weighted('primary')] }, { http: [1], tls: [], tcp: [] }, hostSplit, {
      canaryWeight: 25,
      headerRoutes: [],
      mirrorRoutes: [mirror('mirror-1')],
      managedRoutes,
    })
    expect(lists.http?.map((r) => r.route?.map((d) => d.weight))).toEqual([
      [75, 25], // mirror-1
      [100, 0], // other: not selected
      [75, 25], // primary
    ])
  })

  it('leaves absent lists absent and returns the others', () => {
    const spec: VirtualServiceSpec = { tcp: [{ route: [to('web-stable', 100), to('web-canary', 0)] }] }
    expect(buildRouteLists(spec, { http: [], tls: [], tcp: [0] }, hostSplit, { canaryWeight: 50, headerRoutes: [], mirrorRoutes: [], managedRoutes })).toEqual({
      tcp: [{ route: [to('web-stable', 50), to('web-canary', 50)] }],
    })
  })

  it('adds no managed route when no HTTP route is selected', () => {
    const lists = buildRouteLists({ http: [weighted('a')] }, { http: [], tls: [], tcp: [] }, hostSplit, {
      canaryWeight: 0,
      headerRoutes: [header('header-1')],
      mirrorRoutes: [],
      managedRoutes,
    })
    expect(names(lists)).toEqual(['a'])
  })
})

describe('readSplitWeights and readManagedRoutes', () => {
  it.each<[string, VirtualServiceSpec, { http?: number[]; tls?: number[]; tcp?: number[] }, { canary: number; stable: number } | undefined]>([
    ['first selected HTTP route', { http: [weighted('a', 90, 10), weighted('b', 50, 50)] }, { http: [1] }, { canary: 50, stable: 50 }],
    ['HTTP before TLS', { http: [weighted('a', 90, 10)], tls: [{ route: [to('web-stable', 0), to('web-canary', 100)] }] }, { http: [0], tls: [0] }, { canary: 10, stable: 90 }],
    ['TCP when nothing else is selected', { tcp: [{ route: [to('web-canary', 5), to('web-stable', 95)] }] }, { tcp: [0] }, { canary: 5, stable: 95 }],
    ['absent weight reads as 0', { http: [{ route: [to('web-stable'), to('web-canary')] }] }, { http: [0] }, { canary: 0, stable: 0 }],
    ['nothing selected', { http: [weighted('a')] }, {}, undefined],
  ])('%s', (_title, spec, selected, weights) => {
    expect(readSplitWeights(spec, { http: [], tls: [], tcp: [], ...selected }, hostSplit)).toEqual(weights)
  })

  it('tells header from mirror routes by their mirror field, in precedence order', () => {
    const spec: VirtualServiceSpec = {
      http: [
        { name: 'mirror-1', mirror: { host: 'web-canary' }, route: [] },
        { name: 'header-1', route: [] },
        { name: 'user', mirror: { host: 'audit' }, route: [] },
        weighted('primary'),
      ],
    }
    expect(readManagedRoutes(spec, ['header-1', 'mirror-1'])).toEqual({ headerRoutes: ['header-1'], mirrorRoutes: ['mirror-1'] })
  })
})
