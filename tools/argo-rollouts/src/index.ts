/**
 * Argo Rollouts itself, as child processes: its controller (`rollouts-controller`) and its kubectl
 * plugin (`kubectl-argo-rollouts`), built from the pinned Go module by `build.sh` and cached in
 * ~/.cache/sluice. The differential suite runs the same Rollouts under it and under Sluice; the
 * bench runs it as the controller under test. Nothing here re-implements Argo Rollouts.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const buildScript = fileURLToPath(new URL('../build.sh', import.meta.url))

export interface ArgoRolloutsBinaries {
  /** The directory holding both binaries. */
  readonly dir: string
  readonly controller: string
  readonly kubectlPlugin: string
}

let built: Promise<ArgoRolloutsBinaries> | undefined

/**
 * Builds (the first time, about 9 minutes on 2 cores) or finds the cached binaries. The build's
 * progress goes to this process's stderr. Memoised per process.
 */
export function argoRolloutsBinaries(): Promise<ArgoRolloutsBinaries> {
  built ??= new Promise<ArgoRolloutsBinaries>((resolve, reject) => {
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.once('error', reject)
    child.once('exit', (code) => {
      const dir = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0 || !dir) return reject(new Error(`tools/argo-rollouts/build.sh exited ${code}`))
      resolve({ dir, controller: join(dir, 'rollouts-controller'), kubectlPlugin: join(dir, 'kubectl-argo-rollouts') })
    })
  })
  return built
}

/** Argo Rollouts' own CRD manifests (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun, Experiment), from the Go module cache. */
export async function argoRolloutsCrdFiles(): Promise<string[]> {
  const { stdout } = await run('bash', [buildScript, 'crds'])
  const dir = stdout.trim()
  return (await readdir(dir)).filter((f) => f.endsWith('-crd.yaml')).map((f) => join(dir, f))
}

/** A free TCP port on loopback (Argo Rollouts' metrics and health servers need explicit ones). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface ArgoControllerOptions {
  kubeconfigPath: string
  /** Watch this namespace only (`--namespaced`), as the tests do; omit for cluster-wide. */
  namespace?: string
  /** Where the controller's log goes (appended); omit to discard it. */
  logFile?: string
  /** More flags, e.g. `--qps 1000 --burst 2000` or `--istio-api-version v1beta1`. */
  extraArgs?: string[]
}

export interface ArgoControllerProcess {
  readonly child: ChildProcess
  readonly metricsPort: number
  readonly healthzPort: number
  /** SIGTERM by default; resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Starts Argo Rollouts' controller without leader election and resolves once its health server
 * answers (its informers are then starting; callers wait on the state they need).
 */
export async function startArgoController(options: ArgoControllerOptions): Promise<ArgoControllerProcess> {
  const { controller } = await argoRolloutsBinaries()
  const [metricsPort, healthzPort] = [await freePort(), await freePort()]
  const args = [
    '--kubeconfig', options.kubeconfigPath,
    '--leader-elect=false',
    '--metricsPort', String(metricsPort),
    '--healthzPort', String(healthzPort),
    ...(options.namespace ? ['--namespaced', '--namespace', options.namespace] : []),
    ...(options.extraArgs ?? []),
  ]
  // POD_NAMESPACE: where Argo Rollouts looks for its argo-rollouts-config ConfigMap.
  const env = { ...process.env, POD_NAMESPACE: options.namespace ?? 'argo-rollouts' }
  const child = spawn(controller, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: 'a' })
    child.stdout?.pipe(log)
    child.stderr?.pipe(log)
  } else {
    child.stdout?.resume()
    child.stderr?.resume()
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Argo Rollouts' controller exited (${child.exitCode}) at start; see ${options.logFile ?? 'its log'}`)
    const healthy = await fetch(`http://127.0.0.1:${healthzPort}/healthz`).then((r) => r.ok, () => false)
    if (healthy) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`Argo Rollouts' controller did not answer /healthz on port ${healthzPort} within 60 s`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    child,
    metricsPort,
    healthzPort,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      return exited
    },
  }
}

export interface KubectlArgoResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `kubectl argo rollouts ARGS` (the plugin binary itself) against the cluster; never throws on
 * a non-zero exit, the caller reads `code`. `timeoutMs` kills a command that would not return.
 */
export async function kubectlArgoRollouts(
  args: string[],
  options: { kubeconfigPath: string; namespace?: string; timeoutMs?: number },
): Promise<KubectlArgoResult> {
  const { kubectlPlugin } = await argoRolloutsBinaries()
  const all = ['--kubeconfig', options.kubeconfigPath, ...(options.namespace ? ['-n', options.namespace] : []), ...args]
  try {
    const { stdout, stderr } = await run(kubectlPlugin, all, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 << 20 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean }
    const code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 1
    return { code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}
