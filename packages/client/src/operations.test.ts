import { createMemoryKube } from '@sluice/kube/memory'
import type { KubeObject, ObjectRef, Rollout } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import {
  abort,
  decideAbort,
  decidePromote,
  decideRestart,
  decideRetry,
  decideSetImage,
  decideUndo,
  OperationRefused,
  promote,
  setImage,
} from './operations.ts'
import type { RolloutClientApi } from './operations.ts'

function rollout(status: Rollout['status'] = {}, spec: Partial<Rollout['spec']> = {}): Rollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }, { name: 'side', image: 'side:1' }] } },
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } },
      ...spec,
    },
    status,
  }
}
const updating = { stableRS: 'aaa', currentPodHash: 'bbb' }

describe('decidePromote', () => {
  it.each([
    // status, spec.paused → patch
    [{ ...updating, currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' as const, startTime: 't' }], controllerPause: true }, false, { status: { pauseConditions: null } }],
    [{ ...updating, currentStepIndex: 0 }, false, { status: { currentStepIndex: 1, pauseConditions: null } }], // skips a step waiting for pods
    [{ ...updating, currentStepIndex: 1 }, true, { spec: { paused: false } }], // manual pause: unpause only
    [{ ...updating, currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' as const, startTime: 't' }] }, true, { spec: { paused: false }, status: { pauseConditions: null } }],
  ])('%j (paused %s) → %j', (status, paused, expected) => {
    const { message: _m, ...patch } = decidePromote(rollout(status, { paused }))
    expect(patch).toEqual(expected)
  })

  it('promote --full asks for full promotion and unpauses', () => {
    const { message: _m, ...patch } = decidePromote(rollout({ ...updating, currentStepIndex: 1 }, { paused: true }), { full: true })
    expect(patch).toEqual({ status: { promoteFull: true }, spec: { paused: false } })
  })

  it.each([
    [{ stableRS: 'aaa', currentPodHash: 'aaa', currentStepIndex: 3 }, {}, /not in the middle of an update/],
    [{ stableRS: 'aaa', currentPodHash: 'aaa' }, { full: true }, /already fully promoted/],
    [{ ...updating, abort: true }, {}, /aborted: use retry/],
    [{ ...updating, currentStepIndex: 3 }, {}, /no step left/],
  ])('refuses %j %j', (status, options, message) => {
    expect(() => decidePromote(rollout(status), options)).toThrow(message)
  })
})

describe('abort, retry, restart, set image, undo', () => {
  it('abort sets status.abort, refused when promoted or already aborted', () => {
    expect(decideAbort(rollout(updating)).status).toEqual({ abort: true })
    expect(() => decideAbort(rollout({ stableRS: 'a', currentPodHash: 'a' }))).toThrow(OperationRefused)
    expect(() => decideAbort(rollout({ ...updating, abort: true }))).toThrow(/already aborted/)
  })

  it('retry clears status.abort, refused without an abort', () => {
    expect(decideRetry(rollout({ ...updating, abort: true })).status).toEqual({ abort: false })
    expect(() => decideRetry(rollout(updating))).toThrow(/not aborted/)
  })

  it('restart sets spec.restartAt to now, to the second', () => {
    expect(decideRestart(rollout(), new Date('2026-03-04T05:06:07.890Z')).spec).toEqual({ restartAt: '2026-03-04T05:06:07Z' })
  })

  it('set image changes one container and keeps the others', () => {
    expect(decideSetImage(rollout(), 'side', 'side:2').spec).toEqual({
      template: { spec: { containers: [{ name: 'web', image: 'web:1' }, { name: 'side', image: 'side:2' }] } },
    })
    expect(() => decideSetImage(rollout(), 'nope', 'x:1')).toThrow(/no container "nope" \(it has: web, side\)/)
    expect(() => decideSetImage(rollout(), 'web', 'web:1')).toThrow(/already runs/)
  })

  it("set image '*' sets every container and init container, refused when all run it already", () => {
    const withInit = rollout()
    ;(withInit.spec.template as { spec: Record<string, unknown> }).spec.initContainers = [{ name: 'init', image: 'init:1' }]
    const decided = decideSetImage(withInit, '*', 'web:1')
    expect(decided.spec).toEqual({
      template: { spec: { containers: [{ name: 'web', image: 'web:1' }, { name: 'side', image: 'web:1' }], initContainers: [{ name: 'init', image: 'web:1' }] } },
    })
    // "web" already ran web:1: it is not named as changed
    expect(decided.message).toBe('rollout "default/web" image set to web:1 in containers "side", "init"')
    const everyWeb1 = rollout()
    ;(everyWeb1.spec.template as { spec: Record<string, unknown> }).spec.containers = [{ name: 'web', image: 'web:1' }]
    expect(() => decideSetImage(everyWeb1, '*', 'web:1')).toThrow(/every container of rollout "default\/web" already runs web:1/)
  })

  it('undo takes the template of the newest earlier revision, without its hash label', () => {
    const rs = (hash: string, revision: number, image: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `web-${hash}`, labels: { 'rollouts-pod-template-hash': hash }, annotations: { 'rollout.argoproj.io/revision': String(revision) } },
      spec: { template: { metadata: { labels: { app: 'web', 'rollouts-pod-template-hash': hash } }, spec: { containers: [{ name: 'web', image }] } } },
    })
    const sets = [rs('aaa', 1, 'web:1'), rs('bbb', 2, 'web:2'), rs('ccc', 3, 'web:3')]
    expect(decideUndo(rollout({ currentPodHash: 'ccc', stableRS: 'ccc' }), sets).template).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'web:2' }] },
    })
    expect(decideUndo(rollout({ currentPodHash: 'ccc' }), sets, 1).message).toMatch(/revision 1/)
    expect(() => decideUndo(rollout({ currentPodHash: 'aaa' }), [sets[0] as KubeObject])).toThrow(/no earlier revision/)
  })
})

/** The memory kube with a status subresource: enough to check what the operations write. */
function memoryClient(objects: KubeObject[]): RolloutClientApi {
  const kube = createMemoryKube(objects)
  return Object.assign(kube, {
    mergePatchStatus: <T extends KubeObject>(ref: ObjectRef, patch: Record<string, unknown>) => kube.mergePatch<T>(ref, patch),
  })
}

describe('running operations', () => {
  const ref = { namespace: 'default', name: 'web' }

  it('writes the decision and reports it', async () => {
    const api = memoryClient([rollout({ ...updating, currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: 't' }], controllerPause: true })])
    expect(await promote(api, ref)).toBe('rollout "default/web" promoted')
    const after = await api.get<Rollout>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: 'default', name: 'web' })
    expect(after?.status?.pauseConditions).toBeUndefined()
    expect(after?.status?.controllerPause).toBe(true)
    expect(await abort(api, ref)).toBe('rollout "default/web" aborted')
    expect((await api.get<Rollout>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: 'default', name: 'web' }))?.status?.abort).toBe(true)
  })

  it('set image keeps the rest of the template', async () => {
    const api = memoryClient([rollout(updating)])
    await setImage(api, ref, 'web', 'web:9')
    const after = await api.get<Rollout>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: 'default', name: 'web' })
    expect(after?.spec.template?.spec?.containers?.map((c) => c.image)).toEqual(['web:9', 'side:1'])
    expect(after?.spec.template?.metadata?.labels).toEqual({ app: 'web' })
  })

  it('refuses clearly when the rollout does not exist', async () => {
    await expect(promote(memoryClient([]), ref)).rejects.toThrow('rollout "default/web" not found')
  })
})
