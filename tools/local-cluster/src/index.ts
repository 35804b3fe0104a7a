// Test-side helpers for the local control plane built by tools/local-cluster:
// start/stop a cluster through up.sh/down.sh, load its kubeconfig, give each
// test a namespace of its own, install CRDs. Everything talks to the real API
// server through @kubernetes/client-node.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
  loadAllYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node'

const packageDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..')

/** Root of the repository that holds this package. */
export const repoRoot = resolve(packageDir, '../..')

/** The data dir `pnpm cluster:up` uses when SLUICE_CLUSTER_DIR is unset. */
export const defaultClusterDir = join(repoRoot, '.cluster')

export interface StartClusterOptions {
  /** Data dir (SLUICE_CLUSTER_DIR). Default: `<repo>/.cluster`. */
  dir?: string
  /** First of 6 consecutive ports, or 'auto' to pick a free range. Default: up.sh's (16443). */
  portBase?: number | 'auto'
  /** Number of fake kwok nodes. Default 1. */
  nodes?: number
  /** Seconds up.sh waits for each readiness step. Default 120. */
  timeoutSeconds?: number
  /** The cluster stops itself when this process exits (a watchdog started by up.sh). */
  ownerPid?: number
  /** Receives every line up.sh and build.sh print. Default: written to stderr. */
  onOutput?: (line: string) => void
}

export interface ClusterHandle {
  dir: string
  kubeconfigPath: string
  apiServerUrl: string
  /** Seconds up.sh took, including the build check (undefined when it reused a running cluster). */
  startupSeconds?: number
}

/** Reads the `KEY=value` lines up.sh writes to `<dir>/cluster.env`. */
export function readClusterEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of readFileSync(join(dir, 'cluster.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line)
    if (m) env[m[1]!] = m[2]!
  }
  return env
}

function runScript(
  script: 'up.sh' | 'down.sh',
  env: Record<string, string | undefined>,
  onOutput: (line: string) => void,
): Promise<{ code: number; output: string[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(packageDir, script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const output: string[] = []
    const collect = (chunk: Buffer, carry: { rest: string }) => {
      const lines = (carry.rest + chunk.toString('utf8')).split('\n')
      carry.rest = lines.pop() ?? ''
      for (const line of lines) {
        output.push(line)
        onOutput(line)
      }
    }
    const outCarry = { rest: '' }
    const errCarry = { rest: '' }
    child.stdout.on('data', (c: Buffer) => collect(c, outCarry))
    child.stderr.on('data', (c: Buffer) => collect(c, errCarry))
    child.on('error', reject)
    child.on('close', (code) => {
      for (const rest of [outCarry.rest, errCarry.rest]) {
        if (rest) {
          output.push(rest)
          onOutput(rest)
        }
      }
      resolvePromise({ code: code ?? 1, output })
    })
  })
}

const writeToStderr = (line: string) => process.stderr.write(`${line}\n`)

/**
 * Starts (or reuses, when it is already healthy) the cluster of `opts.dir`
 * by running up.sh, which builds the binaries first if they are missing.
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<ClusterHandle> {
  const dir = resolve(opts.dir ?? defaultClusterDir)
  // With automatic ports, another process (a second test run, a benchmark) can bind a port between
  // up.sh's check and the component's own bind: stop what started and try new ports, three times.
  for (let attempt = 1; ; attempt++) {
    const { code, output } = await runScript(
      'up.sh',
      {
        SLUICE_CLUSTER_DIR: dir,
        SLUICE_CLUSTER_PORT_BASE: opts.portBase?.toString(),
        SLUICE_CLUSTER_NODES: opts.nodes?.toString(),
        SLUICE_CLUSTER_TIMEOUT: opts.timeoutSeconds?.toString(),
        SLUICE_CLUSTER_OWNER_PID: opts.ownerPid?.toString(),
      },
      opts.onOutput ?? writeToStderr,
    )
    if (code === 0) break
    const portRace = opts.portBase === 'auto' && output.some((line) => line.includes('address already in use'))
    if (!portRace || attempt >= 3) {
      throw new Error(`up.sh failed (exit ${code}) for ${dir}:\n${output.slice(-40).join('\n')}`)
    }
    ;(opts.onOutput ?? writeToStderr)(`[local-cluster] a port was taken while the cluster started (attempt ${attempt}); retrying on other ports`)
    await stopCluster({ dir }, opts)
  }
  const env = readClusterEnv(dir)
  const startup = env.SLUICE_CLUSTER_STARTUP_SECONDS
  return {
    dir,
    kubeconfigPath: env.SLUICE_KUBECONFIG ?? join(dir, 'admin.kubeconfig'),
    apiServerUrl: `https://127.0.0.1:${env.SLUICE_CLUSTER_API_PORT}`,
    startupSeconds: startup === undefined ? undefined : Number(startup),
  }
}

/** Stops the processes of the cluster by pid (down.sh) and removes its data. */
export async function stopCluster(
  handle: Pick<ClusterHandle, 'dir'>,
  opts: { onOutput?: (line: string) => void } = {},
): Promise<void> {
  const { code, output } = await runScript(
    'down.sh',
    { SLUICE_CLUSTER_DIR: handle.dir },
    opts.onOutput ?? writeToStderr,
  )
  if (code !== 0) {
    throw new Error(`down.sh failed (exit ${code}) for ${handle.dir}:\n${output.slice(-20).join('\n')}`)
  }
}

/** A KubeConfig from @kubernetes/client-node, loaded from a file. */
export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(path)
  return kc
}

/** True when the kubeconfig file exists and its API server answers /version within `timeoutMs`. */
export async function isClusterReachable(kubeconfigPath: string, timeoutMs = 5_000): Promise<boolean> {
  if (!existsSync(kubeconfigPath)) return false
  let timer: NodeJS.Timeout | undefined
  try {
    const kc = loadKubeConfig(kubeconfigPath)
    const probe = kc.makeApiClient(VersionApi).getCode().then(() => true)
    const timeout = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs)
    })
    return await Promise.race([probe, timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000
  const intervalMs = opts.intervalMs ?? 250
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`)
    }
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** HTTP status of an error thrown by @kubernetes/client-node, if it has one. */
export function statusCodeOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined
}

export interface TestNamespace {
  name: string
  /**
   * Deletes the namespace. With `wait`, resolves once it is gone (the
   * namespace controller needs a few seconds for that).
   */
  delete(opts?: { wait?: boolean; timeoutMs?: number }): Promise<void>
}

/** Label put on every namespace created by createTestNamespace. */
export const testNamespaceLabel = 'sluice.dev/test-namespace'

let namespaceCounter = 0

/**
 * Creates a namespace with a unique name starting with `prefix` and waits
 * until its `default` ServiceAccount exists (the ServiceAccount admission
 * plugin rejects pods before that). Call `delete()` afterwards, e.g. in
 * `afterEach` or `onTestFinished`.
 */
export async function createTestNamespace(kc: KubeConfig, prefix: string): Promise<TestNamespace> {
  const core = kc.makeApiClient(CoreV1Api)
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  namespaceCounter += 1
  const suffix = `${process.pid.toString(36)}-${namespaceCounter}-${Math.random().toString(36).slice(2, 7)}`
  const name = `${clean || 'test'}-${suffix}`.slice(0, 63).replace(/-+$/, '')
  await core.createNamespace({
    body: { metadata: { name, labels: { [testNamespaceLabel]: 'true' } } },
  })
  await waitFor(`ServiceAccount ${name}/default`, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: name })
    return true
  })
  return {
    name,
    async delete(opts = {}) {
      try {
        await core.deleteNamespace({ name })
      } catch (err) {
        if (statusCodeOf(err) !== 404) throw err
      }
      if (opts.wait) {
        await waitFor(
          `namespace ${name} to be deleted`,
          async () => {
            try {
              await core.readNamespace({ name })
              return false
            } catch (err) {
              if (statusCodeOf(err) === 404) return true
              throw err
            }
          },
          { timeoutMs: opts.timeoutMs ?? 120_000 },
        )
      }
    },
  }
}

function isCrd(obj: unknown): obj is V1CustomResourceDefinition {
  const o = obj as { apiVersion?: unknown; kind?: unknown } | null
  return o?.kind === 'CustomResourceDefinition' && o.apiVersion === 'apiextensions.k8s.io/v1'
}

/**
 * Creates (or replaces) every apiextensions.k8s.io/v1 CustomResourceDefinition
 * found in the given YAML files and waits until each is Established. Returns
 * the CRDs as the API server stored them.
 */
export async function installCrds(
  kc: KubeConfig,
  files: string[],
  opts: { timeoutMs?: number } = {},
): Promise<V1CustomResourceDefinition[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api)
  const crds: V1CustomResourceDefinition[] = []
  for (const file of files) {
    const docs = loadAllYaml(await readFile(file, 'utf8')).filter((d) => d != null)
    const found = docs.filter(isCrd)
    if (found.length === 0) throw new Error(`${file} holds no apiextensions.k8s.io/v1 CustomResourceDefinition`)
    crds.push(...found)
  }
  const names: string[] = []
  for (const crd of crds) {
    const name = crd.metadata?.name
    if (!name) throw new Error('a CustomResourceDefinition without metadata.name')
    names.push(name)
    try {
      await api.createCustomResourceDefinition({ body: crd })
    } catch (err) {
      if (statusCodeOf(err) !== 409) throw err
      const current = await api.readCustomResourceDefinition({ name })
      await api.replaceCustomResourceDefinition({
        name,
        body: { ...crd, metadata: { ...crd.metadata, resourceVersion: current.metadata?.resourceVersion } },
      })
    }
  }
  const installed: V1CustomResourceDefinition[] = []
  for (const name of names) {
    installed.push(
      await waitFor(
        `CRD ${name} to be Established`,
        async () => {
          const crd = await api.readCustomResourceDefinition({ name })
          const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          return established ? crd : undefined
        },
        { timeoutMs: opts.timeoutMs ?? 60_000 },
      ),
    )
  }
  return installed
}

export { isApiServerReady, startApiServer, stopApiServer, waitForApiServerReady } from './api-server.ts'
export type { StoppedApiServer } from './api-server.ts'
