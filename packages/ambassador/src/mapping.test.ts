import { describe, expect, it } from 'vitest'
import { baseMappingProblem, buildCanaryMapping, canaryMappingName, isArgoCanaryMapping, isCanaryMappingUpToDate } from './mapping.ts'
import type { Mapping } from './mapping.ts'

const swap = { from: 'web-stable', to: 'web-canary', namespace: 'default' }

function mapping(spec: Mapping['spec'], metadata: Partial<Mapping['metadata']> = {}): Mapping {
  return { apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', metadata: { name: 'web', namespace: 'default', ...metadata }, spec }
}

describe('canaryMappingName', () => {
  it.each([
    // base name → canary name
    ['web', 'web-canary'],
    ['web.v1', 'web.v1-canary'], // dots are fine inside a name
    ['a'.repeat(246), `${'a'.repeat(246)}-canary`], // exactly 253 characters
    ['a'.repeat(300), `${'a'.repeat(246)}-canary`], // cut to fit 253
    [`${'a'.repeat(245)}.b`, `${'a'.repeat(245)}-canary`], // the cut would end in '.', which may not precede '-'
  ])('%s → %s', (base, canary) => {
    expect(canaryMappingName(base)).toBe(canary)
    expect(canaryMappingName(base).length).toBeLessThanOrEqual(253)
  })
})

describe('baseMappingProblem', () => {
  it.each<[string, Mapping, string | undefined]>([
    // description, base Mapping → problem
    ['routes to the stable Service', mapping({ prefix: '/', service: 'web-stable' }), undefined],
    ['routes to it with scheme, namespace and port', mapping({ prefix: '/', service: 'https://web-stable.default:443' }), undefined],
    ['sets a weight', mapping({ prefix: '/', service: 'web-stable', weight: 50 }), 'Ambassador mapping "web" can not define weight'],
    ['sets weight 0', mapping({ prefix: '/', service: 'web-stable', weight: 0 }), 'Ambassador mapping "web" can not define weight'],
    [
      'routes to another Service',
      mapping({ prefix: '/', service: 'web-stable-v2' }),
      'Ambassador mapping "web" must route to the stable Service "web-stable", but its spec.service is "web-stable-v2"',
    ],
    ['has no service', mapping({ prefix: '/' }), 'Ambassador mapping "web" must route to the stable Service "web-stable", but its spec.service is null'],
    ['has no spec', mapping(undefined), 'Ambassador mapping "web" must route to the stable Service "web-stable", but its spec.service is null'],
  ])('%s → %s', (_description, base, problem) => {
    expect(baseMappingProblem(base, swap)).toBe(problem)
  })
})

describe('buildCanaryMapping', () => {
  const base = mapping(
    { hostname: 'web.example.com', prefix: '/', rewrite: '', service: 'http://web-stable.default:80', timeout_ms: 5000, cors: { origins: ['*'] } },
    {
      labels: { 'app.kubernetes.io/name': 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      uid: 'base-uid',
      resourceVersion: '42',
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u', controller: true }],
    },
  )

  it('clones the whole spec, swaps the Service name, sets the weight, and keeps only name, namespace and labels', () => {
    expect(buildCanaryMapping({ base, swap, weight: 20 })).toEqual({
      apiVersion: 'getambassador.io/v3alpha1',
      kind: 'Mapping',
      metadata: { name: 'web-canary', namespace: 'default', labels: { 'app.kubernetes.io/name': 'web' } },
      spec: { hostname: 'web.example.com', prefix: '/', rewrite: '', service: 'http://web-canary.default:80', timeout_ms: 5000, cors: { origins: ['*'] }, weight: 20 },
    })
  })

  it.each([
    // apiVersion, kind of the base → the canary's
    ['getambassador.io/v2', 'Mapping'],
    ['getambassador.io/v3alpha1', 'Mapping'],
    ['x.getambassador.io/v3alpha1', 'AmbassadorMapping'],
  ])('keeps the API version %s and kind %s of its base', (apiVersion, kind) => {
    const canary = buildCanaryMapping({ base: { ...base, apiVersion, kind }, swap, weight: 5 })
    expect([canary.apiVersion, canary.kind]).toEqual([apiVersion, kind])
  })

  it('carries no labels field when the base has none', () => {
    expect(buildCanaryMapping({ base: mapping({ service: 'web-stable' }), swap, weight: 1 }).metadata).toEqual({ name: 'web-canary', namespace: 'default' })
  })

  it('does not share objects with its base', () => {
    const canary = buildCanaryMapping({ base, swap, weight: 20 })
    canary.metadata.labels!['changed'] = 'yes'
    expect(base.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'web' })
  })

  it('refuses a base that does not route to the stable Service', () => {
    expect(() => buildCanaryMapping({ base: mapping({ service: 'elsewhere' }), swap, weight: 20 })).toThrow(/must route to the stable Service/)
  })
})

describe('isCanaryMappingUpToDate', () => {
  const desired = mapping({ prefix: '/', service: 'web-canary', weight: 20 }, { name: 'web-canary', labels: { app: 'web' } })

  it.each<[string, Mapping, boolean]>([
    // description, canary Mapping in the cluster → up to date?
    ['identical', desired, true],
    ['with server-set metadata and more labels', { ...desired, metadata: { ...desired.metadata, uid: 'u', resourceVersion: '7', labels: { app: 'web', team: 'a' } } }, true],
    ['another weight', { ...desired, spec: { ...desired.spec, weight: 30 } }, false],
    ['a field the base no longer has', { ...desired, spec: { ...desired.spec, rewrite: '/old' } }, false],
    ['a label missing', { ...desired, metadata: { ...desired.metadata, labels: {} } }, false],
  ])('%s → %s', (_description, existing, upToDate) => {
    expect(isCanaryMappingUpToDate(existing, desired)).toBe(upToDate)
  })
})

describe('isArgoCanaryMapping', () => {
  const base = mapping({ prefix: '/', service: 'web-stable:80', timeout_ms: 5000 })
  const argoMade = (spec: Mapping['spec'], metadata: Partial<Mapping['metadata']> = {}) => mapping(spec, { name: 'web-canary', ...metadata })

  it.each<[string, Mapping, boolean]>([
    // Argo Rollouts' copy: the base spec, the canary Service, a weight, no owner, no labels
    ['Argo Rollouts\' canary Mapping', argoMade({ prefix: '/', service: 'web-canary:80', timeout_ms: 5000, weight: 25 }), true],
    ['at weight 0', argoMade({ prefix: '/', service: 'web-canary:80', timeout_ms: 5000, weight: 0 }), true],
    // anything else of that name is someone else's
    ['another spec', argoMade({ prefix: '/other', service: 'web-canary:80', timeout_ms: 5000, weight: 25 }), false],
    ['no weight', argoMade({ prefix: '/', service: 'web-canary:80', timeout_ms: 5000 }), false],
    ['controlled by something', argoMade({ prefix: '/', service: 'web-canary:80', timeout_ms: 5000, weight: 25 }, { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u', controller: true }] }), false],
  ])('%s → %s', (_what, existing, expected) => {
    expect(isArgoCanaryMapping(existing, base, swap)).toBe(expected)
  })
})
