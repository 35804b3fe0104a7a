/**
 * A traffic-routed canary (SMI TrafficSplit, the smallest router) driven by the real controller on
 * the local control plane: weights follow the steps once the canary pods are Ready, the stable keeps
 * all its pods, abort returns the traffic first and drains the canary after its delay.
 */
import { abort, promote, retry } from '@sluice/client'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventNotesInclude, eventually, pods, rolloutWhere, rolloutYaml, serviceSelectorHash, servicesYaml, setImage, setUp, startController, tearDown } from './harness.ts'
import type { Env } from './harness.ts'

const smiCrd = fileURLToPath(new URL('../../../../packages/smi/test/crds/trafficsplit.yaml', import.meta.url))

const manifest = `${servicesYaml()}---
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 3
abortScaleDownDelaySeconds: 3
trafficRouting:
  smi: {}
steps:
- setWeight: 20
- pause: {}
- setWeight: 50
- pause: {duration: 2}
`)}`

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-smi', [smiCrd])
})
afterEach(async () => {
  await tearDown(env)
})

async function split(e: Env): Promise<string> {
  const ts = await e.api.get({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: e.namespace, name: 'web' })
  const backends = ((ts?.spec as { backends?: { service: string; weight: string | number }[] } | undefined)?.backends ?? []).map((b) => `${b.service}=${b.weight}`)
  return backends.join(' ')
}

describe('traffic-routed canary (SMI)', () => {
  it('shifts weight step by step, is promoted, aborted and retried', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, manifest)
    const ref = { namespace: e.namespace, name: 'web' }

    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    const v1 = first.status?.stableRS ?? ''
    await eventually('the TrafficSplit at 0/100', async () => (await split(e)) === 'web-canary=0 web-stable=100')
    const owner = (await e.api.get({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: e.namespace, name: 'web' }))?.metadata.ownerReferences?.[0]
    expect(owner).toMatchObject({ kind: 'Rollout', name: 'web', controller: true, uid: first.metadata.uid })
    expect(first.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v1 }, stable: { weight: 100, podTemplateHash: v1 } })

    // 20 %: one canary pod of four, the stable keeps all four
    await setImage(e, 'web', 'web:2')
    let r = await rolloutWhere(e, 'web', 'paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
    const v2 = r.status?.currentPodHash ?? ''
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20, podTemplateHash: v2, serviceName: 'web-canary' }, stable: { weight: 80, podTemplateHash: v1, serviceName: 'web-stable' } })
    expect(await split(e)).toBe('web-canary=20 web-stable=80')
    expect(await pods(e, 'web')).toEqual({ canary: '1/1', stable: '4/4', others: '' })
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v2)
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(v1)

    // 50 %, then the timed pause elapses, all traffic moves to the canary, then the stable Service
    // switches and the weight returns to 0 (both Services now select the new pods)
    await promote(e.api, ref)
    r = await rolloutWhere(e, 'web', 'at 50 %', (x) => x.status?.canary?.weights?.canary.weight === 50)
    expect(await pods(e, 'web')).toEqual({ canary: '2/2', stable: '4/4', others: '' })
    r = await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.stableRS === v2 && x.status.phase === 'Healthy', 60_000)
    expect(await split(e)).toBe('web-canary=0 web-stable=100')
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(v2)
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v2 }, stable: { weight: 100, podTemplateHash: v2 } })
    // the previous stable keeps its pods for scaleDownDelaySeconds, then goes to 0
    await eventually('old stable drained after its delay', async () => (await pods(e, 'web')).others === '0/0')
    // In Argo Rollouts' words, as far as the Rollout's burst of 25 Normal Events goes.
    await eventNotesInclude(e, 'web', 'TrafficWeightUpdated', ['to 0', 'from 0 to 20', 'from 20 to 50', 'from 50 to 100', 'from 100 to 0'].map((change) => `Traffic weight updated ${change}`))

    // A third revision, aborted at 20 %: weight back to 0 at once, the canary keeps its pod for the
    // abort delay, then drains; the canary Service points at the stable pods again
    await setImage(e, 'web', 'web:3')
    r = await rolloutWhere(e, 'web', 'v3 paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentPodHash !== v2)
    const v3 = r.status?.currentPodHash ?? ''
    expect(await split(e)).toBe('web-canary=20 web-stable=80')
    await abort(e.api, ref)
    r = await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.canary?.weights?.canary.weight === 0)
    expect(await split(e)).toBe('web-canary=0 web-stable=100')
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v2)
    const duringDelay = await pods(e, 'web')
    expect(duringDelay.stable).toBe('4/4')
    await eventually('aborted canary drained after its delay', async () => (await pods(e, 'web')).canary === '0/0')
    expect(r.status?.currentStepIndex).toBe(0)

    // Retry: from the first step again
    await retry(e.api, ref)
    r = await rolloutWhere(e, 'web', 'retried, paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1 && !x.status.abort)
    expect(r.status?.currentPodHash).toBe(v3)
    expect(await split(e)).toBe('web-canary=20 web-stable=80')
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v3)
  })

  it('with dynamicStableScale, an abort during a pause brings the canary Service back to the stable and leaves Paused=True, as Argo Rollouts does', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, `${servicesYaml()}---
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
dynamicStableScale: true
trafficRouting:
  smi: {}
steps:
- setWeight: 50
- pause: {}
`)}`)
    const ref = { namespace: e.namespace, name: 'web' }
    const v1 = (await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')).status?.stableRS ?? ''

    await setImage(e, 'web', 'web:2')
    let r = await rolloutWhere(e, 'web', 'paused at 50 %', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
    const v2 = r.status?.currentPodHash ?? ''
    // dynamicStableScale: the stable shrinks to the share it carries once 50/50 is in effect
    await eventually('the stable at 2 pods', async () => (await pods(e, 'web')).stable === '2/2')
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v2)

    await abort(e.api, ref)
    // the stable grows back while the canary shrinks as the weight leaves it (dynamicStableScale without
    // an abortScaleDownDelaySeconds), then the canary Service selects the stable
    // pods again (before the fix it kept selecting the aborted ReplicaSet, whose pods are gone)
    await eventually('the canary Service back on the stable', async () => (await serviceSelectorHash(e, 'web-canary')) === v1)
    r = await rolloutWhere(e, 'web', 'aborted with all traffic on the stable', (x) => x.status?.abort === true && x.status.canary?.weights?.canary.weight === 0)
    expect(await split(e)).toBe('web-canary=0 web-stable=100')
    await eventually('the aborted canary drained', async () => (await pods(e, 'web')).canary === '0/0')
    expect(await pods(e, 'web')).toMatchObject({ stable: '4/4' })
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v1)
    r = await rolloutWhere(e, 'web', 'Degraded', (x) => x.status?.phase === 'Degraded')
    expect(r.status?.conditions?.find((c) => c.type === 'Paused')).toMatchObject({ status: 'True', reason: 'RolloutPaused' })
  })
})
