/**
 * The soak's figures, from the seeds' results: faults injected by kind, invariant violations, the
 * recovery times (p50/p99), and the witness controller's memory over the run (growth per hour by
 * least squares), written as JSON (everything) and Markdown (the tables) into bench/results.
 */
import { distribution } from '@sluice/bench/stats'
import type { Distribution } from '@sluice/bench/stats'
import type { Violation } from './checker.ts'
import type { Recoveries } from './run.ts'
import type { SeedResult } from './suite.ts'
import { excerpt } from './timeline.ts'

export interface MemorySample {
  /** ms since the epoch. */
  at: number
  rssMB: number
}

export interface SeedSummary {
  seed: number
  replicas: number
  scenario: string[]
  faults: Record<string, number>
  violations: number
  referenceSeconds: number
  faultedSeconds: number
}

export interface SoakReport {
  command: string
  startedAt: string
  finishedAt: string
  minutes: number
  firstSeed: number
  seeds: SeedSummary[]
  faults: Record<string, number>
  faultsTotal: number
  violations: (Violation & { seed: number; timeline: string[] })[]
  violationsByInvariant: Record<string, number>
  recoveries: Record<keyof Recoveries, Distribution>
  memory: {
    /** The witness controller (every fault-free run, never killed). */
    witness: { samples: number; firstMB: number | undefined; lastMB: number | undefined; peakMB: number | undefined; growthMBPerHour: number | undefined; overMinutes: number }
    /** Peak RSS of the faulted runs' controller processes (each lives until it is killed). */
    faultedPeakMB: number | undefined
    series: MemorySample[]
  }
  machine: { host: string; cores: number; memoryGiB: number; node: string }
  commit: string
  /** Seeds the suite itself could not run (not invariant violations). */
  errors: string[]
}

/** Slope of the least-squares line through (hours, MB): growth per hour; undefined with fewer than 3 samples. */
export function growthPerHour(samples: readonly MemorySample[]): number | undefined {
  if (samples.length < 3) return undefined
  const t0 = samples[0]?.at ?? 0
  const xs = samples.map((s) => (s.at - t0) / 3_600_000)
  const ys = samples.map((s) => s.rssMB)
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let num = 0
  let den = 0
  for (let i = 0; i < xs.length; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my)
    den += ((xs[i] as number) - mx) ** 2
  }
  return den === 0 ? undefined : num / den
}

export function buildReport(input: {
  command: string
  startedAt: number
  firstSeed: number
  results: SeedResult[]
  witness: MemorySample[]
  machine: SoakReport['machine']
  commit: string
  errors: string[]
}): SoakReport {
  const faults: Record<string, number> = {}
  const recoveries: Recoveries = { restartToReconcile: [], apiServerToWrite: [], etcdToWrite: [], leaderTakeover: [] }
  const violations: SoakReport['violations'] = []
  let faultedPeak: number | undefined
  for (const r of input.results) {
    for (const [k, n] of Object.entries(r.faulted.faults)) faults[k] = (faults[k] ?? 0) + (n ?? 0)
    for (const key of Object.keys(recoveries) as (keyof Recoveries)[]) recoveries[key].push(...r.faulted.recoveries[key])
    for (const v of r.violations) {
      const run = v.message.startsWith('(fault-free run)') ? r.reference : r.faulted
      violations.push({ ...v, seed: r.seed, timeline: excerpt(run.timeline, v.at, { origin: run.startedAt }) })
    }
    for (const c of r.faulted.controllers) for (const m of c.memory) faultedPeak = Math.max(faultedPeak ?? 0, m.rss / 1048576)
  }
  // The first two minutes are start-up (code loading, caches filling), not growth.
  const settled = input.witness.filter((s) => s.at - (input.witness[0]?.at ?? 0) >= 120_000)
  const series = settled.length >= 3 ? settled : input.witness
  const byInvariant: Record<string, number> = {}
  for (const v of violations) byInvariant[v.invariant] = (byInvariant[v.invariant] ?? 0) + 1
  return {
    command: input.command,
    startedAt: new Date(input.startedAt).toISOString(),
    finishedAt: new Date().toISOString(),
    minutes: (Date.now() - input.startedAt) / 60_000,
    firstSeed: input.firstSeed,
    seeds: input.results.map((r) => ({
      seed: r.seed,
      replicas: r.faulted.controllers.length,
      scenario: r.faulted.scenario,
      faults: Object.fromEntries(Object.entries(r.faulted.faults).map(([k, n]) => [k, n ?? 0])),
      violations: r.violations.length,
      referenceSeconds: r.reference.durationMs / 1000,
      faultedSeconds: r.faulted.durationMs / 1000,
    })),
    faults,
    faultsTotal: Object.values(faults).reduce((a, b) => a + b, 0),
    violations,
    violationsByInvariant: byInvariant,
    recoveries: {
      restartToReconcile: distribution(recoveries.restartToReconcile),
      apiServerToWrite: distribution(recoveries.apiServerToWrite),
      etcdToWrite: distribution(recoveries.etcdToWrite),
      leaderTakeover: distribution(recoveries.leaderTakeover),
    },
    memory: {
      witness: {
        samples: input.witness.length,
        firstMB: input.witness[0]?.rssMB,
        lastMB: input.witness.at(-1)?.rssMB,
        peakMB: input.witness.length ? Math.max(...input.witness.map((s) => s.rssMB)) : undefined,
        growthMBPerHour: growthPerHour(series),
        overMinutes: series.length ? ((series.at(-1)?.at ?? 0) - (series[0]?.at ?? 0)) / 60_000 : 0,
      },
      faultedPeakMB: faultedPeak,
      series: input.witness,
    },
    machine: input.machine,
    commit: input.commit,
    errors: input.errors,
  }
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '–' : n.toFixed(digits))

export function renderMarkdown(r: SoakReport): string {
  const lines: string[] = []
  const rec = r.recoveries
  const row = (name: string, d: Distribution) => `| ${name} | ${fmt(d.p50)} | ${fmt(d.p99)} | ${fmt(d.max)} | ${d.count} |`
  lines.push(
    `# Chaos soak, first seed ${r.firstSeed}`,
    '',
    `\`${r.command}\`, ${r.startedAt} → ${r.finishedAt} (${r.minutes.toFixed(1)} min) on ${r.machine.host} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}); controller code ${r.commit}.`,
    '',
    '## Headline',
    '',
    '| | |',
    '|---|---|',
    `| seeds run (each: a fault-free run, then the faulted run of the same scenario, 5 rollouts: SMI, Istio, NGINX, ALB, Ambassador) | ${r.seeds.length} |`,
    `| faults injected | ${r.faultsTotal} |`,
    `| invariant violations | **${r.violations.length}**${r.violations.length ? ` (${Object.entries(r.violationsByInvariant).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''} |`,
    `| witness controller RSS first → last (peak), MB | ${fmt(r.memory.witness.firstMB, 1)} → ${fmt(r.memory.witness.lastMB, 1)} (${fmt(r.memory.witness.peakMB, 1)}) |`,
    `| witness controller RSS growth per hour (least squares over ${fmt(r.memory.witness.overMinutes, 0)} min after start-up), MB/h | ${fmt(r.memory.witness.growthMBPerHour, 1)} |`,
    `| faulted runs' controllers, peak RSS, MB | ${fmt(r.memory.faultedPeakMB, 1)} |`,
    '',
    '## Recovery times (ms)',
    '',
    '| | p50 | p99 | max | samples |',
    '|---|---|---|---|---|',
    row('controller (re)started → first reconcile', rec.restartToReconcile),
    row('API server ready again → first controller write', rec.apiServerToWrite),
    row('etcd back (API server ready) → first controller write', rec.etcdToWrite),
    row('leader SIGKILLed → a replica leads again', rec.leaderTakeover),
    '',
    '## Faults injected',
    '',
    '| fault | count |',
    '|---|---|',
    ...Object.entries(r.faults)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `| ${k} | ${n} |`),
    '',
    '## Seeds',
    '',
    '| seed | replicas | faults | violations | fault-free run (s) | faulted run (s) | scenario |',
    '|---|---|---|---|---|---|---|',
    ...r.seeds.map((s) => `| ${s.seed} | ${s.replicas} | ${Object.values(s.faults).reduce((a, b) => a + b, 0)} | ${s.violations} | ${s.referenceSeconds.toFixed(1)} | ${s.faultedSeconds.toFixed(1)} | ${s.scenario.join('<br>')} |`),
  )
  if (r.errors.length > 0) lines.push('', '## Seeds the suite could not run', '', '```text', ...r.errors, '```')
  if (r.violations.length > 0) {
    lines.push('', '## Violations', '')
    for (const v of r.violations) {
      lines.push(`### seed ${v.seed}: ${v.invariant} on ${v.rollout} (rv ${v.rv})`, '', v.message, '', `Replay: \`pnpm run chaos --seeds ${v.seed}\``, '', '```text', ...v.timeline, '```', '')
    }
  }
  return `${lines.join('\n')}\n`
}
