/**
 * pnpm bench [--quick] [--n 10,100,1000] [--controller-command "<cmd>"] [--profile] ...
 *
 * Benchmarks a Rollout controller from the outside on a dedicated local control plane: reaction
 * latency, time to finish, API requests per step, memory and CPU, for N rollouts updated at once.
 * Writes bench/results/<date>-<machine>.json and .md (…-n10.json etc. for other N than 10,100,1000). Never fails on a figure: it exits non-zero
 * only when it could not measure (cluster, controller or harness trouble).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { clusterDown, clusterUp } from './cluster.ts'
import { DEFAULT_CONTROLLER_COMMAND } from './controller.ts'
import { gitState } from './git.ts'
import { KubeClient, loadCredentials } from './kube.ts'
import { machine, markdown } from './report.ts'
import type { BenchResults } from './report.ts'
import { runBenchmark } from './run.ts'
import type { RunResult } from './run.ts'

const DEFAULT_NS = '10,100,1000'

const USAGE = `pnpm bench [flags]

  --quick                      N = 10 only (about a minute)
  --n LIST                     numbers of rollouts, comma-separated (default ${DEFAULT_NS})
  --controller-command CMD     starts the controller under test; {kubeconfig} is replaced, a leading
                               "node" is this Node (default: the Sluice controller from source)
  --crds DIR                   the Rollout API's CRDs from every *-crd.yaml in DIR instead of Sluice's
                               (another controller's, e.g. Argo Rollouts' manifests/crds)
  --profile                    CPU profile and heap snapshot of the controller at the largest N
                               (Node controllers), into bench/results/profiles/
  --replicas R                 pods per rollout (default 2)
  --pause SECONDS              duration of each of the two pauses (default 5)
  --scale-down-delay SECONDS   scaleDownDelaySeconds (default 3)
  --concurrency C              requests in flight while creating and patching (default 32)
  --update-timeout MINUTES     give up waiting for one N's update after this long (default 20)
  --budget MINUTES             the whole run's time budget (default 30): the last N's update is cut
                               short (and reported as incomplete) so that the run ends in time
  --after-idle SECONDS         idle time after the run before the controller's memory is read (default 10)
  --out DIR                    results directory (default bench/results)
  --help`

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Time to keep for after an N's update: quiet wait, memory sampling, profile, cluster teardown (estimated, ms). */
const reserveMs = (n: number, profile: boolean, afterIdleMs: number) => 60_000 + afterIdleMs + (profile ? 90_000 + n * 60 : 0)


function parse() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: 'boolean' },
      n: { type: 'string' },
      'controller-command': { type: 'string' },
      crds: { type: 'string' },
      profile: { type: 'boolean' },
      replicas: { type: 'string' },
      pause: { type: 'string' },
      'scale-down-delay': { type: 'string' },
      concurrency: { type: 'string' },
      'update-timeout': { type: 'string' },
      budget: { type: 'string' },
      'after-idle': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const int = (flag: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined) return fallback
    const v = Number(text)
    if (!Number.isInteger(v) || v < min) throw new Error(`--${flag}: expected a whole number ≥ ${min}, got "${text}"`)
    return v
  }
  const ns = (values.n ?? (values.quick ? '10' : DEFAULT_NS)).split(',').map((s) => int('n', s.trim(), 0, 1))
  return {
    ns,
    controllerCommand: values['controller-command'] ?? DEFAULT_CONTROLLER_COMMAND,
    crdsDir: values.crds,
    profile: values.profile ?? false,
    replicas: int('replicas', values.replicas, 2, 1),
    pauseSeconds: int('pause', values.pause, 5, 1),
    scaleDownDelaySeconds: int('scale-down-delay', values['scale-down-delay'], 3, 0),
    concurrency: int('concurrency', values.concurrency, 32, 1),
    updateTimeoutMs: int('update-timeout', values['update-timeout'], 20, 1) * 60_000,
    afterIdleMs: int('after-idle', values['after-idle'], 10, 0) * 1000,
    budgetMs: int('budget', values.budget, 30, 1) * 60_000,
    out: values.out ?? join(repoRoot, 'bench/results'),
  }
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>
  try {
    options = parse()
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`)
    return 2
  }
  const started = Date.now()
  const log = (message: string) => process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}\n`)
  const workDir = join(repoRoot, 'bench/.work')
  const clusterDir = join(workDir, 'cluster')
  const clusterLog = join(workDir, 'cluster.log')
  mkdirSync(workDir, { recursive: true })
  mkdirSync(options.out, { recursive: true })
  const host = machine()
  const date = new Date().toISOString().slice(0, 10)
  const stamp = `${date}-${host.id}`
  const profileDir = join(options.out, 'profiles')
  if (options.profile) mkdirSync(profileDir, { recursive: true })

  let interrupted = false
  const onSignal = (signal: string) => {
    if (interrupted) return
    interrupted = true
    process.stderr.write(`bench: ${signal}: stopping the benchmark cluster\n`)
    void clusterDown(repoRoot, clusterDir, clusterLog).then(() => process.exit(130))
  }
  process.once('SIGINT', () => onSignal('SIGINT'))
  process.once('SIGTERM', () => onSignal('SIGTERM'))

  const runs: RunResult[] = []
  let kubernetes: string | undefined
  let failure: Error | undefined
  const largest = Math.max(...options.ns)
  log(`machine ${host.id}; N = ${options.ns.join(', ')}; controller: ${options.controllerCommand}`)
  try {
    for (const n of options.ns) {
      // A fresh control plane per N: nothing left over from the previous N (objects, caches, counters).
      await clusterDown(repoRoot, clusterDir, clusterLog)
      log(`N=${n}: starting the benchmark cluster in ${clusterDir}`)
      const cluster = await clusterUp(repoRoot, clusterDir, clusterLog)
      log(`N=${n}: cluster up in ${cluster.startupSeconds.toFixed(0)} s (API server :${cluster.apiPort})`)
      if (!kubernetes) {
        const client = new KubeClient(loadCredentials(cluster.kubeconfig))
        kubernetes = (await client.get<{ gitVersion?: string }>('/version')).gitVersion
        client.close()
      }
      const result = await runBenchmark({
        n,
        repoRoot,
        kubeconfig: cluster.kubeconfig,
        controllerCommand: options.controllerCommand,
        crdsDir: options.crdsDir,
        workDir,
        replicas: options.replicas,
        pauseSeconds: options.pauseSeconds,
        scaleDownDelaySeconds: options.scaleDownDelaySeconds,
        concurrency: options.concurrency,
        afterIdleMs: options.afterIdleMs,
        // What is left of the budget, less what follows the update (quiet, memory, profile, teardown).
        updateTimeoutMs: Math.max(60_000, Math.min(options.updateTimeoutMs, started + options.budgetMs - Date.now() - reserveMs(n, options.profile && n === largest, options.afterIdleMs))),
        ...(options.profile && n === largest ? { profile: { dir: profileDir, name: `${stamp}-n${n}` } } : {}),
        log,
      })
      runs.push(result)
      const u = result.update
      log(
        `N=${n}: reaction p50/p95/p99 ${u.reactionMs.p50}/${u.reactionMs.p95}/${u.reactionMs.p99} ms; all promoted ${u.allPromotedSeconds} s; ` +
          `${result.api.perStep.writes.toFixed(2)} writes/step (${result.api.perStep.extraWrites.toFixed(2)} extra); ` +
          `RSS idle ${result.controller.idleBeforeMB} → peak ${result.controller.peakSampledMB} → after ${result.controller.afterRunMB} MB; CPU ${result.controller.cpuSecondsUpdate} s`,
      )
      if (interrupted) break
    }
  } catch (error) {
    failure = error as Error
    log(`failed: ${failure.message}`)
  } finally {
    log('stopping the benchmark cluster')
    await clusterDown(repoRoot, clusterDir, clusterLog)
  }

  if (runs.length > 0) {
    const results: BenchResults = {
      date,
      machine: host,
      kubernetes,
      git: gitState(repoRoot),
      controllerCommand: options.controllerCommand,
      options: {
        ns: options.ns,
        replicas: options.replicas,
        pauseSeconds: options.pauseSeconds,
        scaleDownDelaySeconds: options.scaleDownDelaySeconds,
        concurrency: options.concurrency,
        profile: options.profile,
        budgetMinutes: options.budgetMs / 60_000,
      },
      totalSeconds: Math.round((Date.now() - started) / 1000),
      runs,
    }
    // A run of other N than the default (--quick, --n) does not overwrite the day's full results.
    const fullRun = options.ns.join(',') === DEFAULT_NS
    const file = fullRun ? stamp : `${stamp}-n${options.ns.join('-')}`
    const json = join(options.out, `${file}.json`)
    const md = join(options.out, `${file}.md`)
    writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`)
    writeFileSync(md, `${markdown(results)}\n`)
    log(`results: ${json}, ${md}`)
    process.stdout.write(`\n${markdown(results)}\n`)
  }
  return failure ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exit(1)
  },
)
