// Informer against a real API server: sync, add/update/delete, watches the server ends, a killed
// connection, a silent (frozen) connection, and a real 410 Gone after an etcd compaction, with
// deletions noticed only at the relist.
import type { KubeConfig } from '@kubernetes/client-node'
import type { KubeObject } from '@sluice/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { createKubeApi, Informer } from '../src/index.ts'
import type { InformerOptions, Logger } from '../src/index.ts'
import { compactEtcd, eventually, kubeConfig, proxiedKubeConfig, testNamespace } from './cluster.ts'

let kc: KubeConfig

beforeAll(() => {
  kc = kubeConfig()
})

const configMap = (namespace: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name },
  data,
})

/** An informer with a log of what its handlers saw (`add a`, `update a`, `delete a`). */
function recordingInformer(source: ReturnType<typeof createKubeApi>, options: InformerOptions<KubeObject>) {
  const log: string[] = []
  const print = (level: string) => (o: object, m: string) => (process.env.KUBE_TEST_LOG ? console.log(level, m, JSON.stringify(o)) : undefined)
  const logger: Logger = { debug: print('debug'), info: print('info'), warn: print('warn'), error: print('error') }
  const informer = new Informer<KubeObject>(source, { logger, ...options })
  informer.onAdd((o) => log.push(`add ${o.metadata.name}`))
  informer.onUpdate((_, o) => log.push(`update ${o.metadata.name}`))
  informer.onDelete((o) => log.push(`delete ${o.metadata.name}`))
  return { informer, log }
}

describe('Informer (real API server)', () => {
  it('syncs, then delivers adds, updates and deletes as they happen', async () => {
    const ns = await testNamespace(kc, 'inf-basic')
    const api = createKubeApi(kc)
    await api.create(configMap(ns, 'before', { k: '1' }))
    const { informer, log } = recordingInformer(api, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns })
    informer.start()
    await informer.waitForSync()
    expect(log.sort()).toEqual(['add before', 'add kube-root-ca.crt'])
    log.length = 0

    const created = await api.create(configMap(ns, 'a', { k: '1' }))
    await api.replace({ ...created, data: { k: '2' } })
    await api.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'before' })
    await eventually('three events', () => log.length === 3)
    expect(log).toEqual(['add a', 'update a', 'delete before'])
    expect(informer.store.get(`${ns}/a`)?.data).toEqual({ k: '2' })
    expect(informer.store.byNamespace(ns).map((o) => o.metadata.name).sort()).toEqual(['a', 'kube-root-ca.crt'])
    expect(informer.stats).toMatchObject({ lists: 1, watches: 1, expired: 0, errors: 0 })
    await informer.stop()
  })

  it('reopens watches the server ends (timeoutSeconds) from where it was, without relisting or losing events', async () => {
    const ns = await testNamespace(kc, 'inf-timeout')
    const api = createKubeApi(kc)
    const { informer, log } = recordingInformer(api, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, watchTimeoutSeconds: 1 })
    informer.start()
    await informer.waitForSync()
    log.length = 0
    for (let i = 0; i < 6; i++) {
      await api.create(configMap(ns, `cm-${i}`, {}))
      await new Promise((r) => setTimeout(r, 700))
    }
    await eventually('six adds', () => log.length === 6)
    expect(log).toEqual(['add cm-0', 'add cm-1', 'add cm-2', 'add cm-3', 'add cm-4', 'add cm-5'])
    expect(informer.stats.lists).toBe(1)
    expect(informer.stats.watchRestarts).toBeGreaterThanOrEqual(1)
    expect(informer.stats.expired).toBe(0)
    console.info(`[figures] server-closed watches over ~4 s with timeoutSeconds 1-2: ${JSON.stringify(informer.stats)}`)
    await informer.stop()
  })

  it('reconnects after its connection is killed and catches up on what changed meanwhile', async () => {
    const ns = await testNamespace(kc, 'inf-killed')
    const direct = createKubeApi(kc)
    const { kc: viaProxy, proxy } = await proxiedKubeConfig(kc)
    const { informer, log } = recordingInformer(createKubeApi(viaProxy), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      backoff: { baseMs: 200, maxMs: 1_000 },
    })
    informer.start()
    await informer.waitForSync()
    log.length = 0

    proxy.refuse(true)
    proxy.killAll()
    await direct.create(configMap(ns, 'during-outage', {}))
    await new Promise((r) => setTimeout(r, 1_500)) // a few failed reconnects
    const refusedAt = Date.now()
    proxy.refuse(false)
    await eventually('the change made during the outage', () => log.includes('add during-outage'))
    const caughtUpMs = Date.now() - refusedAt
    await direct.create(configMap(ns, 'after', {}))
    await eventually('a change after the reconnect', () => log.includes('add after'))
    expect(log).toEqual(['add during-outage', 'add after'])
    expect(informer.stats.lists).toBe(1) // resumed from its resourceVersion: no relist
    expect(informer.stats.errors).toBeGreaterThanOrEqual(1)
    console.info(`[figures] killed connection: caught up ${caughtUpMs} ms after the proxy accepted again; ${JSON.stringify(informer.stats)}`)
    await informer.stop()
  })

  it('notices a silent watch with its watchdog and reopens it', async () => {
    const ns = await testNamespace(kc, 'inf-silent')
    const direct = createKubeApi(kc)
    const { kc: viaProxy, proxy } = await proxiedKubeConfig(kc)
    const { informer, log } = recordingInformer(createKubeApi(viaProxy), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: ns,
      silenceTimeoutMs: 2_000,
    })
    informer.start()
    await informer.waitForSync()
    await direct.create(configMap(ns, 'before-freeze', {}))
    await eventually('the watch to be connected', () => log.includes('add before-freeze'))
    log.length = 0
    const acceptedBefore = proxy.accepted
    proxy.freezeAll() // the connection stays open, but nothing gets through: a half-dead peer
    const frozenAt = Date.now()
    await direct.create(configMap(ns, 'while-frozen', {}))
    await eventually('the event sent while frozen', () => log.includes('add while-frozen'), 15_000)
    const recoveredMs = Date.now() - frozenAt
    expect(informer.stats.silentWatches).toBeGreaterThanOrEqual(1)
    expect(informer.stats.lists).toBe(1)
    expect(proxy.accepted).toBeGreaterThan(acceptedBefore)
    // (No assertion on recoveredMs: tests never fail on a time. The watchdog counted the silent watch
    // and the informer reconnected without relisting; the delay is reported as a figure.)
    console.info(`[figures] frozen connection: event delivered ${recoveredMs} ms after the freeze (watchdog 2000 ms); ${JSON.stringify(informer.stats)}`)
    await informer.stop()
  })

  it('relists after 410 Gone and reports deletions it only notices then', async () => {
    // core/v1 Events are not in the API server's watch cache, so their watches are served by etcd:
    // once etcd is compacted past the informer's resourceVersion, reopening the watch gets 410.
    const ns = await testNamespace(kc, 'inf-gone')
    const direct = createKubeApi(kc)
    const event = (name: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: ns, name },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'x' },
      reason: 'Test',
      message: name,
      type: 'Normal',
    })
    await direct.create(event('stays'))
    await direct.create(event('deleted-while-away'))
    const { kc: viaProxy, proxy } = await proxiedKubeConfig(kc)
    const { informer, log } = recordingInformer(createKubeApi(viaProxy), {
      apiVersion: 'v1',
      kind: 'Event',
      namespace: ns,
      backoff: { baseMs: 200, maxMs: 1_000 },
    })
    informer.start()
    await informer.waitForSync()
    const listedAt = informer.resourceVersion
    log.length = 0

    proxy.refuse(true)
    proxy.killAll()
    await direct.delete({ apiVersion: 'v1', kind: 'Event', namespace: ns, name: 'deleted-while-away' })
    await direct.create(event('created-while-away'))
    const compactedAt = await compactEtcd(kc)
    expect(compactedAt).toBeGreaterThan(Number(listedAt))
    proxy.refuse(false)

    await eventually('the relist', () => informer.stats.lists === 2)
    await eventually('the relist differences', () => log.length === 2)
    expect(log.sort()).toEqual(['add created-while-away', 'delete deleted-while-away'])
    expect(informer.stats.expired).toBe(1)
    expect(informer.store.keys().sort()).toEqual([`${ns}/created-while-away`, `${ns}/stays`])
    console.info(`[figures] 410 after compaction at ${compactedAt} (informer was at ${listedAt}): ${JSON.stringify(informer.stats)}`)

    // And the informer keeps working from the new list.
    await direct.create(event('after-relist'))
    await eventually('an event after the relist', () => log.includes('add after-relist'))
    await informer.stop()
  })

  it('forces the 410 path by restarting the watch from an ancient resourceVersion', async () => {
    const ns = await testNamespace(kc, 'inf-restart')
    const api = createKubeApi(kc)
    const { informer } = recordingInformer(api, { apiVersion: 'v1', kind: 'Event', namespace: ns })
    informer.start()
    await informer.waitForSync()
    await compactEtcd(kc)
    informer.restartWatch({ resourceVersion: '1' })
    await eventually('the relist', () => informer.stats.lists === 2)
    expect(informer.stats.expired).toBe(1)
    await informer.stop()
  })
})
