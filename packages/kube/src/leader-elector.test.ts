import { createMemoryKube } from './memory/index.ts'
import type { KubeApi, KubeObject, ObjectRef } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { LeaderElector } from './index.ts'
import type { Lease } from './index.ts'
import { createManualClock } from './testing/manual-clock.ts'
import type { ManualClock } from './testing/manual-clock.ts'

const leaseRef: ObjectRef = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'sluice', name: 'controller' }

function elector(kube: KubeApi, clock: ManualClock, identity: string, log: string[]) {
  return new LeaderElector({
    kube,
    clock,
    namespace: 'sluice',
    name: 'controller',
    identity,
    random: () => 0,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  })
}

/** A KubeApi whose calls can be made to fail, like an API server that went away. */
function flaky(kube: KubeApi) {
  const state = { down: false }
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A) =>
    state.down ? Promise.reject(new Error('connect ECONNREFUSED')) : fn(...args)
  const api: KubeApi = {
    get: guard(kube.get.bind(kube)) as KubeApi['get'],
    list: guard(kube.list.bind(kube)) as KubeApi['list'],
    create: guard(kube.create.bind(kube)) as KubeApi['create'],
    replace: guard(kube.replace.bind(kube)) as KubeApi['replace'],
    mergePatch: guard(kube.mergePatch.bind(kube)) as KubeApi['mergePatch'],
    apply: guard(kube.apply.bind(kube)) as KubeApi['apply'],
    delete: guard(kube.delete.bind(kube)),
  }
  return { api, state }
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead, and records the Lease fields', async () => {
    const clock = createManualClock()
    const kube = createMemoryKube()
    const log: string[] = []
    const a = elector(kube, clock, 'a', log)
    const b = elector(kube, clock, 'b', log)
    a.start()
    await clock.settle()
    b.start()
    await clock.advance(30_000)
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false])
    expect(log).toEqual(['a started'])
    expect(b.leader).toBe('a')
    const lease = (await kube.get<Lease>(leaseRef))!
    expect(lease.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 })
    expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(Date.parse(lease.spec!.renewTime!)).toBeGreaterThan(Date.parse(lease.spec!.acquireTime!))
    await a.release()
    await b.release()
  })

  it('hands over within a retry period when the leader releases', async () => {
    const clock = createManualClock()
    const kube = createMemoryKube()
    const log: string[] = []
    const a = elector(kube, clock, 'a', log)
    const b = elector(kube, clock, 'b', log)
    a.start()
    await clock.settle()
    b.start()
    await clock.advance(5_000)
    await a.release()
    expect((await kube.get<Lease>(leaseRef))!.spec?.holderIdentity).toBeUndefined()
    await clock.advance(2_400) // one jittered retry period at most
    expect(log).toEqual(['a started', 'a stopped', 'b started'])
    const lease = (await kube.get<Lease>(leaseRef))!
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 })
    await b.release()
  })

  it('takes over from a leader that stopped renewing once the lease duration has passed', async () => {
    const clock = createManualClock()
    const kube = createMemoryKube()
    const log: string[] = []
    const a = flaky(kube)
    const leader = elector(a.api, clock, 'a', log)
    const other = elector(kube, clock, 'b', log)
    leader.start()
    await clock.settle()
    other.start()
    await clock.advance(4_000)
    a.state.down = true // the leader is cut off from the API server
    const cutAt = clock.now()
    let stoppedAt = 0
    let takenAt = 0
    while (!takenAt) {
      await clock.advance(100)
      if (!stoppedAt && !leader.isLeader()) stoppedAt = clock.now() - cutAt
      if (other.isLeader()) takenAt = clock.now() - cutAt
    }
    // The leader steps down at its renew deadline (10 s after its last renewal, which was at most
    // one retry period before the cut), before the other may take over (15 s after the last renewal seen).
    expect(stoppedAt).toBeGreaterThan(7_000)
    expect(stoppedAt).toBeLessThanOrEqual(10_000)
    expect(takenAt).toBeGreaterThan(stoppedAt)
    expect(takenAt).toBeLessThanOrEqual(17_500)
    expect(log).toEqual(['a started', 'a stopped', 'b started'])
    await other.release()
    await leader.release()
  })

  it('steps down at once when it sees another holder', async () => {
    const clock = createManualClock()
    const kube = createMemoryKube()
    const log: string[] = []
    const a = elector(kube, clock, 'a', log)
    a.start()
    await clock.settle()
    const lease = (await kube.get<Lease>(leaseRef))!
    await kube.replace<Lease>({ ...lease, spec: { ...lease.spec, holderIdentity: 'intruder' } })
    await clock.advance(2_000)
    expect(a.isLeader()).toBe(false)
    expect(log).toEqual(['a started', 'a stopped'])
    expect(a.leader).toBe('intruder')
    await a.release()
    expect((await kube.get<Lease>(leaseRef))!.spec?.holderIdentity).toBe('intruder') // not ours to release
  })

  it('survives callbacks that throw and rejects inconsistent timings', async () => {
    expect(() => new LeaderElector({ kube: createMemoryKube(), namespace: 'a', name: 'l', identity: 'x', leaseDurationMs: 5_000, renewDeadlineMs: 10_000 })).toThrow(RangeError)
    expect(() => new LeaderElector({ kube: createMemoryKube(), namespace: 'a', name: 'l', identity: '' })).toThrow(RangeError)
    const clock = createManualClock()
    const kube = createMemoryKube()
    const e = new LeaderElector({ kube, clock, namespace: 'a', name: 'l', identity: 'x', onStartedLeading: () => {
      throw new Error('boom')
    } })
    e.start()
    await clock.advance(10_000)
    expect(e.isLeader()).toBe(true)
    await e.release()
    const lease = (await kube.get<KubeObject & { spec?: { leaseDurationSeconds?: number } }>({ ...leaseRef, namespace: 'a', name: 'l' }))!
    expect(lease.spec?.leaseDurationSeconds).toBe(1)
  })
})
