// LeaderElector on a real coordination.k8s.io/v1 Lease, with short timings (lease 3 s, renew
// deadline 2 s, retry 0.5 s) so hand-overs take seconds.
import type { KubeConfig } from '@kubernetes/client-node'
import type { KubeApi } from '@sluice/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { createKubeApi, LeaderElector } from '../src/index.ts'
import type { Lease } from '../src/index.ts'
import { eventually, kubeConfig, testNamespace } from './cluster.ts'

let kc: KubeConfig

beforeAll(() => {
  kc = kubeConfig()
})

const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 }

function candidate(kube: KubeApi, namespace: string, identity: string, log: string[]) {
  return new LeaderElector({
    kube,
    namespace,
    name: 'sluice-controller',
    identity,
    ...timings,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  })
}

/** A KubeApi that can be cut off from the API server, like a replica behind a broken network. */
function partitionable(kube: KubeApi) {
  const state = { cut: false }
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => (...args: A): Promise<R> =>
    state.cut ? Promise.reject(new Error('connect ETIMEDOUT')) : fn(...args)
  const api: KubeApi = {
    get: guard(kube.get) as KubeApi['get'],
    list: guard(kube.list) as KubeApi['list'],
    create: guard(kube.create) as KubeApi['create'],
    replace: guard(kube.replace) as KubeApi['replace'],
    mergePatch: guard(kube.mergePatch) as KubeApi['mergePatch'],
    apply: guard(kube.apply) as KubeApi['apply'],
    delete: guard(kube.delete),
  }
  return { api, state }
}

describe('LeaderElector (real API server)', () => {
  it('lets one of two replicas lead and hands over at once when the leader releases', async () => {
    const ns = await testNamespace(kc, 'lease-release')
    const api = createKubeApi(kc)
    const log: string[] = []
    const a = candidate(api, ns, 'replica-a', log)
    const b = candidate(createKubeApi(kc), ns, 'replica-b', log)
    a.start()
    await eventually('a to lead', () => a.isLeader())
    b.start()
    await new Promise((r) => setTimeout(r, 4_000)) // more than a lease duration: a keeps renewing
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false])
    expect(b.leader).toBe('replica-a')

    const lease = (await api.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns, name: 'sluice-controller' }))!
    expect(lease.spec).toMatchObject({ holderIdentity: 'replica-a', leaseDurationSeconds: 3, leaseTransitions: 0 })
    expect(Date.now() - Date.parse(lease.spec!.renewTime!)).toBeLessThan(1_500)

    const releasedAt = Date.now()
    await a.release()
    await eventually('b to lead', () => b.isLeader(), 5_000)
    const handOverMs = Date.now() - releasedAt
    expect(handOverMs).toBeLessThan(1_500) // one retry period, not a lease duration
    expect(log).toEqual(['replica-a started', 'replica-a stopped', 'replica-b started'])
    const after = (await api.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns, name: 'sluice-controller' }))!
    expect(after.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 })
    console.info(`[figures] release → new leader in ${handOverMs} ms (retry period 500 ms)`)
    await b.release()
  })

  it('a leader that cannot renew stops leading at its deadline; the other takes over after the lease duration', async () => {
    const ns = await testNamespace(kc, 'lease-partition')
    const cutOff = partitionable(createKubeApi(kc))
    const log: string[] = []
    const a = candidate(cutOff.api, ns, 'replica-a', log)
    const b = candidate(createKubeApi(kc), ns, 'replica-b', log)
    a.start()
    await eventually('a to lead', () => a.isLeader())
    b.start()
    await new Promise((r) => setTimeout(r, 1_000))
    cutOff.state.cut = true
    const cutAt = Date.now()
    await eventually('a to step down', () => !a.isLeader(), 5_000)
    const stoppedMs = Date.now() - cutAt
    await eventually('b to lead', () => b.isLeader(), 10_000)
    const takenMs = Date.now() - cutAt
    // a stops within its renew deadline (2 s after its last renewal); b waits out the lease (3 s after the last renewal it saw).
    expect(stoppedMs).toBeLessThanOrEqual(2_500)
    expect(takenMs).toBeGreaterThan(stoppedMs)
    expect(takenMs).toBeLessThan(3_000 + 2_000)
    expect(log).toEqual(['replica-a started', 'replica-a stopped', 'replica-b started'])
    console.info(`[figures] partitioned leader stepped down after ${stoppedMs} ms; new leader after ${takenMs} ms (lease 3 s, deadline 2 s)`)

    cutOff.state.cut = false // a comes back: it sees b's renewals and stays a follower
    await new Promise((r) => setTimeout(r, 2_000))
    expect([a.isLeader(), b.isLeader()]).toEqual([false, true])
    await a.release()
    await b.release()
  })

  it('never lets two candidates lead at once when they start together', async () => {
    const ns = await testNamespace(kc, 'lease-race')
    const log: string[] = []
    const electors = ['r1', 'r2', 'r3'].map((id) => candidate(createKubeApi(kc), ns, id, log))
    for (const e of electors) e.start()
    let maxLeaders = 0
    const deadline = Date.now() + 4_000
    while (Date.now() < deadline) {
      maxLeaders = Math.max(maxLeaders, electors.filter((e) => e.isLeader()).length)
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(maxLeaders).toBe(1)
    expect(log).toHaveLength(1)
    for (const e of electors) await e.release()
  })
})
