/** The results file (JSON) and its Markdown table. */
import { cpus, hostname, release, totalmem } from 'node:os'
import type { GitState } from './git.ts'
import type { RunResult } from './run.ts'
import type { Distribution } from './stats.ts'

export interface Machine {
  /** `<hostname>-<cores>c-<GiB>g`, the name of the results files. */
  id: string
  hostname: string
  cores: number
  cpuModel: string
  memoryGiB: number
  kernel: string
  node: string
}

export function machine(): Machine {
  const cores = cpus().length
  const memoryGiB = Math.round(totalmem() / 2 ** 30)
  const host = hostname().replace(/[^a-zA-Z0-9.-]/g, '_')
  return { id: `${host}-${cores}c-${memoryGiB}g`, hostname: host, cores, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGiB, kernel: release(), node: process.version }
}

export interface BenchResults {
  date: string
  machine: Machine
  kubernetes: string | undefined
  /** The checkout when the results were written (each run records the commit its controller started from). */
  git: GitState
  controllerCommand: string
  options: { ns: number[]; replicas: number; pauseSeconds: number; scaleDownDelaySeconds: number; concurrency: number; profile: boolean; budgetMinutes: number }
  /** Wall-clock seconds of the whole `pnpm bench`, clusters included. */
  totalSeconds: number
  runs: RunResult[]
}

const fmt = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits))
const triple = (d: Distribution, digits = 0) => (d.count === 0 ? '–' : `${fmt(d.p50, digits)} / ${fmt(d.p95, digits)} / ${fmt(d.p99, digits)}`)

export function markdown(results: BenchResults): string {
  const runs = results.runs
  const m = results.machine
  const col = (f: (r: RunResult) => string) => runs.map(f).join(' | ')
  const row = (label: string, f: (r: RunResult) => string, target = '') => `| ${label} | ${col(f)} | ${target} |`
  const o = results.options
  const lines: string[] = []
  lines.push(`Measured ${results.date} on \`${m.id}\` (${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, Kubernetes ${results.kubernetes ?? '?'} local control plane with KWOK); whole run ${fmt(results.totalSeconds / 60, 1)} min; controller code ${[...new Set(runs.map((r) => `${r.git.commit?.slice(0, 10) ?? '?'}${r.git.controllerSourcesModified ? ' with local changes' : ''}`))].join(', ')}.`)
  lines.push('')
  lines.push(`Workload: N SMI-routed Rollouts of ${o.replicas} replicas in one namespace, all templates updated at once; steps setWeight 20, pause ${o.pauseSeconds}s, setWeight 50, pause ${o.pauseSeconds}s, promotion; scaleDownDelaySeconds ${o.scaleDownDelaySeconds}. Controller: \`${results.controllerCommand}\`.`)
  lines.push('')
  lines.push(`| | ${col((r) => `N = ${r.n}`)} | target |`)
  lines.push(`|---|${runs.map(() => '---').join('|')}|---|`)
  lines.push(row('reaction latency p50 / p95 / p99 (ms): canary pods available → weight written', (r) => `${triple(r.update.reactionMs)} (${r.update.reactionMs.count})`, 'p99 < 100 at N = 100'))
  lines.push(row('timer latency p50 / p95 / p99 (ms): pause end → next write', (r) => `${triple(r.update.timerMs)} (${r.update.timerMs.count})`))
  lines.push(row('all N rollouts promoted (s after the patch)', (r) => `${fmt(r.update.allPromotedSeconds, 1)}${r.update.promoted < r.n ? ` (${r.update.promoted}/${r.n})` : ''}`))
  lines.push(row('all previous stables drained (s)', (r) => `${fmt(r.update.allDrainedSeconds, 1)}${r.update.drained < r.n ? ` (${r.update.drained}/${r.n})` : ''}`))
  lines.push(row('one rollout, patch → promoted p50 / p99 (s)', (r) => `${fmt(r.update.completionSeconds.p50, 1)} / ${fmt(r.update.completionSeconds.p99, 1)}`))
  lines.push(row('controller writes per rollout step', (r) => fmt(r.api.perStep.writes, 2)))
  lines.push(row('… ReplicaSet / mesh / status / other', (r) => `${fmt(r.api.perStep.replicaSetWrites, 2)} / ${fmt(r.api.perStep.meshWrites, 2)} / ${fmt(r.api.perStep.statusWrites, 2)} / ${fmt(r.api.perStep.otherWrites, 2)}`))
  lines.push(row('extra writes per step (beyond 1 RS + 1 mesh + 1 status)', (r) => fmt(r.api.perStep.extraWrites, 2), '≤ 3'))
  lines.push(row('controller GET / LIST per step', (r) => `${fmt(r.api.perStep.gets, 2)} / ${fmt(r.api.perStep.lists, 2)}`))
  lines.push(row('controller LIST requests during the update', (r) => fmt(r.api.controllerLists), '0'))
  lines.push(row('controller RSS idle after startup (MB)', (r) => fmt(r.controller.idleBeforeMB, 1)))
  lines.push(row('controller RSS peak during the update, sampled / VmHWM (MB)', (r) => `${fmt(r.controller.peakSampledMB, 1)} / ${fmt(r.controller.peakHwmMB, 1)}`, '< 150 at N = 1000'))
  lines.push(row('controller RSS after the run, idle (MB, × idle)', (r) => `${fmt(r.controller.afterRunMB, 1)} (${fmt(r.controller.afterRunRatio, 2)})`, '≤ 1.10 ×'))
  lines.push(
    row('… of which anonymous / file-backed (MB), idle → after the run', (r) =>
      r.controller.rssParts.before && r.controller.rssParts.after
        ? `${fmt(r.controller.rssParts.before.anonMB)} / ${fmt(r.controller.rssParts.before.fileMB)} → ${fmt(r.controller.rssParts.after.anonMB)} / ${fmt(r.controller.rssParts.after.fileMB)}`
        : '–',
    ),
  )
  lines.push(
    row('controller V8 heap used / total (MB), idle → after the run', (r) =>
      r.controller.heap.before && r.controller.heap.after
        ? `${fmt(r.controller.heap.before.usedMB)} / ${fmt(r.controller.heap.before.totalMB)} → ${fmt(r.controller.heap.after.usedMB)} / ${fmt(r.controller.heap.after.totalMB)}`
        : '–',
    ),
  )
  if (runs.some((r) => r.controller.afterFullGcMB !== undefined)) lines.push(row('controller RSS after a full GC (heap snapshot, MB)', (r) => fmt(r.controller.afterFullGcMB, 1)))
  lines.push(row('controller CPU during the update (s; ms per rollout)', (r) => `${fmt(r.controller.cpuSecondsUpdate, 1)}; ${fmt(r.controller.cpuMsPerRollout, 0)}`))
  lines.push(row('load average (1 min) at start → end', (r) => `${fmt(r.loadAverage.start[0], 1)} → ${fmt(r.loadAverage.end[0], 1)}`))
  lines.push(row('run time: setup / update / total (s)', (r) => `${fmt(r.phases.setupSeconds)} / ${fmt(r.phases.updateSeconds)} / ${fmt(r.phases.totalSeconds)}`))
  lines.push('')

  const keys = (pick: (r: RunResult) => Record<string, number>) => [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort()
  const requestTable = (title: string, pick: (r: RunResult) => Record<string, number>, withTime = false) => {
    const ks = keys(pick)
    if (ks.length === 0) return
    lines.push(`${title}`)
    lines.push('')
    const time = (r: RunResult, k: string) => (withTime && r.api.serverMeanMs[k] !== undefined ? ` (${fmt(r.api.serverMeanMs[k], 0)} ms)` : '')
    lines.push(`| request | ${col((r) => `N = ${r.n}`)} |`)
    lines.push(`|---|${runs.map(() => '---').join('|')}|`)
    for (const k of ks) lines.push(`| ${k} | ${col((r) => `${fmt((pick(r)[k] ?? 0) / r.api.steps, 3)}${time(r, k)}`)} |`)
    lines.push('')
  }
  requestTable(
    'API requests per rollout step attributed to the controller (`apiserver_request_total`, harness subtracted; in brackets the mean time the API server took per request, `apiserver_request_duration_seconds`):',
    (r) => r.api.controller,
    true,
  )
  requestTable(
    'API requests per rollout step by the rest of the cluster (kube-controller-manager, scheduler, KWOK; `LIST /services` is the API server’s own ClusterIP repair loop) in the same window:',
    (r) => r.api.cluster,
  )
  const watchCounts = runs.map((r) => Object.values(r.api.watches).reduce((a, b) => a + b, 0))
  lines.push(`WATCH requests that ended in the window (all clients; the API server counts a watch when it ends): ${runs.map((r, i) => `N = ${r.n}: ${watchCounts[i]}`).join(', ')}.`)
  lines.push('')
  const rec = runs.filter((r) => r.api.controllerReconciles)
  if (rec.length > 0) {
    lines.push(
      `Reconciles the controller reports (Sluice metrics), per rollout update: ${rec
        .map((r) => `N = ${r.n}: ${Object.entries(r.api.controllerReconciles?.byOutcome ?? {}).map(([k, v]) => `${k} ${fmt(v / r.n, 1)}`).join(', ')}, mean ${fmt(r.api.controllerReconciles?.meanMs, 0)} ms`)
        .join('; ')}.`,
    )
    lines.push('')
  }
  const reasons = keys((r) => r.api.rolloutEventReasons)
  if (reasons.length > 0) {
    lines.push('Event writes about Rollouts per rollout update, by reason (from the watch; creates and series updates):')
    lines.push('')
    lines.push(`| reason | ${col((r) => `N = ${r.n}`)} |`)
    lines.push(`|---|${runs.map(() => '---').join('|')}|`)
    for (const k of reasons) lines.push(`| ${k} | ${col((r) => fmt((r.api.rolloutEventReasons[k] ?? 0) / r.n, 2))} |`)
    lines.push('')
  }
  const self = runs.filter((r) => r.api.controllerSelfReported)
  if (self.length > 0) {
    lines.push(`Cross-check, the controller's own \`sluice_api_requests\` per step: ${self.map((r) => `N = ${r.n}: ${Object.entries(r.api.controllerSelfReported ?? {}).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${fmt(v / r.api.steps, 2)}`).join(', ')}`).join('; ')}.`)
    lines.push('')
  }
  const reactionSteps = keys((r) => Object.fromEntries(Object.keys(r.update.reactionByStepMs).map((k) => [k, 0])))
  const timerSteps = keys((r) => Object.fromEntries(Object.keys(r.update.timerByStepMs).map((k) => [k, 0])))
  if (reactionSteps.length + timerSteps.length > 0) {
    lines.push('Latency by step, p50 / p95 / p99 (ms):')
    lines.push('')
    lines.push(`| step | ${col((r) => `N = ${r.n}`)} |`)
    lines.push(`|---|${runs.map(() => '---').join('|')}|`)
    for (const k of reactionSteps) lines.push(`| ${k} | ${col((r) => (r.update.reactionByStepMs[k] ? triple(r.update.reactionByStepMs[k]) : '–'))} |`)
    for (const k of timerSteps) lines.push(`| ${k} | ${col((r) => (r.update.timerByStepMs[k] ? triple(r.update.timerByStepMs[k]) : '–'))} |`)
    lines.push('')
  }
  const notes = runs.flatMap((r) => r.notes.map((n) => `N = ${r.n}: ${n}`))
  if (notes.length > 0) {
    lines.push('Notes:')
    lines.push('')
    for (const n of notes) lines.push(`- ${n}`)
    lines.push('')
  }
  return lines.join('\n')
}
