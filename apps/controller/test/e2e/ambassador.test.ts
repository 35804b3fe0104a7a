/**
 * @sluice/ambassador on the local control plane with the real controller: the Mapping CRDs
 * (structural schemas) installed, every change to the Mappings recorded from a watch, deletions
 * included. For each base Mapping the canary Mapping `<base>-canary` appears when the weight leaves
 * 0, is owned by the Rollout, clones the base with only the Service name swapped, follows every step,
 * and is deleted when the weight is back at 0 (after promotion, after abort); base Mappings are never
 * written. Both getambassador.io/v3alpha1 (the default) and v2 (the controller flag); a weighted base
 * Mapping and a header-route step are refused.
 */
import { abort, promote, retry } from '@sluice/client'
import type { KubeObject, Rollout } from '@sluice/core'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventsFor, eventually, getRollout, recordChanges, rolloutRef, rolloutWhere, rolloutYaml, servicesYaml, setUp, startController, tearDown, transitions, updateImage, writersOf } from './harness.ts'
import type { Change, Env } from './harness.ts'

const mappingCrd = fileURLToPath(new URL('../../../../packages/ambassador/test/crds/mapping.yaml', import.meta.url))
const V3ALPHA1 = 'getambassador.io/v3alpha1'
const V2 = 'getambassador.io/v2'

interface Mapping extends KubeObject {
  spec?: { service?: string; weight?: number; [field: string]: unknown }
}

const services = servicesYaml()

/**
 * Two base Mappings routing to the stable Service: `web` names it with a scheme, the namespace and a
 * port and carries labels, an annotation and fields Sluice does not interpret; `web-api` names it
 * with a port only.
 */
const baseMappings = (apiVersion: string, namespace: string) => `
apiVersion: ${apiVersion}
kind: Mapping
metadata:
  name: web
  labels: {app.kubernetes.io/name: web}
  annotations: {example.com/team: checkout}
spec:
  hostname: web.example.com
  prefix: /
  service: http://web-stable.${namespace}:80
  timeout_ms: 3000
  add_request_headers: {x-route: {value: web}}
---
apiVersion: ${apiVersion}
kind: Mapping
metadata: {name: web-api}
spec:
  hostname: "*"
  prefix: /api/
  rewrite: /v1/
  service: web-stable:8080
`

const rollout = (mappings: string, steps: string, extraRouting = '') => `
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 2
abortScaleDownDelaySeconds: 2
trafficRouting:
  ambassador: {mappings: ${mappings}}
`)}${extraRouting}
      steps:
${steps}
`

const mappingRef = (e: Env, name: string, apiVersion = V3ALPHA1) => ({ apiVersion, kind: 'Mapping', namespace: e.namespace, name })
const getMapping = (e: Env, name: string, apiVersion = V3ALPHA1) => e.api.get<Mapping>(mappingRef(e, name, apiVersion))
/** The weight of a canary Mapping, or "none" when there is none. */
const canaryWeight = async (e: Env, name: string, apiVersion = V3ALPHA1) => (await getMapping(e, name, apiVersion))?.spec?.weight ?? 'none'
/** The states one Mapping went through: its weight at each write, "deleted" when it was deleted. */
const weightsOf = (changes: readonly Change<Mapping>[], name: string) =>
  transitions(changes.filter((c) => c.object.metadata.name === name).map((c) => (c.type === 'DELETED' ? 'deleted' : (c.object.spec?.weight ?? 'no weight'))))
const isPausedAt = (index: number) => (r: Rollout) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index && !r.status.abort
const invalidSpec = (r: Rollout) => r.status?.conditions?.find((c) => c.type === 'InvalidSpec')

/** Every version of a canary Mapping: the base's labels and whole spec, the Service name swapped, the weight set, controlled by the Rollout. */
function expectCanaryOf(canary: Mapping, base: Mapping, service: string, owner: Rollout): void {
  const what = `${canary.metadata.name} at resourceVersion ${canary.metadata.resourceVersion}`
  expect(canary.metadata.labels, what).toEqual(base.metadata.labels)
  expect(canary.metadata.annotations, what).toBeUndefined()
  expect(canary.metadata.ownerReferences, what).toEqual([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }])
  expect(canary.spec, what).toEqual({ ...base.spec, service, weight: canary.spec?.weight })
  expect(canary.spec?.weight, what).toBeGreaterThan(0)
}

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-ambassador', [mappingCrd])
})
afterEach(async () => {
  await tearDown(env)
})

describe('Ambassador Mappings through --ambassador-api-version getambassador.io/v3alpha1', () => {
  it('keeps a canary Mapping per base Mapping at every step, deletes it at promotion and after abort, never writes the bases', async () => {
    const e = env as Env
    const ref = { namespace: e.namespace, name: 'web' }
    await startController(e, { extraArgs: ['--ambassador-api-version', V3ALPHA1] })
    await apply(e, services)
    const [web, webApi] = (await apply(e, baseMappings(V3ALPHA1, e.namespace))) as [Mapping, Mapping]
    const changes = await recordChanges<Mapping>(e, V3ALPHA1, 'Mapping')

    // Given a Rollout over both base Mappings: no canary Mapping at weight 0
    await apply(
      e,
      rollout(
        '[web, web-api]',
        `      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {duration: 1}`,
      ),
    )
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && r.status.canary?.weights?.canary.weight === 0)
    expect(await canaryWeight(e, 'web-canary')).toBe('none')
    expect(await canaryWeight(e, 'web-api-canary')).toBe('none')

    // When a second revision reaches 20 %: both canary Mappings appear at 20
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at 20 %', isPausedAt(1))
    expect([await canaryWeight(e, 'web-canary'), await canaryWeight(e, 'web-api-canary')]).toEqual([20, 20])
    // Then 50 %, the timed pause, promotion: both go to 100, then are deleted
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'at 50 %', (x) => x.status?.canary?.weights?.canary.weight === 50)
    const promoted = await rolloutWhere(
      e,
      'web',
      'promoted, weight back to 0',
      (x) => x.status?.phase === 'Healthy' && x.status.stableRS === x.status.currentPodHash && x.status.stableRS !== first.status?.stableRS && x.status.canary?.weights?.canary.weight === 0,
    )
    expect(promoted.status?.canary?.weights).toMatchObject({ canary: { weight: 0 }, stable: { weight: 100 } })
    expect([await canaryWeight(e, 'web-canary'), await canaryWeight(e, 'web-api-canary')]).toEqual(['none', 'none'])

    // When a third revision is aborted at 20 %: both canary Mappings are deleted again
    await updateImage(e, 'web', 'web:3')
    await rolloutWhere(e, 'web', 'v3 paused at 20 %', isPausedAt(1))
    expect([await canaryWeight(e, 'web-canary'), await canaryWeight(e, 'web-api-canary')]).toEqual([20, 20])
    await abort(e.api, ref)
    await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && x.status.canary?.weights?.canary.weight === 0)
    expect([await canaryWeight(e, 'web-canary'), await canaryWeight(e, 'web-api-canary')]).toEqual(['none', 'none'])
    changes.stop()

    // Each canary Mapping followed every step, and was deleted at promotion and at abort.
    for (const name of ['web-canary', 'web-api-canary']) expect(weightsOf(changes.seen, name), name).toEqual([20, 50, 100, 'deleted', 20, 'deleted'])
    // Every version was a clone of its base with only the Service name swapped (namespace, scheme, port kept).
    const written = changes.seen.filter((c) => c.type !== 'DELETED')
    for (const c of written.filter((x) => x.object.metadata.name === 'web-canary')) expectCanaryOf(c.object, web, `http://web-canary.${e.namespace}:80`, first)
    for (const c of written.filter((x) => x.object.metadata.name === 'web-api-canary')) expectCanaryOf(c.object, webApi, 'web-canary:8080', first)
    // No other Mapping was written: the bases were never modified.
    expect(new Set(changes.seen.map((c) => c.object.metadata.name))).toEqual(new Set(['web', 'web-api', 'web-canary', 'web-api-canary']))
    expect(changes.seen.filter((c) => c.object.metadata.name === 'web' || c.object.metadata.name === 'web-api').map((c) => c.type)).toEqual(['ADDED', 'ADDED'])
    expect((await getMapping(e, 'web'))?.metadata.resourceVersion).toBe(web.metadata.resourceVersion)
    expect((await getMapping(e, 'web-api'))?.metadata.resourceVersion).toBe(webApi.metadata.resourceVersion)
    // The canary Mappings were written by server-side apply through v3alpha1.
    const lastCanary = written.findLast((c) => c.object.metadata.name === 'web-canary')?.object
    expect(writersOf(lastCanary)).toEqual([`sluice-ambassador Apply ${V3ALPHA1}`])
    expect(invalidSpec(await getRollout(e, 'web'))).toBeUndefined()
  })
})

describe("Ambassador Mappings in getambassador.io/v2, the default (Argo Rollouts')", () => {
  it('creates, weights and deletes the canary Mapping through the v2 API, after abort and at promotion', async () => {
    const e = env as Env
    const ref = { namespace: e.namespace, name: 'web' }
    await startController(e)
    await apply(e, services)
    const [web] = (await apply(e, baseMappings(V2, e.namespace))) as [Mapping, Mapping]
    const changes = await recordChanges<Mapping>(e, V2, 'Mapping')

    await apply(e, rollout('[web]', '      - setWeight: 40\n      - pause: {}\n      - setWeight: 70\n      - pause: {}'))
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && r.status.canary?.weights?.canary.weight === 0)

    // 40 %, 70 %, then abort: the canary Mapping is deleted
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at 40 %', isPausedAt(1))
    expect(await canaryWeight(e, 'web-canary', V2)).toBe(40)
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'paused at 70 %', isPausedAt(3))
    expect(await canaryWeight(e, 'web-canary', V2)).toBe(70)
    await abort(e.api, ref)
    await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && x.status.canary?.weights?.canary.weight === 0)
    expect(await canaryWeight(e, 'web-canary', V2)).toBe('none')

    // Retried, then fully promoted from the first pause: 40, 100, deleted
    await retry(e.api, ref)
    await rolloutWhere(e, 'web', 'retried, paused at 40 %', isPausedAt(1))
    expect(await canaryWeight(e, 'web-canary', V2)).toBe(40)
    const canary = await getMapping(e, 'web-canary', V2)
    expect(writersOf(canary)).toEqual([`sluice-ambassador Apply ${V2}`])
    await promote(e.api, ref, { full: true })
    await rolloutWhere(
      e,
      'web',
      'promoted, weight back to 0',
      (x) => x.status?.phase === 'Healthy' && x.status.stableRS === x.status.currentPodHash && x.status.stableRS !== first.status?.stableRS && x.status.canary?.weights?.canary.weight === 0,
    )
    expect(await canaryWeight(e, 'web-canary', V2)).toBe('none')
    changes.stop()

    expect(weightsOf(changes.seen, 'web-canary')).toEqual([40, 70, 'deleted', 40, 100, 'deleted'])
    for (const c of changes.seen.filter((x) => x.type !== 'DELETED' && x.object.metadata.name === 'web-canary')) {
      expect(c.object.apiVersion).toBe(V2)
      expectCanaryOf(c.object, web, `http://web-canary.${e.namespace}:80`, first)
    }
    // web-api is not in this Rollout: never given a canary Mapping. No base was written.
    expect(changes.seen.filter((c) => c.object.metadata.name !== 'web-canary').map((c) => `${c.type} ${c.object.metadata.name}`)).toEqual(['ADDED web', 'ADDED web-api'])
    expect((await getMapping(e, 'web', V2))?.metadata.resourceVersion).toBe(web.metadata.resourceVersion)
  })
})

describe('Ambassador base Mapping with a weight', () => {
  it('is reported as InvalidSpec naming it, nothing is written, and fixing the base lets the Rollout go on', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, services)
    await apply(e, baseMappings(V3ALPHA1, e.namespace))
    // Given the base Mapping web-api takes a weight of its own
    const weighted = await e.api.mergePatch<Mapping>(mappingRef(e, 'web-api'), { spec: { weight: 10 } })
    const changes = await recordChanges<Mapping>(e, V3ALPHA1, 'Mapping')

    await apply(e, rollout('[web, web-api]', '      - setWeight: 20\n      - pause: {}'))

    // Then the Rollout is invalid, naming the Mapping and its entry
    const message = 'spec.strategy.canary.trafficRouting.ambassador.mappings[1]: Invalid value: "web-api": Ambassador mapping "web-api" can not define weight'
    const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => invalidSpec(x)?.status === 'True')
    expect(invalidSpec(r)?.message).toContain(message)
    expect(invalidSpec(r)?.message).not.toContain('mappings[0]')
    expect(r.status?.phase).toBe('Degraded')
    await eventually('a Warning Event naming the Mapping', async () =>
      (await eventsFor(e, 'web')).some((ev) => ev.type === 'Warning' && ev.reason === 'InvalidSpec' && ev.note.includes(message)),
    )
    expect(await e.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: e.namespace })).toEqual([])
    expect((await getMapping(e, 'web-api'))?.metadata.resourceVersion).toBe(weighted.metadata.resourceVersion)

    // When the weight is removed from the base, the Rollout (woken by the Mapping watch) becomes valid and can progress
    await e.api.mergePatch(mappingRef(e, 'web-api'), { spec: { weight: null } })
    const healthy = await rolloutWhere(e, 'web', 'valid and healthy', (x) => invalidSpec(x) === undefined && x.status?.phase === 'Healthy')
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at 20 %', isPausedAt(1))
    expect([await canaryWeight(e, 'web-canary'), await canaryWeight(e, 'web-api-canary')]).toEqual([20, 20])
    changes.stop()

    // Nothing was written while invalid: the only writes are ours (the fix) and the canary Mappings at 20.
    expect(changes.seen.map((c) => `${c.type} ${c.object.metadata.name} ${c.object.spec?.weight ?? '-'}`)).toEqual([
      'ADDED web -',
      'ADDED web-api 10',
      'MODIFIED web-api -',
      'ADDED web-canary 20',
      'ADDED web-api-canary 20',
    ])
    expect(changes.seen.at(-1)?.object.metadata.ownerReferences?.[0]?.uid).toBe(healthy.metadata.uid)
  })
})

describe('Ambassador canary Mapping name taken by a foreign Mapping', () => {
  it('is left alone at weight 0, refused as InvalidSpec naming it when the weight leaves 0, and the Rollout recovers once it is deleted', async () => {
    const e = env as Env
    const ns = e.namespace
    await apply(e, services)
    await apply(e, baseMappings(V3ALPHA1, ns))
    // Given someone else's Mapping named like the canary Mapping of web
    const [foreign] = (await apply(
      e,
      `
apiVersion: ${V3ALPHA1}
kind: Mapping
metadata: {name: web-canary}
spec: {hostname: beta.example.com, prefix: /, service: web-beta:80}
`,
    )) as [Mapping]
    const changes = await recordChanges<Mapping>(e, V3ALPHA1, 'Mapping')
    await startController(e)
    await apply(e, rollout('[web]', '      - setWeight: 20\n      - pause: {}'))

    // At weight 0 there is no canary Mapping to write: the Rollout is healthy and the foreign one untouched
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && r.status.canary?.weights?.canary.weight === 0)
    // When the weight is to leave 0, the Rollout is invalid, naming the Mapping in the way
    await updateImage(e, 'web', 'web:2')
    const refused = `spec.strategy.canary.trafficRouting.ambassador: Invalid value: [ambassador] Mapping ${ns}/web-canary: exists and is not controlled by Rollout ${ns}/web`
    const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => invalidSpec(x)?.status === 'True')
    expect(invalidSpec(r)?.message).toContain(refused)
    expect(r.status?.phase).toBe('Degraded')
    expect(r.status?.canary?.weights?.canary.weight).toBe(0)
    const after = await getMapping(e, 'web-canary')
    expect(after?.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion)
    expect(after?.spec).toEqual(foreign.spec)
    expect(writersOf(after)).toEqual(writersOf(foreign))

    // When its owner deletes it, the controller creates its own at 20. (Within the InvalidSpec retry
    // interval, 20 s: deleting a Mapping that is not a base Mapping does not wake the Rollout.)
    const deletedAt = Date.now()
    await e.api.delete(mappingRef(e, 'web-canary'))
    const paused = await rolloutWhere(e, 'web', 'valid, paused at 20 %', (x) => invalidSpec(x) === undefined && isPausedAt(1)(x), 60_000)
    process.stderr.write(`[e2e] ambassador: recovered ${Date.now() - deletedAt} ms after the foreign canary Mapping was deleted\n`)
    expect(await canaryWeight(e, 'web-canary')).toBe(20)
    expect((await getMapping(e, 'web-canary'))?.metadata.ownerReferences?.[0]?.uid).toBe(paused.metadata.uid)
    changes.stop()

    expect(changes.seen.filter((c) => c.object.metadata.name === 'web-canary').map((c) => `${c.type} ${c.object.metadata.uid === foreign.metadata.uid ? 'foreign' : 'owned'} ${c.object.spec?.weight ?? '-'}`)).toEqual([
      'ADDED foreign -',
      'DELETED foreign -',
      'ADDED owned 20',
    ])
  })
})

describe('Ambassador and header routing', () => {
  it('rejects a setHeaderRoute step at validation, naming the ambassador router', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, services)
    await apply(e, baseMappings(V3ALPHA1, e.namespace))
    await apply(
      e,
      rollout(
        '[web]',
        `      - setWeight: 20
      - setHeaderRoute:
          name: beta
          match: [{headerName: x-beta, headerValue: {exact: "1"}}]
      - pause: {}`,
        '        managedRoutes: [{name: beta}]',
      ),
    )
    const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => invalidSpec(x)?.status === 'True')
    expect(invalidSpec(r)?.message).toContain('spec.strategy.canary.steps[1].setHeaderRoute: Unsupported value: the ambassador traffic router does not support header routing')
    expect(r.status?.phase).toBe('Degraded')
    expect(await e.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: e.namespace })).toEqual([])

    // Removing the step makes it valid; still no canary Mapping at weight 0.
    await e.api.mergePatch(rolloutRef(e, 'web'), { spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } } })
    await rolloutWhere(e, 'web', 'valid and healthy', (x) => invalidSpec(x) === undefined && x.status?.phase === 'Healthy')
    expect(await canaryWeight(e, 'web-canary')).toBe('none')
  })
})
