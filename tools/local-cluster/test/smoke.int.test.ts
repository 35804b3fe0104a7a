// Smoke tests of the local control plane: real API server, real controllers,
// kwok nodes; every call goes through @kubernetes/client-node.
import { fileURLToPath } from 'node:url'
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  VersionApi,
  Watch,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest'
import {
  createTestNamespace,
  installCrds,
  loadKubeConfig,
  statusCodeOf,
  waitFor,
  type TestNamespace,
} from '../src/index.ts'

let kc: KubeConfig
let core: CoreV1Api
let apps: AppsV1Api

beforeAll(() => {
  kc = loadKubeConfig(inject('kubeconfigPath'))
  core = kc.makeApiClient(CoreV1Api)
  apps = kc.makeApiClient(AppsV1Api)
})

async function namespaceFor(prefix: string): Promise<TestNamespace> {
  const ns = await createTestNamespace(kc, prefix)
  onTestFinished(() => ns.delete())
  return ns
}

function deployment(name: string, replicas: number): V1Deployment {
  const labels = { app: name }
  return {
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // kwok never pulls or runs the image; any reference will do.
          containers: [{ name: 'app', image: 'registry.invalid/sluice/smoke:1' }],
        },
      },
    },
  }
}

describe('local control plane', () => {
  it('reports the version it was stamped with', async () => {
    const info = await kc.makeApiClient(VersionApi).getCode()
    expect(info.gitVersion).toMatch(/^v1\.\d+\.\d+$/)
  })

  it('rolls a Deployment of 3 replicas out to 3 Ready pods', async () => {
    const ns = await namespaceFor('smoke-deploy')
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment('web', 3) })

    const available = await waitFor('Deployment web to be Available with 3 ready replicas', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name })
      const cond = d.status?.conditions?.find((c) => c.type === 'Available')
      return cond?.status === 'True' && d.status?.readyReplicas === 3 && d.status.availableReplicas === 3 && d
    })
    expect(available.status?.replicas).toBe(3)

    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' })
    expect(pods.items).toHaveLength(3)
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/)
      expect(pod.status?.phase).toBe('Running')
      expect(pod.status?.podIP).toBeTruthy()
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True')
    }
  })

  it('garbage-collects the ReplicaSet and Pods of a deleted Deployment', async () => {
    const ns = await namespaceFor('smoke-gc')
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment('gc', 2) })
    await waitFor('2 running pods', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=gc' })
      return pods.items.filter((p) => p.status?.phase === 'Running').length === 2
    })
    const rs = await apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=gc' })
    expect(rs.items).toHaveLength(1)
    expect(rs.items[0]?.metadata?.ownerReferences?.[0]?.kind).toBe('Deployment')

    await apps.deleteNamespacedDeployment({ name: 'gc', namespace: ns.name, propagationPolicy: 'Background' })

    await waitFor('the ReplicaSet and its Pods to be garbage-collected', async () => {
      const [sets, pods] = await Promise.all([
        apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=gc' }),
        core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=gc' }),
      ])
      return sets.items.length === 0 && pods.items.length === 0
    })
  })

  describe('a CRD with a status subresource', () => {
    const group = 'smoke.sluice.dev'
    const version = 'v1alpha1'
    const plural = 'widgets'
    let custom: CustomObjectsApi

    beforeAll(async () => {
      const crdFile = fileURLToPath(new URL('./fixtures/widget-crd.yaml', import.meta.url))
      const [crd] = await installCrds(kc, [crdFile])
      expect(crd?.spec.names.kind).toBe('Widget')
      custom = kc.makeApiClient(CustomObjectsApi)
    })

    afterAll(async () => {
      await kc
        .makeApiClient(ApiextensionsV1Api)
        .deleteCustomResourceDefinition({ name: `${plural}.${group}` })
        .catch(() => {})
    })

    it('round-trips a custom object through its status subresource', async () => {
      const ns = await namespaceFor('smoke-crd')
      const created = await custom.createNamespacedCustomObject({
        group,
        version,
        namespace: ns.name,
        plural,
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'Widget',
          metadata: { name: 'w1' },
          spec: { size: 3 },
          status: { phase: 'ignored-on-create' },
        },
      })
      // With the status subresource, the main endpoint drops status.
      expect(created.status).toBeUndefined()

      const withStatus = await custom.replaceNamespacedCustomObjectStatus({
        group,
        version,
        namespace: ns.name,
        plural,
        name: 'w1',
        body: { ...created, status: { phase: 'Ready', observedSize: 3 } },
      })
      expect(withStatus.status).toEqual({ phase: 'Ready', observedSize: 3 })
      expect(withStatus.metadata.generation).toBe(created.metadata.generation)

      const read = await custom.getNamespacedCustomObject({ group, version, namespace: ns.name, plural, name: 'w1' })
      expect(read.spec).toEqual({ size: 3 })
      expect(read.status).toEqual({ phase: 'Ready', observedSize: 3 })

      // ...and a spec update through the main endpoint leaves status alone.
      const updated = await custom.replaceNamespacedCustomObject({
        group,
        version,
        namespace: ns.name,
        plural,
        name: 'w1',
        body: { ...read, spec: { size: 5 }, status: { phase: 'Overwritten' } },
      })
      expect(updated.spec).toEqual({ size: 5 })
      expect(updated.status).toEqual({ phase: 'Ready', observedSize: 3 })
      expect(updated.metadata.generation).toBeGreaterThan(read.metadata.generation)

      // The schema is enforced by the API server.
      const invalid = await custom
        .createNamespacedCustomObject({
          group,
          version,
          namespace: ns.name,
          plural,
          body: { apiVersion: `${group}/${version}`, kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 0 } },
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        )
      expect(statusCodeOf(invalid)).toBe(422)
    })
  })

  it('delivers ADDED, MODIFIED and DELETED to a watch', async () => {
    const ns = await namespaceFor('smoke-watch')
    // Start from a known resourceVersion so nothing is missed however late the watch connects.
    const list = await core.listNamespacedConfigMap({ namespace: ns.name })
    const events: { type: string; name: string | undefined; value: string | undefined }[] = []
    const ended = { err: undefined as unknown, done: false }
    const watch = new Watch(kc)
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns.name}/configmaps`,
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: false },
      (type, obj: V1ConfigMap) => {
        if (obj.metadata?.name === 'watched') {
          events.push({ type, name: obj.metadata.name, value: obj.data?.step })
        }
      },
      (err) => {
        ended.err = err
        ended.done = true
      },
    )
    onTestFinished(() => controller.abort())

    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'watched' }, data: { step: 'one' } },
    })
    const current = await core.readNamespacedConfigMap({ name: 'watched', namespace: ns.name })
    await core.replaceNamespacedConfigMap({
      name: 'watched',
      namespace: ns.name,
      body: { ...current, data: { step: 'two' } },
    })
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: ns.name })

    await waitFor('three watch events', () => events.length >= 3, { timeoutMs: 30_000 })
    expect(events).toEqual([
      { type: 'ADDED', name: 'watched', value: 'one' },
      { type: 'MODIFIED', name: 'watched', value: 'two' },
      { type: 'DELETED', name: 'watched', value: 'two' },
    ])
    expect(ended.done).toBe(false)
  })

  it('rejects an update with a stale resourceVersion with 409 Conflict', async () => {
    const ns = await namespaceFor('smoke-conflict')
    const created = await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'cm' }, data: { v: '1' } },
    })
    const fresh = await core.replaceNamespacedConfigMap({
      name: 'cm',
      namespace: ns.name,
      body: { ...created, data: { v: '2' } },
    })
    expect(fresh.metadata?.resourceVersion).not.toBe(created.metadata?.resourceVersion)

    const err = await core
      .replaceNamespacedConfigMap({ name: 'cm', namespace: ns.name, body: { ...created, data: { v: 'stale' } } })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(statusCodeOf(err)).toBe(409)
    const after = await core.readNamespacedConfigMap({ name: 'cm', namespace: ns.name })
    expect(after.data).toEqual({ v: '2' })
  })
})
