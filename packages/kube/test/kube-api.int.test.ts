// createKubeApi against a real API server: CRUD, error mapping, server-side apply, the status
// subresource with optimistic concurrency, paging, discovery of a CRD installed at run time, and
// reads served from an informer cache.
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { KubeConfig } from '@kubernetes/client-node'
import { KubeApiError } from '@sluice/core'
import type { KubeObject } from '@sluice/core'
import { installCrds } from '@sluice/local-cluster'
import { beforeAll, describe, expect, it } from 'vitest'
import { createKubeApi, ensureFields, Informer, InformerCache } from '../src/index.ts'
import type { ClusterKubeApi } from '../src/index.ts'
import { kubeConfig, proxiedKubeConfig, testNamespace } from './cluster.ts'

interface Gadget extends KubeObject {
  spec?: { replicas?: number; image?: string }
  status?: { phase?: string; observedGeneration?: number; message?: string }
}

const GADGET = { apiVersion: 'kube-test.sluice.dev/v1', kind: 'Gadget' }

let kc: KubeConfig
let api: ClusterKubeApi

beforeAll(async () => {
  kc = kubeConfig()
  api = createKubeApi(kc)
  await installCrds(kc, [fileURLToPath(new URL('./fixtures/widget-crd.yaml', import.meta.url))])
})

const configMap = (namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name, ...(labels ? { labels } : {}) },
  data,
})

async function thrown(promise: Promise<unknown>): Promise<KubeApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KubeApiError)
  return error as KubeApiError
}

describe('createKubeApi (real API server)', () => {
  it('creates, reads, lists, replaces, merge-patches and deletes', async () => {
    const ns = await testNamespace(kc, 'kube-crud')
    const created = await api.create(configMap(ns, 'a', { k: 'v' }, { app: 'web' }))
    expect(created).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', data: { k: 'v' } })
    expect(typeof created.metadata.creationTimestamp).toBe('string') // JSON as the server sent it, no Date objects
    await api.create(configMap(ns, 'b', { k: 'v' }, { app: 'api' }))

    const read = await api.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' })
    expect(read?.metadata.uid).toBe(created.metadata.uid)
    const listed = await api.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { labelSelector: 'app=web' })
    expect(listed.map((o) => [o.apiVersion, o.kind, o.metadata.name])).toEqual([['v1', 'ConfigMap', 'a']])

    const replaced = await api.replace({ ...read!, data: { k: 'v2' } })
    expect(Number(replaced.metadata.resourceVersion)).toBeGreaterThan(Number(read!.metadata.resourceVersion))
    const patched = await api.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' }, { data: { k: null, other: 'x' } })
    expect(patched.data).toEqual({ other: 'x' })

    expect(await api.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' })).toBe(true)
    expect(await api.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' })).toBe(false)
    expect(await api.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' })).toBeUndefined()
  })

  it('maps API errors to KubeApiError with the server message', async () => {
    const ns = await testNamespace(kc, 'kube-errors')
    const first = await api.create(configMap(ns, 'a', { k: 'v' }))
    const exists = await thrown(api.create(configMap(ns, 'a', { k: 'v' })))
    expect([exists.status, exists.reason, exists.message]).toEqual([409, 'AlreadyExists', 'configmaps "a" already exists'])

    await api.replace({ ...first, data: { k: 'v2' } })
    const stale = await thrown(api.replace({ ...first, data: { k: 'v3' } }))
    expect([stale.status, stale.reason]).toEqual([409, 'Conflict'])
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again',
    )
    expect(stale.stack ?? '').not.toMatch(/HTTP-Code|Headers:/) // no client-node wrapper text

    const missing = await thrown(api.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'nope' }, { data: {} }))
    expect([missing.status, missing.reason, missing.message]).toEqual([404, 'NotFound', 'configmaps "nope" not found'])

    const invalid = await thrown(api.create(configMap(ns, 'Not_A_Name', {})))
    expect([invalid.status, invalid.reason]).toEqual([422, 'Invalid'])
    expect(invalid.message).toMatch(/^ConfigMap "Not_A_Name" is invalid: metadata.name: Invalid value/)
  })

  it('reports unknown kinds and unreachable servers as plain errors that say what failed', async () => {
    await expect(api.get({ apiVersion: 'nowhere.sluice.dev/v1', kind: 'Thing', namespace: 'a', name: 'x' })).rejects.toThrow(
      '[kube] the API server serves no Thing in nowhere.sluice.dev/v1 (is its CustomResourceDefinition installed?)',
    )
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(port))
      })
    })
    const dead = new KubeConfig()
    dead.loadFromString(kc.exportConfig())
    dead.loadFromOptions({
      clusters: dead.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${closedPort}` })),
      users: dead.users,
      contexts: dead.contexts,
      currentContext: dead.currentContext,
    })
    const error = await createKubeApi(dead)
      .get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'x' })
      .catch((e: unknown) => e as Error)
    expect(error).not.toBeInstanceOf(KubeApiError)
    expect((error as Error).message).toMatch(/^\[kube\] GET \/api\/v1\/namespaces\/a\/configmaps\/x: .*ECONNREFUSED/)
  })

  it('gives up on a silent connection after the request timeout and uses a new one next time', async () => {
    const { kc: viaProxy, proxy } = await proxiedKubeConfig(kc)
    const slow = createKubeApi(viaProxy, { requestTimeoutMs: 1_000 })
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'kube-root-ca.crt' }
    expect(await slow.get(ref)).toBeDefined()
    proxy.freezeAll() // the pooled connection stays open but carries nothing
    const started = Date.now()
    await expect(slow.get(ref)).rejects.toThrow(/^\[kube\] GET \/api\/v1\/namespaces\/default\/configmaps\/kube-root-ca.crt: no answer within 1000 ms$/)
    expect(Date.now() - started).toBeLessThan(3_000)
    const accepted = proxy.accepted
    expect(await slow.get(ref)).toBeDefined()
    expect(proxy.accepted).toBe(accepted + 1)
  })

  it('pages through long lists', async () => {
    const ns = await testNamespace(kc, 'kube-paging')
    for (let i = 0; i < 7; i++) await api.create(configMap(ns, `cm-${i}`, {}))
    const paged = createKubeApi(kc, { pageSize: 3 })
    const all = await paged.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns })
    expect(all.map((o) => o.metadata.name).filter((n) => n?.startsWith('cm-'))).toHaveLength(7)
    expect(paged.requests.list).toBe(3) // 8 objects with kube-root-ca.crt: pages of 3, 3, 2
  })

  it('server-side applies: owns fields per manager, removes what a manager drops, conflicts without force', async () => {
    const ns = await testNamespace(kc, 'kube-ssa')
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' }
    await api.apply(configMap(ns, 'a', { mine: '1', dropped: '1' }), { fieldManager: 'sluice' })
    await api.apply(configMap(ns, 'a', { theirs: '1' }), { fieldManager: 'someone-else' })
    const after = await api.apply(configMap(ns, 'a', { mine: '2' }), { fieldManager: 'sluice' })
    expect(after.data).toEqual({ mine: '2', theirs: '1' })
    const conflict = await thrown(api.apply(configMap(ns, 'a', { theirs: '2' }), { fieldManager: 'sluice', force: false }))
    expect([conflict.status, conflict.reason]).toEqual([409, 'Conflict'])
    expect(conflict.message).toMatch(/conflict with "someone-else"/)
    const forced = await api.apply(configMap(ns, 'a', { mine: '2', theirs: '2' }), { fieldManager: 'sluice' })
    expect(forced.data).toEqual({ mine: '2', theirs: '2' })
    expect((await api.get(ref))?.data).toEqual({ mine: '2', theirs: '2' })
  })

  it('writes status through the subresource, with resourceVersion as the lock', async () => {
    const ns = await testNamespace(kc, 'kube-status')
    const ref = { ...GADGET, namespace: ns, name: 'g' }
    const created = await api.create<Gadget>({ ...GADGET, metadata: { namespace: ns, name: 'g' }, spec: { replicas: 1, image: 'a:1' } })
    const withStatus = await api.replaceStatus<Gadget>({ ...created, status: { phase: 'Progressing', observedGeneration: 1 } })
    expect(withStatus.status).toEqual({ phase: 'Progressing', observedGeneration: 1 })
    // The status subresource ignores spec changes.
    const specIgnored = await api.replaceStatus<Gadget>({ ...withStatus, spec: { replicas: 9 } })
    expect(specIgnored.spec).toEqual({ replicas: 1, image: 'a:1' })

    // A status computed from a stale read is refused.
    const stale = await thrown(api.replaceStatus<Gadget>({ ...created, status: { phase: 'Healthy' } }))
    expect([stale.status, stale.reason]).toEqual([409, 'Conflict'])
    expect(stale.message).toMatch(/the object has been modified/)
    await expect(api.replaceStatus<Gadget>({ ...created, metadata: { ...created.metadata, resourceVersion: '' } })).rejects.toThrow(
      /needs metadata.resourceVersion/,
    )

    const patched = await api.mergePatchStatus<Gadget>(ref, { status: { message: 'step 1/3' } })
    expect(patched.status).toEqual({ phase: 'Progressing', observedGeneration: 1, message: 'step 1/3' })
    const applied = await api.applyStatus<Gadget>({ ...GADGET, metadata: { namespace: ns, name: 'g' }, status: { phase: 'Healthy' } }, { fieldManager: 'sluice' })
    expect(applied.status?.phase).toBe('Healthy')
    expect((await api.get<Gadget>(ref))?.spec).toEqual({ replicas: 1, image: 'a:1' })
  })

  it('creates subresources: evicts a pod through the Eviction API', async () => {
    const ns = await testNamespace(kc, 'kube-evict')
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name: 'p' }, spec: { containers: [{ name: 'c', image: 'c:1' }] } }
    const created = await api.create<KubeObject>(pod)
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: ns, name: 'p' }
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { namespace: ns, name: 'p' } }
    const answer = await api.createSubresource<{ kind?: string; status?: string }>(ref, 'eviction', eviction)
    expect(answer).toMatchObject({ kind: 'Status', status: 'Success' })
    const after = await api.get(ref)
    // Gone, or on its way out (graceful deletion): either way not the pod that was there.
    expect(after === undefined || after.metadata.deletionTimestamp !== undefined || after.metadata.uid !== created.metadata.uid).toBe(true)
    const missing = await thrown(api.createSubresource({ ...ref, name: 'nope' }, 'eviction', { ...eviction, metadata: { namespace: ns, name: 'nope' } }))
    expect(missing.status).toBe(404)
  })

  it('ensureFields writes only when the owned fields differ, whatever the server defaulted', async () => {
    const ns = await testNamespace(kc, 'kube-ensure')
    const ref = { apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'web' }
    await api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: ns, name: 'web', labels: { team: 'a' } },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    })
    const counting = createKubeApi(kc)
    const desired = { spec: { selector: { app: 'web', 'rollouts-pod-template-hash': 'abc' } } }
    expect(await ensureFields(counting, ref, desired, { fieldManager: 'sluice' })).toBe('updated')
    expect(await ensureFields(counting, ref, desired, { fieldManager: 'sluice' })).toBe('unchanged')
    expect(await ensureFields(counting, ref, desired, { fieldManager: 'sluice' })).toBe('unchanged')
    expect(counting.requests).toMatchObject({ get: 3, patch: 1 })
    const live = (await api.get<KubeObject & { spec: Record<string, unknown> }>(ref))!
    expect(live.spec.selector).toEqual(desired.spec.selector)
    expect(live.spec.clusterIP).toMatch(/^10\./) // defaulted by the server, left alone
    expect(live.metadata.labels).toEqual({ team: 'a' })

    await api.delete(ref)
    const gone = await thrown(ensureFields(api, ref, desired, { fieldManager: 'sluice' }))
    expect(gone.status).toBe(404)
    expect(await api.get(ref)).toBeUndefined() // never recreated as a partial object
  })

  it('answers get and list from a synced informer when given a cache', async () => {
    const ns = await testNamespace(kc, 'kube-cache')
    await api.create(configMap(ns, 'a', { k: 'v' }, { app: 'web' }))
    await api.create(configMap(ns, 'b', { k: 'v' }, { app: 'api' }))
    const cache = new InformerCache()
    const cached = createKubeApi(kc, { cache })
    const informer = new Informer<KubeObject>(cached, { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns })
    cache.add(informer)
    informer.start()
    await informer.waitForSync()
    const before = { ...cached.requests }
    const a = await cached.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' })
    const missing = await cached.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'zzz' })
    const web = await cached.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns }, { labelSelector: 'app in (web)' })
    expect([a?.data, missing, web.map((o) => o.metadata.name)]).toEqual([{ k: 'v' }, undefined, ['a']])
    expect(cached.requests.get).toBe(before.get) // no request
    expect(cached.requests.list).toBe(before.list)
    a!.data = { mutated: 'yes' } // callers get copies
    expect(informer.store.get(`${ns}/a`)?.data).toEqual({ k: 'v' })
    // Another namespace is not covered by this informer: asked from the server.
    await cached.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'kube-root-ca.crt' })
    expect(cached.requests.get).toBe(before.get + 1)
    await informer.stop()
  })
})
