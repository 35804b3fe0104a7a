// vitest globalSetup for the integration suites: finds a reachable cluster or
// starts a private one, hands its kubeconfig to the tests, stops what it started.
//
// Order: $SLUICE_KUBECONFIG if reachable, then <repo>/.cluster/admin.kubeconfig
// (a developer's `pnpm cluster:up`) if reachable, otherwise a new cluster in
// <repo>/.cluster/int-<pid> on free ports, stopped in teardown. The new
// cluster is also tied to this process by up.sh's watchdog, so a test run
// killed with SIGKILL does not leave it running.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import {
  defaultClusterDir,
  isClusterReachable,
  readClusterEnv,
  startCluster,
  stopCluster,
  type ClusterHandle,
} from './index.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of an admin kubeconfig for the cluster the integration tests run against. */
    kubeconfigPath: string
  }
}

const log = (msg: string) => process.stderr.write(`[local-cluster] ${msg}\n`)

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Stops private clusters left by earlier runs whose owner process is gone. */
async function reapStaleClusters(): Promise<void> {
  if (!existsSync(defaultClusterDir)) return
  for (const entry of readdirSync(defaultClusterDir)) {
    if (!entry.startsWith('int-')) continue
    const dir = join(defaultClusterDir, entry)
    let owner = Number.NaN
    try {
      owner = Number(readClusterEnv(dir).SLUICE_CLUSTER_OWNER_PID)
    } catch {
      // no cluster.env: a start that died early; down.sh still cleans it
    }
    if (Number.isInteger(owner) && processAlive(owner)) continue
    log(`stopping a stale test cluster in ${dir}`)
    await stopCluster({ dir }, { onOutput: (l) => log(l) })
  }
}

async function findRunningCluster(): Promise<string | undefined> {
  const candidates = [process.env.SLUICE_KUBECONFIG, join(defaultClusterDir, 'admin.kubeconfig')]
  for (const path of candidates) {
    if (path && (await isClusterReachable(path))) return path
  }
  return undefined
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = await findRunningCluster()
  if (existing) {
    log(`using the running cluster of ${existing}`)
    project.provide('kubeconfigPath', existing)
    process.env.SLUICE_KUBECONFIG = existing
    return async () => {}
  }

  await reapStaleClusters()
  const dir = join(defaultClusterDir, `int-${process.pid}`)
  log(`starting a cluster for this test run in ${dir}`)
  const started = Date.now()
  let handle: ClusterHandle
  try {
    handle = await startCluster({ dir, portBase: 'auto', ownerPid: process.pid, onOutput: (l) => log(l) })
  } catch (err) {
    // up.sh already stopped what it had started; remove the leftovers too.
    await stopCluster({ dir }, { onOutput: (l) => log(l) }).catch(() => {})
    throw err
  }
  log(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${handle.kubeconfigPath}`)
  project.provide('kubeconfigPath', handle.kubeconfigPath)
  process.env.SLUICE_KUBECONFIG = handle.kubeconfigPath

  return async () => {
    log(`stopping the test cluster in ${handle.dir}`)
    await stopCluster(handle, { onOutput: (l) => log(l) })
  }
}
