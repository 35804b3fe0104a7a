/**
 * @sluice/smi on the local control plane with the real controller: the TrafficSplit CRD (three
 * versions, structural schemas) installed, every version of the TrafficSplit the controller writes
 * recorded from a watch and checked (canary then stable backend, weights summing to 100, the root
 * Service, the encoding of the API version), `trafficSplitName` and `rootService`, the v1alpha2 API
 * through the controller flag, a foreign TrafficSplit in the way, and a header-route step refused.
 * The generic step/promote/abort/retry behaviour is in traffic-routed-canary.test.ts.
 */
import { abort, promote, retry } from '@sluice/client'
import type { KubeObject, Rollout } from '@sluice/core'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventsFor, eventually, getRollout, record, rolloutRef, rolloutWhere, rolloutYaml, servicesYaml, setUp, startController, tearDown, transitions, updateImage, writersOf } from './harness.ts'
import type { Env } from './harness.ts'

const smiCrd = fileURLToPath(new URL('../../../../packages/smi/test/crds/trafficsplit.yaml', import.meta.url))
const V1ALPHA1 = 'split.smi-spec.io/v1alpha1'
const V1ALPHA2 = 'split.smi-spec.io/v1alpha2'

interface TrafficSplit extends KubeObject {
  spec?: { service?: string; backends?: { service: string; weight: string | number }[] }
}

const services = (...names: string[]) => servicesYaml({ names })

const rollout = (smi: string, steps: string, extraRouting = '') => `
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 2
abortScaleDownDelaySeconds: 2
trafficRouting:
  smi: ${smi}
`)}${extraRouting}
      steps:
${steps}
`

/** `root: canary=w stable=w`, weights as JSON so that "20" (a quantity) and 20 (an integer) differ. */
const show = (split: TrafficSplit | undefined) =>
  split ? `${split.spec?.service}: ${(split.spec?.backends ?? []).map((b) => `${b.service}=${JSON.stringify(b.weight)}`).join(' ')}` : 'none'

/**
 * What every TrafficSplit the controller writes must be: two backends, the canary then the stable
 * Service, weights of the API version's type summing to 100, for `rootService`, controlled by the Rollout.
 */
function expectWellFormed(split: TrafficSplit, expected: { name: string; root: string; weightType: 'string' | 'number'; owner: Rollout }): void {
  const what = `${show(split)} (resourceVersion ${split.metadata.resourceVersion})`
  expect(split.metadata.name, what).toBe(expected.name)
  expect(split.spec?.service, what).toBe(expected.root)
  expect(split.spec?.backends?.map((b) => b.service), what).toEqual(['web-canary', 'web-stable'])
  for (const backend of split.spec?.backends ?? []) expect(typeof backend.weight, what).toBe(expected.weightType)
  expect((split.spec?.backends ?? []).reduce((sum, b) => sum + Number(b.weight), 0), what).toBe(100)
  expect(split.metadata.ownerReferences, what).toEqual([
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: expected.owner.metadata.uid, controller: true, blockOwnerDeletion: true },
  ])
}

const getSplit = (e: Env, name: string, apiVersion = V1ALPHA1) => e.api.get<TrafficSplit>({ apiVersion, kind: 'TrafficSplit', namespace: e.namespace, name })
const isPausedAt = (index: number) => (r: Rollout) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index && !r.status.abort
const invalidSpec = (r: Rollout) => r.status?.conditions?.find((c) => c.type === 'InvalidSpec')

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-smi', [smiCrd])
})
afterEach(async () => {
  await tearDown(env)
})

describe('SMI TrafficSplit (default split.smi-spec.io/v1alpha1)', () => {
  it('writes the TrafficSplit named trafficSplitName for rootService at every step, at promotion and after abort', async () => {
    const e = env as Env
    const ref = { namespace: e.namespace, name: 'web' }
    await startController(e)
    const splits = await record<TrafficSplit>(e, V1ALPHA1, 'TrafficSplit')

    // Given a Rollout whose TrafficSplit is named web-split and addressed as web-root
    await apply(e, services('web-root', 'web-stable', 'web-canary'))
    await apply(
      e,
      rollout(
        '{rootService: web-root, trafficSplitName: web-split}',
        `      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {duration: 1}`,
      ),
    )
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    await eventually('the TrafficSplit at 0/100', async () => show(await getSplit(e, 'web-split')) === 'web-root: web-canary="0" web-stable="100"')
    expect(await getSplit(e, 'web')).toBeUndefined()

    // When a second revision goes through 20 % (paused), then 50 % and a timed pause, then is promoted
    await updateImage(e, 'web', 'web:2')
    let r = await rolloutWhere(e, 'web', 'paused at 20 %', isPausedAt(1))
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20, serviceName: 'web-canary' }, stable: { weight: 80, serviceName: 'web-stable' } })
    expect(show(await getSplit(e, 'web-split'))).toBe('web-root: web-canary="20" web-stable="80"')
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'at 50 %', (x) => x.status?.canary?.weights?.canary.weight === 50)
    r = await rolloutWhere(
      e,
      'web',
      'promoted, weight back to 0',
      (x) => x.status?.phase === 'Healthy' && x.status.stableRS === x.status.currentPodHash && x.status.stableRS !== first.status?.stableRS && x.status.canary?.weights?.canary.weight === 0,
    )
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: r.status?.stableRS }, stable: { weight: 100, podTemplateHash: r.status?.stableRS } })
    // Then after promotion the TrafficSplit stays, all traffic on the stable Service
    expect(show(await getSplit(e, 'web-split'))).toBe('web-root: web-canary="0" web-stable="100"')

    // When a third revision is aborted at 20 %
    await updateImage(e, 'web', 'web:3')
    await rolloutWhere(e, 'web', 'v3 paused at 20 %', isPausedAt(1))
    expect(show(await getSplit(e, 'web-split'))).toBe('web-root: web-canary="20" web-stable="80"')
    await abort(e.api, ref)
    r = await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && x.status.canary?.weights?.canary.weight === 0)
    // Then the stable Service gets all the traffic back
    expect(show(await getSplit(e, 'web-split'))).toBe('web-root: web-canary="0" web-stable="100"')
    splits.stop()

    // Every version written went through the steps in order, and each was well formed.
    expect(transitions(splits.seen.map(show))).toEqual([
      'web-root: web-canary="0" web-stable="100"',
      'web-root: web-canary="20" web-stable="80"',
      'web-root: web-canary="50" web-stable="50"',
      'web-root: web-canary="100" web-stable="0"',
      'web-root: web-canary="0" web-stable="100"',
      'web-root: web-canary="20" web-stable="80"',
      'web-root: web-canary="0" web-stable="100"',
    ])
    for (const split of splits.seen) expectWellFormed(split, { name: 'web-split', root: 'web-root', weightType: 'string', owner: first })
    // Written by server-side apply through the v1alpha1 API only.
    expect(writersOf(await getSplit(e, 'web-split'))).toEqual([`sluice-smi Apply ${V1ALPHA1}`])
    expect(invalidSpec(await getRollout(e, 'web'))).toBeUndefined()
  })
})

describe('SMI TrafficSplit through --traffic-split-api-version split.smi-spec.io/v1alpha2', () => {
  it('writes integer weights for the stable Service under the Rollout name, at every step, after abort and at promotion', async () => {
    const e = env as Env
    const ref = { namespace: e.namespace, name: 'web' }
    await startController(e, { extraArgs: ['--traffic-split-api-version', V1ALPHA2] })
    const splits = await record<TrafficSplit>(e, V1ALPHA2, 'TrafficSplit')

    // Given a Rollout with the defaults: TrafficSplit "web" for the stable Service
    await apply(e, services('web-stable', 'web-canary'))
    await apply(
      e,
      rollout(
        '{}',
        `      - setWeight: 30
      - pause: {}
      - setWeight: 60
      - pause: {}`,
      ),
    )
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    await eventually('the TrafficSplit at 0/100', async () => show(await getSplit(e, 'web', V1ALPHA2)) === 'web-stable: web-canary=0 web-stable=100')

    // When the canary goes to 30 %, then 60 %, and is aborted
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at 30 %', isPausedAt(1))
    expect(show(await getSplit(e, 'web', V1ALPHA2))).toBe('web-stable: web-canary=30 web-stable=70')
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'paused at 60 %', isPausedAt(3))
    expect(show(await getSplit(e, 'web', V1ALPHA2))).toBe('web-stable: web-canary=60 web-stable=40')
    await abort(e.api, ref)
    await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && x.status.canary?.weights?.canary.weight === 0)
    expect(show(await getSplit(e, 'web', V1ALPHA2))).toBe('web-stable: web-canary=0 web-stable=100')

    // When it is retried and fully promoted from the first pause
    await retry(e.api, ref)
    await rolloutWhere(e, 'web', 'retried, paused at 30 %', isPausedAt(1))
    await promote(e.api, ref, { full: true })
    // (The stable Service switches first, then the weight returns to 0: Healthy comes a reconcile before.)
    const done = await rolloutWhere(
      e,
      'web',
      'promoted, weight back to 0',
      (x) => x.status?.phase === 'Healthy' && x.status.stableRS === x.status.currentPodHash && x.status.stableRS !== first.status?.stableRS && x.status.canary?.weights?.canary.weight === 0,
    )
    expect(done.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: done.status?.stableRS }, stable: { weight: 100, podTemplateHash: done.status?.stableRS } })
    expect(show(await getSplit(e, 'web', V1ALPHA2))).toBe('web-stable: web-canary=0 web-stable=100')
    splits.stop()

    expect(transitions(splits.seen.map(show))).toEqual([
      'web-stable: web-canary=0 web-stable=100',
      'web-stable: web-canary=30 web-stable=70',
      'web-stable: web-canary=60 web-stable=40',
      'web-stable: web-canary=0 web-stable=100',
      'web-stable: web-canary=30 web-stable=70',
      'web-stable: web-canary=100 web-stable=0',
      'web-stable: web-canary=0 web-stable=100',
    ])
    for (const split of splits.seen) expectWellFormed(split, { name: 'web', root: 'web-stable', weightType: 'number', owner: first })
    // Integers were stored (a CRD without conversion serves what was written), through the v1alpha2 API.
    const stored = await getSplit(e, 'web', V1ALPHA1)
    expect(show(stored)).toBe('web-stable: web-canary=0 web-stable=100')
    expect(writersOf(stored)).toEqual([`sluice-smi Apply ${V1ALPHA2}`])
  })
})

describe('SMI TrafficSplit not owned by the Rollout', () => {
  it('is reported as InvalidSpec naming it, never touched, and the Rollout recovers once it is deleted', async () => {
    const e = env as Env
    // Given a TrafficSplit "web" that someone else created
    await apply(e, services('web-stable', 'web-canary'))
    const [foreign] = (await apply(
      e,
      `
apiVersion: ${V1ALPHA1}
kind: TrafficSplit
metadata: {name: web, labels: {owner: someone-else}}
spec:
  service: web-stable
  backends:
  - {service: web-stable, weight: "90"}
  - {service: web-other, weight: "10"}
`,
    )) as [TrafficSplit]
    const splits = await record<TrafficSplit>(e, V1ALPHA1, 'TrafficSplit')
    await startController(e)

    // When a Rollout uses a TrafficSplit of that name
    await apply(e, rollout('{}', '      - setWeight: 20\n      - pause: {}'))

    // Then it is invalid, with the TrafficSplit named, a Warning Event says so, and the split is untouched
    const ns = e.namespace
    const refused = `spec.strategy.canary.trafficRouting.smi: Invalid value: [smi] TrafficSplit ${ns}/web: exists and is not controlled by Rollout ${ns}/web`
    const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => invalidSpec(x)?.status === 'True')
    expect(invalidSpec(r)?.message).toContain(refused)
    expect(r.status?.phase).toBe('Degraded')
    expect(r.status?.message).toContain(refused)
    await eventually('a Warning Event naming the TrafficSplit', async () =>
      (await eventsFor(e, 'web')).some((ev) => ev.type === 'Warning' && ev.reason === 'InvalidSpec' && ev.note.includes(`TrafficSplit ${ns}/web: exists and is not controlled`)),
    )
    const after = await getSplit(e, 'web')
    expect(after?.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion)
    expect(show(after)).toBe('web-stable: web-stable="90" web-other="10"')
    expect(after?.metadata.ownerReferences).toBeUndefined()
    expect(writersOf(after)).toEqual(writersOf(foreign))
    expect(writersOf(after).join()).not.toContain('sluice-smi')

    // When its owner deletes it
    await e.api.delete({ apiVersion: V1ALPHA1, kind: 'TrafficSplit', namespace: ns, name: 'web' })

    // Then the controller creates its own, the condition clears, and the Rollout is usable
    const healthy = await rolloutWhere(e, 'web', 'valid and healthy', (x) => invalidSpec(x) === undefined && x.status?.phase === 'Healthy')
    await eventually('the owned TrafficSplit at 0/100', async () => show(await getSplit(e, 'web')) === 'web-stable: web-canary="0" web-stable="100"')
    expectWellFormed((await getSplit(e, 'web')) as TrafficSplit, { name: 'web', root: 'web-stable', weightType: 'string', owner: healthy })
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at 20 %', isPausedAt(1))
    expect(show(await getSplit(e, 'web'))).toBe('web-stable: web-canary="20" web-stable="80"')
    splits.stop()

    // The foreign split had one version (none written by the controller); then only owned ones.
    const shown = transitions(splits.seen.map((s) => `${s.metadata.uid === foreign.metadata.uid ? 'foreign' : 'owned'} ${show(s)}`))
    expect(shown).toEqual(['foreign web-stable: web-stable="90" web-other="10"', 'owned web-stable: web-canary="0" web-stable="100"', 'owned web-stable: web-canary="20" web-stable="80"'])
    expect(splits.seen.filter((s) => s.metadata.uid === foreign.metadata.uid).map((s) => s.metadata.resourceVersion)).toEqual([foreign.metadata.resourceVersion])
  })
})

describe('SMI and header routing', () => {
  it('rejects a setHeaderRoute step at validation, naming the smi router', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, services('web-stable', 'web-canary'))
    await apply(
      e,
      rollout(
        '{}',
        `      - setWeight: 20
      - setHeaderRoute:
          name: beta
          match: [{headerName: x-beta, headerValue: {exact: "1"}}]
      - pause: {}`,
        '        managedRoutes: [{name: beta}]',
      ),
    )
    const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => invalidSpec(x)?.status === 'True')
    expect(invalidSpec(r)?.message).toContain('spec.strategy.canary.steps[1].setHeaderRoute: Unsupported value: the smi traffic router does not support header routing')
    expect(r.status?.phase).toBe('Degraded')
    // Nothing was routed or scaled for an invalid Rollout.
    expect(await getSplit(e, 'web')).toBeUndefined()
    expect(await e.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: e.namespace })).toEqual([])

    // Removing the step makes it valid.
    await e.api.mergePatch(rolloutRef(e, 'web'), { spec: { strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } } } })
    await rolloutWhere(e, 'web', 'valid and healthy', (x) => invalidSpec(x) === undefined && x.status?.phase === 'Healthy')
    await eventually('the TrafficSplit at 0/100', async () => show(await getSplit(e, 'web')) === 'web-stable: web-canary="0" web-stable="100"')
  })

  it('names a traffic router plugin it has not loaded, writes nothing, and goes on once the block is gone', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, services('web-stable', 'web-canary'))
    await apply(e, rollout('{}', '      - setWeight: 20\n      - pause: {}', '        plugins: {"argoproj-labs/gatewayAPI": {httpRoute: web}}'))
    const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => invalidSpec(x)?.status === 'True')
    expect(invalidSpec(r)?.message).toContain(
      'spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"]: Unsupported value: the traffic router plugin "argoproj-labs/gatewayAPI" is not loaded (loaded plugins: none)',
    )
    expect(await getSplit(e, 'web')).toBeUndefined()
    expect(await e.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: e.namespace })).toEqual([])
    await eventually('an InvalidSpec Event naming the plugin', async () => (await eventsFor(e, 'web')).some((ev) => ev.reason === 'InvalidSpec' && ev.note.includes('argoproj-labs/gatewayAPI')))

    // The SMI router alone is fine: the Rollout is valid and reaches its steady state.
    await e.api.mergePatch(rolloutRef(e, 'web'), { spec: { strategy: { canary: { trafficRouting: { plugins: null } } } } })
    await rolloutWhere(e, 'web', 'valid and healthy', (x) => invalidSpec(x) === undefined && x.status?.phase === 'Healthy')
    await eventually('the TrafficSplit at 0/100', async () => show(await getSplit(e, 'web')) === 'web-stable: web-canary="0" web-stable="100"')
  })
})
