import { readFileSync } from 'node:fs'
import { AdapterError, formatFieldError, isTerminal } from '@sluice/core'
import type { KubeObject, RouterTarget } from '@sluice/core'
import { conformanceTarget, describeTrafficRouter, desiredTraffic } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { ambassadorCapabilities, createAmbassadorRouter } from './index.ts'
import type { AmbassadorApiVersion, AmbassadorRouterOptions } from './index.ts'

const KINDS: Record<AmbassadorApiVersion, string> = {
  'getambassador.io/v2': 'Mapping',
  'getambassador.io/v3alpha1': 'Mapping',
  'x.getambassador.io/v3alpha1': 'AmbassadorMapping',
}

/** The fixture's objects, its Mappings moved to `apiVersion` (the fixtures are written in v3alpha1). */
function fixture(name: string, apiVersion: AmbassadorApiVersion = 'getambassador.io/v3alpha1'): KubeObject[] {
  const text = readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8')
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject)
    .map((o) => (o.kind === 'Mapping' ? { ...o, apiVersion, kind: KINDS[apiVersion] } : o))
}

type MappingObject = KubeObject & { spec?: Record<string, unknown> }

function setup(options: Partial<AmbassadorRouterOptions> = {}, fixtures = ['mapping.basic.yaml']) {
  const apiVersion = options.apiVersion ?? 'getambassador.io/v3alpha1'
  const kube = createMemoryKube(fixtures.flatMap((f) => fixture(f, apiVersion)))
  const router = createAmbassadorRouter({ target: conformanceTarget, config: { mappings: ['web'] }, ...options, apiVersion }, { kube })
  const mapping = (name: string) => kube.get<MappingObject>({ apiVersion, kind: KINDS[apiVersion], namespace: 'default', name })
  return { kube, router, mapping }
}

const noWrites = { create: 0, replace: 0, mergePatch: 0, apply: 0, delete: 0 }

it("without an API version, reads and writes getambassador.io/v2 Mappings, Argo Rollouts' default", async () => {
  const kube = createMemoryKube(fixture('mapping.basic.yaml', 'getambassador.io/v2'))
  const router = createAmbassadorRouter({ target: conformanceTarget, config: { mappings: ['web'] } }, { kube })
  await router.apply(desiredTraffic(20))
  expect(await kube.get({ apiVersion: 'getambassador.io/v2', kind: 'Mapping', namespace: 'default', name: 'web-canary' })).toMatchObject({ spec: { weight: 20 } })
})

describe.each(Object.keys(KINDS) as AmbassadorApiVersion[])('%s', (apiVersion) => {
  describeTrafficRouter('ambassador', (target: RouterTarget) => {
    const kube = createMemoryKube(fixture('mapping.basic.yaml', apiVersion))
    return { kube, router: createAmbassadorRouter({ target, config: { mappings: ['web'] }, apiVersion }, { kube }) }
  })

  it('creates, updates and deletes the canary Mapping in that version', async () => {
    const { router, mapping } = setup({ apiVersion })
    await router.apply(desiredTraffic(20))
    expect(await mapping('web-canary')).toMatchObject({ apiVersion, kind: KINDS[apiVersion], spec: { weight: 20 } })
    await router.apply(desiredTraffic(0))
    expect(await mapping('web-canary')).toBeUndefined()
  })
})

describe('the canary Mapping', () => {
  it('is not created at weight 0: apply(0) from scratch writes nothing and observe says 0', async () => {
    const { kube, router } = setup()
    expect(await router.apply(desiredTraffic(0))).toEqual([])
    expect(kube.writes).toEqual(noWrites)
    expect(await router.observe()).toEqual({ canaryWeight: 0, headerRoutes: [], mirrorRoutes: [] })
  })

  it('is a clone of the base Mapping pointed at the canary Service, owned by the Rollout', async () => {
    const { router, mapping } = setup()
    await router.apply(desiredTraffic(20))
    const canary = await mapping('web-canary')
    expect(canary?.metadata).toMatchObject({
      name: 'web-canary',
      namespace: 'default',
      labels: { 'app.kubernetes.io/name': 'web' },
      ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: conformanceTarget.rollout.uid, controller: true }],
    })
    expect(canary?.metadata.annotations).toBeUndefined()
    expect(canary?.spec).toEqual({
      hostname: 'web.example.com',
      prefix: '/',
      rewrite: '/',
      service: 'http://web-canary.default:80',
      timeout_ms: 5000,
      add_request_headers: { 'x-served-by': { value: 'emissary' } },
      weight: 20,
    })
  })

  it('leaves the base Mapping exactly as it was', async () => {
    const { router, mapping } = setup()
    const before = await mapping('web')
    for (const weight of [20, 50, 100, 0]) await router.apply(desiredTraffic(weight))
    expect(await mapping('web')).toEqual(before)
  })

  it('follows the weight and is deleted once it is back at 0, reporting each step', async () => {
    const { router, mapping } = setup()
    expect(await router.apply(desiredTraffic(20))).toEqual([{ object: 'Mapping default/web-canary', result: 'created', detail: 'canary weight 20' }])
    expect(await router.apply(desiredTraffic(50))).toEqual([{ object: 'Mapping default/web-canary', result: 'updated', detail: 'canary weight 20 → 50' }])
    expect(await router.apply(desiredTraffic(50))).toEqual([{ object: 'Mapping default/web-canary', result: 'unchanged' }])
    expect(await router.apply(desiredTraffic(0))).toEqual([{ object: 'Mapping default/web-canary', result: 'deleted', detail: 'canary weight 50 → 0' }])
    expect(await mapping('web-canary')).toBeUndefined()
    expect(await router.observe()).toMatchObject({ canaryWeight: 0 })
    expect(await router.apply(desiredTraffic(0))).toEqual([])
  })

  it('follows changes to its base Mapping, including removed fields', async () => {
    const { kube, router, mapping } = setup()
    await router.apply(desiredTraffic(30))
    await kube.mergePatch(
      { apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web' },
      { spec: { rewrite: null, timeout_ms: 9000 } },
    )
    expect(await router.apply(desiredTraffic(30))).toEqual([
      { object: 'Mapping default/web-canary', result: 'updated', detail: 'cloned again from Mapping default/web' },
    ])
    const spec = (await mapping('web-canary'))?.spec
    expect(spec).toMatchObject({ timeout_ms: 9000, weight: 30 })
    expect(spec).not.toHaveProperty('rewrite')
  })

  it('gets its weight back after an out-of-band edit', async () => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(30))
    await kube.mergePatch({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web-canary' }, { spec: { weight: 90 } })
    expect(await router.observe()).toMatchObject({ canaryWeight: 90 })
    expect(await router.apply(desiredTraffic(30))).toEqual([{ object: 'Mapping default/web-canary', result: 'updated', detail: 'canary weight 90 → 30' }])
  })
})

describe('several base Mappings', () => {
  const options = { config: { mappings: ['web', 'web-api'] } }
  const fixtures = ['mapping.basic.yaml', 'mapping.api.yaml']

  it('gives each its own canary Mapping with the same weight', async () => {
    const { router, mapping } = setup(options, fixtures)
    const changes = await router.apply(desiredTraffic(40))
    expect(changes.map((c) => `${c.object} ${c.result}`)).toEqual(['Mapping default/web-canary created', 'Mapping default/web-api-canary created'])
    expect((await mapping('web-api-canary'))?.spec).toEqual({ hostname: 'web.example.com', prefix: '/api/', service: 'web-canary:80', weight: 40 })
    expect(await router.observe()).toMatchObject({ canaryWeight: 40 })
    await router.apply(desiredTraffic(0))
    expect(await mapping('web-canary')).toBeUndefined()
    expect(await mapping('web-api-canary')).toBeUndefined()
  })

  it('observes the highest weight when they disagree', async () => {
    const { kube, router } = setup(options, fixtures)
    await router.apply(desiredTraffic(40))
    await kube.delete({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web-api-canary' })
    expect(await router.observe()).toMatchObject({ canaryWeight: 40 })
  })

  it('moves the others when one fails, then reports every failure', async () => {
    const { kube, router, mapping } = setup({ config: { mappings: ['missing', 'web', 'web-api'] } }, fixtures)
    await kube.mergePatch({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web' }, { spec: { weight: 10 } })
    const error = await router.apply(desiredTraffic(40)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AdapterError)
    expect((error as Error).message).toBe(
      '[ambassador] Rollout default/web: 2 Mappings failed: [ambassador] Mapping default/missing: not found (getambassador.io/v3alpha1); ' +
        '[ambassador] Mapping default/web: Ambassador mapping "web" can not define weight',
    )
    expect(isTerminal(error)).toBe(false) // a missing base Mapping may yet appear
    expect((await mapping('web-api-canary'))?.spec).toMatchObject({ weight: 40 })
  })
})

describe('objects it does not own', () => {
  it('refuses a foreign Mapping named like the canary with a terminal error, and leaves it alone', async () => {
    const { kube, router, mapping } = setup({}, ['mapping.basic.yaml', 'mapping.foreign-canary.yaml'])
    const before = await mapping('web-canary')
    const error = await router.apply(desiredTraffic(20)).catch((e: unknown) => e)
    expect(isTerminal(error)).toBe(true)
    expect((error as Error).message).toMatch(/^\[ambassador\] Mapping default\/web-canary: exists and is not controlled by Rollout default\/web/)
    expect(await mapping('web-canary')).toEqual(before)
    expect(kube.writes).toEqual(noWrites)
  })

  it('leaves that Mapping alone at weight 0 without an error, and does not count its weight', async () => {
    const { kube, router, mapping } = setup({}, ['mapping.basic.yaml', 'mapping.foreign-canary.yaml'])
    expect(await router.apply(desiredTraffic(0))).toEqual([])
    expect(await mapping('web-canary')).toBeDefined()
    expect(kube.writes).toEqual(noWrites)
    expect(await router.observe()).toMatchObject({ canaryWeight: 0 })
  })

  it('refuses at apply a base Mapping that sets a weight, as terminal', async () => {
    const { kube, router } = setup()
    await kube.mergePatch({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web' }, { spec: { weight: 100 } })
    const error = await router.apply(desiredTraffic(20)).catch((e: unknown) => e)
    expect(isTerminal(error)).toBe(true)
    expect((error as Error).message).toBe('[ambassador] Mapping default/web: Ambassador mapping "web" can not define weight')
  })
})

describe('validate', () => {
  const messages = async (options: Partial<AmbassadorRouterOptions>, fixtures?: string[]) =>
    (await setup(options, fixtures).router.validate()).map(formatFieldError)

  it('requires at least one mapping', async () => {
    expect(await messages({ config: { mappings: [] } })).toEqual([
      'spec.strategy.canary.trafficRouting.ambassador.mappings: Required value: must provide at least one mapping',
    ])
    expect(await messages({ config: {} as { mappings: string[] } })).toEqual([
      'spec.strategy.canary.trafficRouting.ambassador.mappings: Required value: must provide at least one mapping',
    ])
  })

  it('names every problem with the full field path of its entry', async () => {
    const { kube, router } = setup({ config: { mappings: ['web', 'missing', 'web-api', 'web', 'other'] } }, ['mapping.basic.yaml', 'mapping.api.yaml'])
    await kube.mergePatch({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web' }, { spec: { weight: 10 } })
    await kube.mergePatch({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', namespace: 'default', name: 'web-api' }, { spec: { service: 'web-stable-v2:80' } })
    kube.seed({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', metadata: { name: 'other', namespace: 'default' }, spec: { prefix: '/', service: 'web-stable.other' } })
    expect((await router.validate()).map(formatFieldError)).toEqual([
      'spec.strategy.canary.trafficRouting.ambassador.mappings[0]: Invalid value: "web": Ambassador mapping "web" can not define weight',
      'spec.strategy.canary.trafficRouting.ambassador.mappings[1]: Not found: "missing": Ambassador mapping "missing" not found (getambassador.io/v3alpha1 Mapping in namespace default)',
      'spec.strategy.canary.trafficRouting.ambassador.mappings[2]: Invalid value: "web-api": Ambassador mapping "web-api" must route to the stable Service "web-stable", but its spec.service is "web-stable-v2:80"',
      'spec.strategy.canary.trafficRouting.ambassador.mappings[3]: Invalid value: "web": Ambassador mapping "web" is listed twice',
      'spec.strategy.canary.trafficRouting.ambassador.mappings[4]: Invalid value: "other": Ambassador mapping "other" must route to the stable Service "web-stable", but its spec.service is "web-stable.other"',
    ])
    expect(kube.writes).toMatchObject({ create: 0, replace: 0, apply: 0, delete: 0 })
  })

  it('catches two long names that would share one canary Mapping', async () => {
    const long = 'a'.repeat(250)
    const { kube, router } = setup({ config: { mappings: [`${long}x`, `${long}y`] } })
    for (const name of [`${long}x`, `${long}y`]) {
      kube.seed({ apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping', metadata: { name, namespace: 'default' }, spec: { prefix: '/', service: 'web-stable' } })
    }
    expect((await router.validate()).map((e) => e.message)).toEqual([
      `Ambassador mappings "${long}x" and "${long}y" would share the canary mapping "${'a'.repeat(246)}-canary"`,
    ])
  })

  it('looks Mappings up in the configured API version', async () => {
    expect(await messages({ apiVersion: 'x.getambassador.io/v3alpha1' }, [])).toEqual([
      'spec.strategy.canary.trafficRouting.ambassador.mappings[0]: Not found: "web": Ambassador mapping "web" not found (x.getambassador.io/v3alpha1 AmbassadorMapping in namespace default)',
    ])
  })
})

describe('the factory', () => {
  it('rejects an API version it does not know', () => {
    const apiVersion = 'getambassador.io/v1' as AmbassadorApiVersion
    expect(() => createAmbassadorRouter({ target: conformanceTarget, config: { mappings: ['web'] }, apiVersion }, { kube: createMemoryKube() })).toThrow(
      '[ambassador] unsupported Mapping API version "getambassador.io/v1"; use one of getambassador.io/v2, getambassador.io/v3alpha1, x.getambassador.io/v3alpha1',
    )
  })

  it('refuses a weight scale other than 100: Mapping weights are percentages', async () => {
    const { router } = setup()
    const error = await router.apply(desiredTraffic(250, { maxWeight: 1000 })).catch((e: unknown) => e)
    expect(isTerminal(error)).toBe(true)
    expect((error as Error).message).toBe('[ambassador] Rollout default/web: Mapping weights are percentages; a weight scale of 1000 is not supported')
  })

  it('declares header routing and mirroring unsupported, so the engine rejects such steps', () => {
    expect(ambassadorCapabilities).toEqual({
      headerRouting: false,
      mirroring: false,
      maxTrafficWeight: false,
      weightVerification: false,
      additionalDestinations: false,
    })
  })
})
