import { describe, expect, it } from 'vitest'
import type { NginxTrafficRouting } from '@sluice/core'
import { desiredTraffic } from '@sluice/core/testing'
import {
  argoCanaryRules,
  buildCanaryIngress,
  canaryAnnotations,
  canaryIngressName,
  canaryRules,
  isCanaryIngressUpToDate,
  readCanaryWeight,
  readHeaderRoutes,
} from './canary-ingress.ts'
import type { Ingress, IngressPath } from './ingress.ts'

const P = 'nginx.ingress.kubernetes.io'

const path = (p: string, service: string, port: { name?: string; number?: number } = { number: 80 }): IngressPath => ({
  path: p,
  pathType: 'Prefix',
  backend: { service: { name: service, port } },
})

const stableIngress = (spec: Ingress['spec'], annotations: Record<string, string> = {}): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'default', annotations },
  spec,
})

describe('canaryIngressName', () => {
  it.each([
    // rollout, stable Ingress → canary Ingress
    ['web', 'web', 'web-web-canary'], // the usual case, as Argo Rollouts names it
    ['web', 'a'.repeat(300), `web-${'a'.repeat(242)}-canary`], // cut to 253 characters
    ['web', `${'a'.repeat(241)}.b`, `web-${'a'.repeat(241)}-canary`], // a cut ending in a dot drops the dot
  ])('%s + %s → %s', (rollout, ingress, expected) => {
    const name = canaryIngressName(rollout, ingress)
    expect(name).toBe(expected)
    expect(name.length).toBeLessThanOrEqual(253)
  })
})

describe('canaryRules', () => {
  it.each<[string, Ingress['spec'], Ingress['spec']]>([
    [
      // only the stable path of a shared host is copied (Argo Rollouts copies the whole rule, issue #3541)
      'shared host',
      { rules: [{ host: 'a.example', http: { paths: [path('/', 'web-stable'), path('/docs', 'docs')] } }] },
      { rules: [{ host: 'a.example', http: { paths: [path('/', 'web-canary')] } }] },
    ],
    [
      // rules without the stable backend are dropped; host-less rules are kept as they are
      'several rules',
      {
        rules: [
          { host: 'cdn.example', http: { paths: [path('/', 'cdn')] } },
          { http: { paths: [path('/api', 'web-stable', { name: 'http' }), path('/v2', 'web-stable')] } },
        ],
      },
      { rules: [{ http: { paths: [path('/api', 'web-canary', { name: 'http' }), path('/v2', 'web-canary')] } }] },
    ],
    [
      // no rule with the stable backend (a defaultBackend alone does not count)
      'nothing to copy',
      { defaultBackend: { service: { name: 'web-stable', port: { number: 80 } } }, rules: [{ host: 'x', http: { paths: [path('/', 'other')] } }] },
      { rules: [] },
    ],
  ])('%s', (_name, spec, expected) => {
    expect(canaryRules(stableIngress(spec), 'web-stable', 'web-canary')).toEqual(expected?.rules)
  })
})

describe('canaryAnnotations', () => {
  const stable = stableIngress({}, { 'kubernetes.io/ingress.class': 'nginx', [`${P}/proxy-body-size`]: '8m' })
  const withBookkeeping = (annotations: Record<string, string>) => ({
    ok: true,
    annotations: { ...annotations, 'sluice.dev/managed-annotations': Object.keys(annotations).sort().join(',') },
  })

  it.each<[string, NginxTrafficRouting, ReturnType<typeof desiredTraffic>, Record<string, string>]>([
    [
      // the ingress class is copied; the stable Ingress' other annotations are not
      'defaults',
      { stableIngress: 'web' },
      desiredTraffic(20),
      { 'kubernetes.io/ingress.class': 'nginx', [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '20' },
    ],
    [
      // additional keys get the prefix unless they have it; canaryIngressAnnotations are verbatim and win
      'configured annotations',
      {
        stableIngress: 'web',
        additionalIngressAnnotations: { 'canary-by-cookie': 'beta', [`${P}/ssl-redirect`]: 'false', 'upstream-vhost': 'a' },
        canaryIngressAnnotations: { 'example.com/team': 'shop', [`${P}/upstream-vhost`]: 'b' },
      },
      desiredTraffic(5),
      {
        'kubernetes.io/ingress.class': 'nginx',
        [`${P}/canary-by-cookie`]: 'beta',
        [`${P}/ssl-redirect`]: 'false',
        [`${P}/upstream-vhost`]: 'b',
        'example.com/team': 'shop',
        [`${P}/canary`]: 'true',
        [`${P}/canary-weight`]: '5',
      },
    ],
    [
      // the router's own annotations override whatever the configuration says about them
      'weight cannot be overridden',
      { stableIngress: 'web', additionalIngressAnnotations: { 'canary-weight': '99', canary: 'false' } },
      desiredTraffic(0),
      { 'kubernetes.io/ingress.class': 'nginx', [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '0' },
    ],
    [
      // maxTrafficWeight: the scale goes into canary-weight-total
      'weight scale of 1000',
      { stableIngress: 'web', annotationPrefix: 'custom.io' },
      desiredTraffic(250, { maxWeight: 1000 }),
      { 'kubernetes.io/ingress.class': 'nginx', 'custom.io/canary': 'true', 'custom.io/canary-weight': '250', 'custom.io/canary-weight-total': '1000' },
    ],
    [
      // a header route adds canary-by-header and the route name
      'header route',
      { stableIngress: 'web' },
      desiredTraffic(10, { headerRoutes: [{ name: 'header-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }] }),
      {
        'kubernetes.io/ingress.class': 'nginx',
        [`${P}/canary-by-header`]: 'x-canary',
        [`${P}/canary-by-header-value`]: 'yes',
        [`${P}/canary`]: 'true',
        [`${P}/canary-weight`]: '10',
        'sluice.dev/header-routes': 'header-1',
      },
    ],
  ])('%s', (_name, config, desired, expected) => {
    expect(canaryAnnotations(stable, config, desired)).toEqual(withBookkeeping(expected))
  })

  it('refuses a header route while the configuration sets canary-by-header itself', () => {
    const result = canaryAnnotations(
      stable,
      { stableIngress: 'web', additionalIngressAnnotations: { 'canary-by-header': 'x-beta' } },
      desiredTraffic(10, { headerRoutes: [{ name: 'header-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }] }),
    )
    expect(result).toEqual({ ok: false, problem: expect.stringContaining(`${P}/canary-by-header, which the Rollout already sets`) })
  })

  it('keeps a configured canary-by-header while no header route is active', () => {
    const result = canaryAnnotations(stable, { stableIngress: 'web', additionalIngressAnnotations: { 'canary-by-header': 'x-beta' } }, desiredTraffic(10))
    expect(result.ok && result.annotations[`${P}/canary-by-header`]).toBe('x-beta')
  })
})

describe('buildCanaryIngress', () => {
  const input = (spec: Ingress['spec']) => ({
    stable: stableIngress(spec),
    name: 'web-web-canary',
    config: { stableIngress: 'web' },
    canaryService: 'web-canary',
    stableService: 'web-stable',
    desired: desiredTraffic(30),
  })

  it('copies the class and TLS, and only the stable paths', () => {
    const result = buildCanaryIngress(
      input({
        ingressClassName: 'nginx',
        tls: [{ hosts: ['a.example'], secretName: 'a-tls' }],
        rules: [{ host: 'a.example', http: { paths: [path('/', 'web-stable'), path('/docs', 'docs')] } }],
      }),
    )
    expect(result).toEqual({
      ok: true,
      ingress: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: 'web-web-canary',
          namespace: 'default',
          annotations: {
            [`${P}/canary`]: 'true',
            [`${P}/canary-weight`]: '30',
            'sluice.dev/managed-annotations': `${P}/canary,${P}/canary-weight`,
          },
        },
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: ['a.example'], secretName: 'a-tls' }],
          rules: [{ host: 'a.example', http: { paths: [path('/', 'web-canary')] } }],
        },
      },
    })
  })

  it('refuses a stable Ingress without a stable path', () => {
    expect(buildCanaryIngress(input({ rules: [{ http: { paths: [path('/', 'other')] } }] }))).toEqual({
      ok: false,
      problem: 'no path of its rules has the stable Service "web-stable" as backend',
    })
  })
})

describe('isCanaryIngressUpToDate', () => {
  const desired: Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'c',
      namespace: 'default',
      annotations: { [`${P}/canary`]: 'true', 'sluice.dev/managed-annotations': `${P}/canary` },
    },
    spec: { rules: [{ http: { paths: [path('/', 'web-canary')] } }] },
  }
  const existing = (annotations: Record<string, string>, spec: Ingress['spec'] = desired.spec): Ingress => ({
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: '7', annotations },
    spec,
  })

  it.each<[string, Ingress, boolean]>([
    // exactly what Sluice wants
    ['same', existing({ ...desired.metadata.annotations }), true],
    // an annotation added by hand is kept and does not count as a difference
    ['hand-added annotation', existing({ ...desired.metadata.annotations, 'example.com/note': 'x' }), true],
    // an annotation Sluice set before (listed) and no longer wants must go
    [
      'stale managed annotation',
      existing({ [`${P}/canary`]: 'true', [`${P}/canary-by-header`]: 'x', 'sluice.dev/managed-annotations': `${P}/canary,${P}/canary-by-header` }),
      false,
    ],
    // a changed value
    ['changed value', existing({ ...desired.metadata.annotations, [`${P}/canary`]: 'false' }), false],
    // TLS the stable Ingress no longer has
    ['stale TLS', existing({ ...desired.metadata.annotations }, { ...desired.spec, tls: [{ secretName: 's' }] }), false],
    // rules differ
    ['other rules', existing({ ...desired.metadata.annotations }, { rules: [] }), false],
  ])('%s → %s', (_name, current, upToDate) => {
    expect(isCanaryIngressUpToDate(current, desired)).toBe(upToDate)
  })
})

describe('readCanaryWeight and readHeaderRoutes', () => {
  const ingress = (annotations: Record<string, string>): Ingress => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { annotations } })
  it.each<[Record<string, string>, number | undefined]>([
    [{}, undefined], // never written
    [{ [`${P}/canary-weight`]: '35' }, 35],
    [{ [`${P}/canary-weight`]: ' 7 ' }, 7], // whitespace tolerated
    [{ [`${P}/canary-weight`]: 'ten' }, undefined], // not a number
    [{ 'other.io/canary-weight': '35' }, undefined], // another prefix
  ])('%j → %s', (annotations, weight) => {
    expect(readCanaryWeight(ingress(annotations), P)).toBe(weight)
  })

  it('reads route names in order', () => {
    expect(readHeaderRoutes(ingress({ 'sluice.dev/header-routes': 'b,a' }))).toEqual(['b', 'a'])
    expect(readHeaderRoutes(ingress({}))).toEqual([])
  })
})

describe('a canary Ingress Argo Rollouts left', () => {
  const stable = stableIngress({ rules: [{ host: 'a.example', http: { paths: [path('/', 'web-stable'), path('/docs', 'docs')] } }, { host: 'cdn.example', http: { paths: [path('/', 'cdn')] } }] })
  const argoRules = [{ host: 'a.example', http: { paths: [path('/', 'web-canary'), path('/docs', 'docs')] } }]
  const input = { stable, name: 'web-web-canary', config: { stableIngress: 'web' } as NginxTrafficRouting, canaryService: 'web-canary', stableService: 'web-stable', desired: desiredTraffic(20) }
  const argoMade: Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web-web-canary', namespace: 'default', annotations: { [`${P}/canary`]: 'true', [`${P}/canary-weight`]: '20' } },
    spec: { rules: argoRules },
  }

  it('argoCanaryRules: whole rules that reach the stable Service, with it swapped for the canary', () => {
    expect(argoCanaryRules(stable, 'web-stable', 'web-canary')).toEqual(argoRules)
  })

  it('keeps its rules and needs no write at the same weight', () => {
    const built = buildCanaryIngress({ ...input, existing: argoMade })
    if (!built.ok) throw new Error(built.problem)
    expect(built.ingress.spec?.rules).toEqual(argoRules)
    expect(isCanaryIngressUpToDate(argoMade, built.ingress)).toBe(true)
  })

  it('is written at another weight, and an Ingress in another form gets Sluice\'s rules', () => {
    const built = buildCanaryIngress({ ...input, desired: desiredTraffic(50), existing: argoMade })
    if (!built.ok) throw new Error(built.problem)
    expect(isCanaryIngressUpToDate(argoMade, built.ingress)).toBe(false)
    const other = buildCanaryIngress({ ...input, existing: { ...argoMade, spec: { rules: [] } } })
    expect(other.ok && other.ingress.spec?.rules).toEqual([{ host: 'a.example', http: { paths: [path('/', 'web-canary')] } }])
  })
})
