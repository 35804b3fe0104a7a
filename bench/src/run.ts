/**
 * One measured run for N rollouts on a fresh control plane:
 *
 *   1. CRDs, namespace; a first controller process deploys the N rollouts until all are Healthy;
 *   2. that process is stopped and a fresh one started (the one measured): it syncs its caches over
 *      N Healthy rollouts and goes quiet, and its resident memory then is the idle baseline;
 *   3. every template is patched at once; the harness follows each rollout through the steps from its
 *      watches, samples the controller's /proc, and waits until every rollout is promoted and every
 *      previous stable drained, then until the controller is quiet again;
 *   4. API server counters before/after, memory after the run, and (profile mode) a heap snapshot
 *      and the CPU profile.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { parseAllDocuments } from 'yaml'
import { account } from './accounting.ts'
import { gitState } from './git.ts'
import type { GitState } from './git.ts'
import type { Accounting } from './accounting.ts'
import { startControllerProcess } from './controller.ts'
import type { RunningController } from './controller.ts'
import { inParallel, KubeClient, KubeError, loadCredentials, sleep } from './kube.ts'
import type { RequestKey } from './kube.ts'
import { listeningPorts, sampleProcess } from './proc.ts'
import type { ProcSample } from './proc.ts'
import { apiserverDurations, apiserverRequests, meanDurations, samples, subtract } from './prom.ts'
import { distribution } from './stats.ts'
import type { Distribution } from './stats.ts'
import { Tracker } from './tracker.ts'
import type { WatcherData, WatcherMessage } from './watcher.ts'
import { NAMESPACE, rollout, rolloutName, services, STEPS_PER_UPDATE, templateUpdate } from './workload.ts'
import type { WorkloadOptions } from './workload.ts'

export interface RunOptions extends WorkloadOptions {
  n: number
  repoRoot: string
  kubeconfig: string
  controllerCommand: string
  /** A directory whose `*-crd.yaml` files replace Sluice's Rollout CRD (another controller's API). */
  crdsDir?: string | undefined
  workDir: string
  /** Profile this run: CPU profile and heap snapshot into `profileDir` named `profileName.*`. */
  profile?: { dir: string; name: string }
  /** Requests in flight while creating and patching. */
  concurrency: number
  updateTimeoutMs: number
  /** How long the controller sits idle after the run before its memory is read (ms). */
  afterIdleMs: number
  log: (message: string) => void
}

export interface MemoryFigures {
  /** Resident memory once the measured controller synced and went quiet (MB). */
  idleBeforeMB: number | undefined
  /** Highest resident memory sampled during the update (MB, every 250 ms). */
  peakSampledMB: number | undefined
  /** The kernel's high-water mark (VmHWM) at the end: startup included (MB). */
  peakHwmMB: number | undefined
  /** Resident memory after the run, once quiet again and `afterIdle` later (MB). */
  afterRunMB: number | undefined
  /** RSS every 5 s while waiting idle after the run (MB). */
  afterRunSeriesMB: number[]
  /** Anonymous and file-backed parts of the RSS, idle before and after the run (MB). */
  rssParts: { before: { anonMB: number; fileMB: number } | undefined; after: { anonMB: number; fileMB: number } | undefined }
  /** afterRun / idleBefore. */
  afterRunRatio: number | undefined
}

export interface HeapFigures {
  usedMB: number
  totalMB: number
  externalMB: number
}

export interface RunResult {
  n: number
  /** The code the measured controller started from. */
  git: GitState
  replicas: number
  complete: boolean
  notes: string[]
  loadAverage: { start: number[]; end: number[] }
  phases: { setupSeconds: number; startupQuietSeconds: number; updateSeconds: number; totalSeconds: number }
  update: {
    promoted: number
    drained: number
    allPromotedSeconds: number | undefined
    allDrainedSeconds: number | undefined
    completionSeconds: Distribution
    reactionMs: Distribution
    reactionByStepMs: Record<string, Distribution>
    timerMs: Distribution
    timerByStepMs: Record<string, Distribution>
    missingReactions: number
    slowestReactions: { rollout: string; what: string; ms: number }[]
  }
  api: Accounting & {
    windowSeconds: number
    /** Mean time the API server took per request in the window, by key (apiserver_request_duration_seconds; every client). */
    serverMeanMs: Record<RequestKey, number>
    /** Rollout writes seen on the watch (the harness's template patch excluded). */
    rolloutWritesSeen: number
    meshWritesSeen: number
    eventWritesByController: Record<string, number>
    /** Event writes about Rollouts, by reason. */
    rolloutEventReasons: Record<string, number>
    /** The controller's own count of its requests in the window, if it exports sluice_api_requests. */
    controllerSelfReported: Record<string, number> | undefined
    /** Reconciles in the window by outcome and their mean duration, if the controller exports Sluice's metrics. */
    controllerReconciles: { byOutcome: Record<string, number>; meanMs: number | undefined } | undefined
  }
  controller: MemoryFigures & {
    /**
     * V8 heap (used / total) and external memory in MB, if the controller exports prom-client's default
     * Node metrics: idle before, after the run. Tells live data from memory the process kept.
     */
    heap: { before: HeapFigures | undefined; after: HeapFigures | undefined }
    /** Resident memory right after the heap snapshot (which runs a full GC), profile mode only (MB). */
    afterFullGcMB: number | undefined
    /** CPU seconds the controller spent from the first patch until quiet again. */
    cpuSecondsUpdate: number | undefined
    cpuMsPerRollout: number | undefined
    /** Whether it ran out of the harness's hands (crash) during the run. */
    exited: string | undefined
    metricsUrl: string | undefined
  }
  profile: { cpuProfile: string | undefined; heapSnapshot: string | undefined } | undefined
}

const MB = 1024 * 1024
const round = (x: number | undefined, digits = 1) => (x === undefined ? undefined : Math.round(x * 10 ** digits) / 10 ** digits)
const loadavg = () =>
  readFileSync('/proc/loadavg', 'utf8')
    .split(' ')
    .slice(0, 3)
    .map(Number)

export async function runBenchmark(options: RunOptions): Promise<RunResult> {
  const { n, log } = options
  const runStarted = Date.now()
  const notes: string[] = []
  const loadStart = loadavg()
  const credentials = loadCredentials(options.kubeconfig)
  const client = new KubeClient(credentials, { maxSockets: options.concurrency })
  const tracker = new Tracker({ replicas: options.replicas, pauseSeconds: options.pauseSeconds })
  const workerRequests = new Map<RequestKey, number>()
  const names = Array.from({ length: n }, (_, i) => rolloutName(i + 1))
  let watcher: Worker | undefined
  let controller: RunningController | undefined
  let watcherError: string | undefined

  try {
    // ------------------------------------------------------------------ 1. setup
    const apiCrds = options.crdsDir
      ? readdirSync(options.crdsDir).filter((f) => f.endsWith('-crd.yaml')).map((f) => join(options.crdsDir!, f))
      : [join(options.repoRoot, 'apps/controller/chart/files/crds/rollouts.argoproj.io.yaml')]
    await installCrds(client, [...apiCrds, join(options.repoRoot, 'packages/smi/test/crds/trafficsplit.yaml')])
    await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } })
    await waitFor('the default ServiceAccount', 60_000, async () => (await client.find(`/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`)) !== undefined)

    const opened = new Set<string>()
    watcher = new Worker(new URL('./watcher.ts', import.meta.url), { workerData: { credentials, namespace: NAMESPACE } satisfies WatcherData })
    watcher.on('message', (message: WatcherMessage) => {
      if (message.type === 'open') opened.add(message.kind)
      else if (message.type === 'error') watcherError = message.message
      else {
        for (const record of message.records) tracker.ingest(record)
        for (const key of message.requests) workerRequests.set(key, (workerRequests.get(key) ?? 0) + 1)
      }
    })
    watcher.on('error', (error) => {
      watcherError = error.message
    })
    await waitFor('the watches to open', 30_000, async () => opened.size === 4 || Boolean(watcherError))
    if (watcherError) throw new Error(watcherError)

    const setupLog = join(options.workDir, `controller-n${n}-setup.log`)
    controller = startControllerProcess({ command: options.controllerCommand, kubeconfig: options.kubeconfig, cwd: options.repoRoot, logFile: setupLog })
    log(`N=${n}: creating ${2 * n} Services and ${n} Rollouts (replicas ${options.replicas})`)
    await inParallel(names, options.concurrency, async (name) => {
      for (const service of services(name)) await client.post(`/api/v1/namespaces/${NAMESPACE}/services`, service)
      await client.post(`/apis/argoproj.io/v1alpha1/namespaces/${NAMESPACE}/rollouts`, rollout(name, options))
    })
    const setupTimeout = Math.max(180_000, n * 1_000)
    await waitFor(`${n} rollouts Healthy`, setupTimeout, async () => {
      if (controller?.child.exitCode !== null) throw new Error(`the controller exited during setup (${controller?.child.exitCode}); see ${setupLog}`)
      return tracker.allHealthy(names)
    }, () => `${tracker.healthyCount(names)}/${n} Healthy`, log)
    const setupSeconds = (Date.now() - runStarted) / 1000
    log(`N=${n}: all Healthy after ${setupSeconds.toFixed(0)} s; restarting the controller for the measurement`)
    await controller.stop()

    // ------------------------------------------------------------------ 2. the measured controller, idle
    const measuredLog = join(options.workDir, `controller-n${n}.log`)
    controller = startControllerProcess({
      command: options.controllerCommand,
      kubeconfig: options.kubeconfig,
      cwd: options.repoRoot,
      logFile: measuredLog,
      ...(options.profile ? { profile: { dir: options.profile.dir, cpuProfileName: `${options.profile.name}.cpuprofile` } } : {}),
    })
    const measured = controller
    const measuredGit = gitState(options.repoRoot)
    if (options.profile && !measured.profiled) notes.push('--profile: the controller command does not start with node; no profile taken')
    const startedAt = Date.now()
    const samplesDuring: ProcSample[] = []
    const sampler = setInterval(() => {
      const s = sampleProcess(measured.pid)
      if (s) samplesDuring.push(s)
      if (samplesDuring.length > 20_000) samplesDuring.splice(0, 10_000)
    }, 250)

    const idle = await waitQuiet(measured, tracker, { quietMs: 5_000, minMs: 5_000, timeoutMs: 300_000 })
    if (!idle.quiet) notes.push('the measured controller did not go quiet within 5 min of starting; idle memory taken anyway')
    const startupQuietSeconds = (Date.now() - startedAt) / 1000
    const idleBefore = sampleProcess(measured.pid)
    const metricsUrl = await findMetricsUrl(measured.pid)
    // A controller may export its counters on a timer (Sluice: every 5 s): let them catch up first.
    if (metricsUrl) await sleep(5_500)
    const controllerMetricsBefore = metricsUrl ? await fetchText(metricsUrl) : undefined
    log(`N=${n}: measured controller quiet after ${startupQuietSeconds.toFixed(1)} s, RSS ${mb(idleBefore?.rss)} MB${metricsUrl ? `, metrics at ${metricsUrl}` : ''}`)

    // ------------------------------------------------------------------ 3. the update
    const harnessBefore = harnessCounts(client, workerRequests)
    const beforeText = await client.get<string>('/metrics')
    const before = apiserverRequests(beforeText)
    const cpuBefore = sampleProcess(measured.pid)?.cpuSeconds
    const updateStarted = Date.now()
    samplesDuring.length = 0
    tracker.startUpdate(updateStarted)
    log(`N=${n}: updating ${n} templates`)
    await inParallel(names, options.concurrency, async (name) => {
      tracker.patched(name, performance.timeOrigin + performance.now())
      await client.mergePatch(`/apis/argoproj.io/v1alpha1/namespaces/${NAMESPACE}/rollouts/${name}`, templateUpdate)
    })
    let complete = true
    try {
      await waitFor(`${n} rollouts promoted and drained`, options.updateTimeoutMs, async () => {
        if (measured.child.exitCode !== null || measured.child.signalCode !== null) throw new Error(`the controller exited during the update; see ${measuredLog}`)
        if (watcherError) throw new Error(watcherError)
        return tracker.drainedCount() === n
      }, () => `${tracker.promotedCount()}/${n} promoted, ${tracker.drainedCount()}/${n} drained`, log)
    } catch (error) {
      complete = false
      notes.push(`update incomplete: ${(error as Error).message}`)
      log(`N=${n}: ${(error as Error).message}`)
    }
    const after = await waitQuiet(measured, tracker, { quietMs: 3_000, minMs: 0, timeoutMs: 120_000 })
    if (!after.quiet) notes.push('the controller did not go quiet within 2 min after the last rollout finished')
    const updateSeconds = (Date.now() - updateStarted) / 1000
    const afterText = await client.get<string>('/metrics')
    const afterCounts = apiserverRequests(afterText)
    const harnessAfter = harnessCounts(client, workerRequests)
    const cpuAfter = sampleProcess(measured.pid)?.cpuSeconds
    const peakSampled = Math.max(0, ...samplesDuring.map((s) => s.rss))
    clearInterval(sampler)

    // ------------------------------------------------------------------ 4. memory after the run, profiles
    const afterSeries: number[] = []
    for (let waited = 0; waited < options.afterIdleMs; waited += 5_000) {
      await sleep(Math.min(5_000, options.afterIdleMs - waited))
      const s = sampleProcess(measured.pid)
      if (s) afterSeries.push(round(s.rss / MB) as number)
    }
    const afterRun = sampleProcess(measured.pid)
    const controllerMetricsAfter = metricsUrl ? await fetchText(metricsUrl) : undefined
    const gitAfter = gitState(options.repoRoot)
    if (gitAfter.commit !== measuredGit.commit || gitAfter.controllerSourcesModified !== measuredGit.controllerSourcesModified) {
      notes.push(`the checkout changed during the measurement (${measuredGit.commit?.slice(0, 10)} → ${gitAfter.commit?.slice(0, 10)}); the controller runs what it loaded at its start`)
    }
    const exited = measured.child.exitCode !== null || measured.child.signalCode !== null ? String(measured.child.signalCode ?? measured.child.exitCode) : undefined
    let profile: RunResult['profile']
    let afterFullGc: number | undefined
    if (options.profile && measured.profiled) {
      const heap = await takeHeapSnapshot(measured.pid, options.profile.dir, `${options.profile.name}.heapsnapshot`, log)
      await sleep(2_000)
      afterFullGc = sampleProcess(measured.pid)?.rss
      const exit = await measured.stop(120_000)
      const cpuProfile = join(options.profile.dir, `${options.profile.name}.cpuprofile`)
      profile = { cpuProfile: existsFile(cpuProfile) ? cpuProfile : undefined, heapSnapshot: heap }
      if (!profile.cpuProfile) notes.push(`no CPU profile written (controller exit: ${exit})`)
    }

    // ------------------------------------------------------------------ figures
    const summary = tracker.summary()
    const harness = subtract(harnessAfter, harnessBefore)
    const accounting = account({
      before,
      after: afterCounts,
      harness,
      controllerEventWrites: summary.rolloutEventWrites.created + summary.rolloutEventWrites.updated,
      steps: n * STEPS_PER_UPDATE,
    })
    const byWhat = (xs: { what: string; ms: number }[]) => {
      const groups = new Map<string, number[]>()
      for (const x of xs) groups.set(x.what, [...(groups.get(x.what) ?? []), x.ms])
      return Object.fromEntries([...groups].map(([what, ms]) => [what, roundDist(distribution(ms))]))
    }
    const self = controllerMetricsBefore && controllerMetricsAfter ? selfReported(controllerMetricsBefore, controllerMetricsAfter) : undefined
    const idleBeforeMB = idleBefore ? idleBefore.rss / MB : undefined
    const afterRunMB = afterRun ? afterRun.rss / MB : undefined
    const cpuUpdate = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined
    if (watcherError) notes.push(`watch trouble: ${watcherError}`)
    if (summary.missingReactions > 0) notes.push(`${summary.missingReactions} reaction samples missing (a gate the watch did not show)`)
    const result: RunResult = {
      n,
      git: measuredGit,
      replicas: options.replicas,
      complete,
      notes,
      loadAverage: { start: loadStart, end: loadavg() },
      phases: { setupSeconds: round(setupSeconds) as number, startupQuietSeconds: round(startupQuietSeconds) as number, updateSeconds: round(updateSeconds) as number, totalSeconds: round((Date.now() - runStarted) / 1000) as number },
      update: {
        promoted: summary.promoted,
        drained: summary.drained,
        allPromotedSeconds: round(summary.allPromotedMs === undefined ? undefined : summary.allPromotedMs / 1000, 2),
        allDrainedSeconds: round(summary.allDrainedMs === undefined ? undefined : summary.allDrainedMs / 1000, 2),
        completionSeconds: roundDist(distribution(summary.completionMs.map((ms) => ms / 1000)), 2),
        reactionMs: roundDist(distribution(summary.reactions.map((r) => r.ms))),
        reactionByStepMs: byWhat(summary.reactions),
        timerMs: roundDist(distribution(summary.timers.map((r) => r.ms))),
        timerByStepMs: byWhat(summary.timers),
        missingReactions: summary.missingReactions,
        slowestReactions: [...summary.reactions].sort((a, b) => b.ms - a.ms).slice(0, 5).map((r) => ({ ...r, ms: round(r.ms) as number })),
      },
      api: {
        ...accounting,
        windowSeconds: round(updateSeconds) as number,
        serverMeanMs: meanDurations(apiserverDurations(afterText), apiserverDurations(beforeText)),
        rolloutWritesSeen: summary.rolloutWrites - n,
        meshWritesSeen: summary.meshWrites,
        eventWritesByController: summary.eventWritesByController,
        rolloutEventReasons: summary.rolloutEventReasons,
        controllerSelfReported: self,
        controllerReconciles: controllerMetricsBefore && controllerMetricsAfter ? reconciles(controllerMetricsBefore, controllerMetricsAfter) : undefined,
      },
      controller: {
        idleBeforeMB: round(idleBeforeMB),
        peakSampledMB: round(peakSampled > 0 ? peakSampled / MB : undefined),
        peakHwmMB: round(Math.max(afterRun?.hwm ?? 0, ...samplesDuring.map((s) => s.hwm)) / MB),
        afterRunMB: round(afterRunMB),
        afterRunSeriesMB: afterSeries,
        rssParts: { before: parts(idleBefore), after: parts(afterRun) },
        afterRunRatio: round(idleBeforeMB && afterRunMB ? afterRunMB / idleBeforeMB : undefined, 3),
        heap: { before: controllerMetricsBefore ? heapFigures(controllerMetricsBefore) : undefined, after: controllerMetricsAfter ? heapFigures(controllerMetricsAfter) : undefined },
        afterFullGcMB: round(afterFullGc === undefined ? undefined : afterFullGc / MB),
        cpuSecondsUpdate: round(cpuUpdate, 2),
        cpuMsPerRollout: round(cpuUpdate === undefined ? undefined : (cpuUpdate * 1000) / n),
        exited,
        metricsUrl,
      },
      profile,
    }
    return result
  } finally {
    if (controller) await controller.stop()
    if (watcher) {
      watcher.postMessage('stop')
      await Promise.race([new Promise((resolve) => watcher?.once('exit', resolve)), sleep(5_000)])
      await watcher.terminate()
    }
    client.close()
  }
}

function roundDist(d: Distribution, digits = 1): Distribution {
  return { count: d.count, p50: round(d.p50, digits), p95: round(d.p95, digits), p99: round(d.p99, digits), max: round(d.max, digits), min: round(d.min, digits) }
}

const parts = (s: ProcSample | undefined) => (s ? { anonMB: round(s.rssAnon / MB) as number, fileMB: round(s.rssFile / MB) as number } : undefined)
const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / MB).toFixed(1))

function harnessCounts(client: KubeClient, worker: ReadonlyMap<RequestKey, number>): Map<RequestKey, number> {
  const total = client.counts()
  for (const [key, n] of worker) total.set(key, (total.get(key) ?? 0) + n)
  return total
}

/** Polls `check` every 250 ms until true; `progress` is logged every 15 s. */
async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, progress?: () => string, log?: (m: string) => void): Promise<void> {
  const started = Date.now()
  let lastLog = started
  for (;;) {
    if (await check()) return
    const now = Date.now()
    if (now - started > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${progress ? ` (${progress()})` : ''}`)
    if (progress && log && now - lastLog >= 15_000) {
      lastLog = now
      log(`  … ${progress()} (${Math.round((now - started) / 1000)} s)`)
    }
    await sleep(250)
  }
}

/**
 * Waits until the controller is quiet: no Rollout, ReplicaSet or TrafficSplit change seen for
 * `quietMs`, and it used less than 5 % of a core over that time.
 */
async function waitQuiet(controller: RunningController, tracker: Tracker, o: { quietMs: number; minMs: number; timeoutMs: number }): Promise<{ quiet: boolean }> {
  const started = Date.now()
  const history: ProcSample[] = []
  for (;;) {
    const s = sampleProcess(controller.pid)
    if (!s) return { quiet: false }
    history.push(s)
    const now = Date.now()
    const old = history.find((h) => now - h.at <= o.quietMs + 300)
    const span = old ? (now - old.at) / 1000 : 0
    const cpuQuiet = old !== undefined && span >= (o.quietMs - 300) / 1000 && (s.cpuSeconds - old.cpuSeconds) / span < 0.05
    const watchQuiet = now - tracker.lastActivityAt >= o.quietMs
    if (now - started >= o.minMs && cpuQuiet && watchQuiet) return { quiet: true }
    if (now - started > o.timeoutMs) return { quiet: false }
    while (history.length > 0 && now - (history[0] as ProcSample).at > o.quietMs + 1_000) history.shift()
    await sleep(250)
  }
}

async function installCrds(client: KubeClient, files: string[]): Promise<void> {
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as { metadata: { name: string } } | null
      if (!crd) continue
      try {
        await client.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 409)) throw error
      }
      await waitFor(`CRD ${crd.metadata.name} Established`, 60_000, async () => {
        const got = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)
        return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false
      })
    }
  }
}

async function fetchText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    return res.ok ? await res.text() : undefined
  } catch {
    return undefined
  }
}

/** The controller's Prometheus endpoint: the first of its listening ports that answers /metrics. */
async function findMetricsUrl(pid: number): Promise<string | undefined> {
  for (const port of listeningPorts(pid)) {
    const url = `http://127.0.0.1:${port}/metrics`
    const text = await fetchText(url)
    if (text?.includes('# HELP')) return url
  }
  return undefined
}

/** The difference of a Sluice controller's `sluice_api_requests{verb}` gauge (undefined when it has none). */
function selfReported(before: string, after: string): Record<string, number> | undefined {
  const read = (text: string) => new Map(samples(text, 'sluice_api_requests').map((s) => [s.labels.verb ?? '', s.value]))
  const a = read(after)
  if (a.size === 0) return undefined
  const b = read(before)
  return Object.fromEntries([...a].map(([verb, v]) => [verb, v - (b.get(verb) ?? 0)]))
}

function lastBytes(path: string, n: number): string {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const buffer = Buffer.alloc(Math.min(n, size))
    readSync(fd, buffer, 0, buffer.length, size - buffer.length)
    return buffer.toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** prom-client's default Node metrics: V8 heap used/total and external memory. */
function heapFigures(text: string): HeapFigures | undefined {
  const one = (name: string) => samples(text, name)[0]?.value
  const used = one('nodejs_heap_size_used_bytes')
  const total = one('nodejs_heap_size_total_bytes')
  const external = one('nodejs_external_memory_bytes')
  if (used === undefined || total === undefined) return undefined
  return { usedMB: round(used / MB) as number, totalMB: round(total / MB) as number, externalMB: round((external ?? 0) / MB) as number }
}

/** Sluice's `sluice_reconcile_total{outcome}` and `rollout_reconcile` histogram, differenced. */
function reconciles(before: string, after: string): { byOutcome: Record<string, number>; meanMs: number | undefined } | undefined {
  const outcomes = (text: string) => new Map(samples(text, 'sluice_reconcile_total').map((s) => [s.labels.outcome ?? '', s.value]))
  const total = (text: string, name: string) => samples(text, name).reduce((sum, s) => sum + s.value, 0)
  const a = outcomes(after)
  if (a.size === 0) return undefined
  const b = outcomes(before)
  const count = total(after, 'rollout_reconcile_count') - total(before, 'rollout_reconcile_count')
  const seconds = total(after, 'rollout_reconcile_sum') - total(before, 'rollout_reconcile_sum')
  return { byOutcome: Object.fromEntries([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)])), meanMs: count > 0 ? round((seconds * 1000) / count) : undefined }
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).size > 0
  } catch {
    return false
  }
}

/** Signals SIGUSR2 (the controller runs with --heapsnapshot-signal) and waits for the snapshot to be complete. */
async function takeHeapSnapshot(pid: number, dir: string, name: string, log: (m: string) => void): Promise<string | undefined> {
  const existing = new Set(readdirSync(dir))
  process.kill(pid, 'SIGUSR2')
  log('  heap snapshot requested (SIGUSR2)')
  const deadline = Date.now() + 180_000
  let last = -1
  let stableSince = 0
  while (Date.now() < deadline) {
    await sleep(500)
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !existing.has(f))
    if (!file) continue
    const size = statSync(join(dir, file)).size
    if (size > 0 && size === last) {
      if (stableSince === 0) stableSince = Date.now()
      // The snapshot ends with the strings table; a complete file ends with "]}".
      if (Date.now() - stableSince >= 2_000 && lastBytes(join(dir, file), 4).includes(']}')) {
        renameSync(join(dir, file), join(dir, name))
        return join(dir, name)
      }
    } else {
      last = size
      stableSince = 0
    }
  }
  return undefined
}
