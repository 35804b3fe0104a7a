// Shared setup of the integration tests: the cluster the vitest global setup of
// @sluice/local-cluster provides, a namespace per test, and two ways to disturb the
// API server connection (a proxy, an etcd compaction).
import { KubeConfig } from '@kubernetes/client-node'
import { createTestNamespace, loadKubeConfig } from '@sluice/local-cluster'
import { inject, onTestFinished } from 'vitest'
import { startTcpProxy } from './tcp-proxy.ts'
import type { TcpProxy } from './tcp-proxy.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfigPath: string
  }
}

export function kubeConfig(): KubeConfig {
  return loadKubeConfig(inject('kubeconfigPath'))
}

/** A fresh namespace, deleted when the test finishes. */
export async function testNamespace(kc: KubeConfig, prefix: string): Promise<string> {
  const ns = await createTestNamespace(kc, prefix)
  onTestFinished(() => ns.delete())
  return ns.name
}

/** The API server's URL in the kubeconfig. */
export function apiServerUrl(kc: KubeConfig): URL {
  const server = kc.getCurrentCluster()?.server
  if (!server) throw new Error('the kubeconfig has no current cluster')
  return new URL(server)
}

/** A copy of `kc` whose requests go through a TCP proxy in front of the API server. */
export async function proxiedKubeConfig(kc: KubeConfig): Promise<{ kc: KubeConfig; proxy: TcpProxy }> {
  const url = apiServerUrl(kc)
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) })
  onTestFinished(() => proxy.close())
  const copy = new KubeConfig()
  copy.loadFromString(kc.exportConfig())
  const current = copy.getCurrentCluster()!
  copy.loadFromOptions({
    clusters: copy.clusters.map((c) => (c.name === current.name ? { ...c, server: `https://${url.hostname}:${proxy.port}` } : c)),
    users: copy.users,
    contexts: copy.contexts,
    currentContext: copy.currentContext,
  })
  return { kc: copy, proxy }
}

/**
 * Compacts the cluster's etcd at its current revision, so that watches from any older
 * resourceVersion that the API server serves from etcd get 410 Gone. The local cluster runs etcd
 * on the port after the API server's (tools/local-cluster/lib.sh) with its HTTP gateway on loopback.
 */
export async function compactEtcd(kc: KubeConfig): Promise<number> {
  const etcd = `http://127.0.0.1:${Number(apiServerUrl(kc).port) + 1}`
  const version = (await (await fetch(`${etcd}/version`)).json()) as { etcdserver?: string }
  if (!version.etcdserver) throw new Error(`no etcd at ${etcd}: the cluster is not a tools/local-cluster one`)
  const head = (await (await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: btoa('compaction-probe') }) })).json()) as {
    header: { revision: string }
  }
  const revision = Number(head.header.revision)
  const res = await fetch(`${etcd}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(revision), physical: true }) })
  if (!res.ok) throw new Error(`etcd compaction failed: ${res.status} ${await res.text()}`)
  return revision
}

/** Polls until `check` returns true, or fails after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

