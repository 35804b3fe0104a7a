/**
 * A canary without traffic routing, driven by the real controller on the local control plane: the
 * pod ratio is the split. Steps, promote, abort, retry; ReplicaSets, Services, status and Events.
 */
import { abort, promote, retry } from '@sluice/client'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventsWhere, pods, rolloutWhere, rolloutYaml, serviceSelectorHash, servicesYaml, setImage, setUp, startController, tearDown } from './harness.ts'
import type { Env } from './harness.ts'

const manifest = `${servicesYaml()}---
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
steps:
- setWeight: 25
- pause: {}
- setWeight: 50
- pause: {}
`)}`

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-basic')
})
afterEach(async () => {
  await tearDown(env)
})

const isPausedAt = (index: number) => (r: { status?: { phase?: string; currentStepIndex?: number } }) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index

describe('basic canary (no traffic routing)', () => {
  it('goes through setWeight and pause steps, is promoted, aborted and retried', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, manifest)

    // Given a healthy first revision
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    const stableHash = first.status?.stableRS ?? ''
    expect(first.status?.currentPodHash).toBe(stableHash)
    expect(await pods(e, 'web')).toEqual({ canary: '4/4', stable: '4/4', others: '' })
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(stableHash)
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(stableHash)

    // When the image changes, the canary takes 1 of 4 pods (25 %) and pauses at step 1
    await setImage(e, 'web', 'web:2')
    let r = await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    const canaryHash = r.status?.currentPodHash ?? ''
    expect(canaryHash).not.toBe(stableHash)
    expect(r.status?.stableRS).toBe(stableHash)
    expect(r.status?.canary?.weights).toBeUndefined()
    expect(r.status?.pauseConditions?.map((p) => p.reason)).toEqual(['CanaryPauseStep'])
    expect(r.status?.conditions?.find((c) => c.type === 'Paused')?.status).toBe('True')
    expect(await pods(e, 'web')).toEqual({ canary: '1/1', stable: '3/3', others: '' })
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(canaryHash)
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(stableHash)

    // When promoted, it moves on to 50 % (2/2) and pauses at step 3
    await promote(e.api, { namespace: e.namespace, name: 'web' })
    r = await rolloutWhere(e, 'web', 'paused at step 3', isPausedAt(3))
    expect(await pods(e, 'web')).toEqual({ canary: '2/2', stable: '2/2', others: '' })

    // When aborted, all pods go back to the stable revision and the rollout is Degraded
    await abort(e.api, { namespace: e.namespace, name: 'web' })
    const aborted = await rolloutWhere(e, 'web', 'canary scaled to 0', (x) => x.status?.abort === true && x.status.currentStepIndex === 0)
    expect(aborted.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'False', reason: 'RolloutAborted' })
    expect(aborted.status?.message).toMatch(/^RolloutAborted: Rollout aborted update to revision 2/)
    await eventuallyPods(e, { canary: '0/0', stable: '4/4', others: '' })
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(stableHash)

    // When retried, the update starts again from the first step
    await retry(e.api, { namespace: e.namespace, name: 'web' })
    r = await rolloutWhere(e, 'web', 'paused at step 1 again', isPausedAt(1))
    expect(r.status?.abort).toBeFalsy()
    expect(await pods(e, 'web')).toEqual({ canary: '1/1', stable: '3/3', others: '' })

    // And once every pause is promoted, the new revision is stable and the old one drained
    await promote(e.api, { namespace: e.namespace, name: 'web' })
    await rolloutWhere(e, 'web', 'paused at step 3 again', isPausedAt(3))
    await promote(e.api, { namespace: e.namespace, name: 'web' })
    r = await rolloutWhere(e, 'web', 'healthy on the new revision', (x) => x.status?.phase === 'Healthy' && x.status.stableRS === canaryHash)
    expect(r.status?.currentStepIndex).toBe(4)
    expect(r.status?.conditions?.find((c) => c.type === 'Completed')?.status).toBe('True')
    expect(r.status?.conditions?.find((c) => c.type === 'Healthy')?.status).toBe('True')
    await eventuallyPods(e, { canary: '4/4', stable: '4/4', others: '0/0' })
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(canaryHash)

    const expected = ['RolloutUpdated', 'NewReplicaSetCreated', 'RolloutStepCompleted', 'RolloutPaused', 'RolloutAborted', 'RolloutRetry', 'RolloutCompleted', 'SwitchService', 'ScalingReplicaSet']
    const events = await eventsWhere(e, 'web', expected.join(', '), (evs) => expected.every((reason) => evs.some((ev) => ev.reason === reason)))
    expect(events.find((ev) => ev.reason === 'RolloutAborted')?.type).toBe('Warning')
    expect(events.map((ev) => ev.note)).toContain('Rollout step 1/4 completed (setWeight: 25)')
  })
})

async function eventuallyPods(e: Env, expected: { canary: string; stable: string; others: string }): Promise<void> {
  const deadline = Date.now() + 60_000
  let last = await pods(e, 'web')
  while (JSON.stringify(last) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) expect(last).toEqual(expected)
    await new Promise((r) => setTimeout(r, 200))
    last = await pods(e, 'web')
  }
}
