/**
 * `pnpm run chaos`: the soak. Seeds S, S+1, ... (or the listed ones), each a fault-free run and a
 * faulted run of its scenario on a private local control plane, until the time is up; then the
 * figures into bench/results/<date>-chaos-<seed>.md/.json. Exit status 1 when an invariant was
 * violated: the seed and the timeline around each violation are printed, to replay it.
 *
 *   pnpm run chaos --minutes 60 --seed 7
 *   pnpm run chaos --seeds 12,13              (replay)
 *   pnpm run chaos --minutes 5 --kinds apiserver-restart,etcd-restart --reaction-bound 10
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, hostname, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repoRoot } from '@sluice/local-cluster'
import { buildReport, renderMarkdown } from './report.ts'
import type { MemorySample } from './report.ts'
import { FAULT_KINDS } from './run.ts'
import type { FaultKind } from './run.ts'
import { describeFailure, runSeed, startChaosCluster, stopChaosCluster } from './suite.ts'
import type { SeedResult } from './suite.ts'

const USAGE = `pnpm run chaos [--minutes M] [--seed S | --seeds A,B,...] [--kinds K,...] [--reaction-bound SECONDS] [--out DIR] [--no-report]
  --minutes M          run seeds until M minutes are up (default 60; a seed is started only if it can finish)
  --seed S             first seed (default: from the clock, printed)
  --seeds A,B          exactly these seeds (replay), whatever --minutes says
  --kinds K,...        fault kinds to draw from (default all: ${FAULT_KINDS.join(', ')})
  --reaction-bound S   seconds the controller may take to repair what the world broke (default 10)
  --eager              user actions (abort, retry, promote, spec edits) while ReplicaSets still scale
  --ambiguous-writes   the proxy may apply a write and answer 500
  --dynamic-rollbacks  dynamicStableScale on rollouts that abort or get a new template mid-update
                       (all three off by default: each exposes a Sluice bug, see tools/chaos/README.md)
  --out DIR            where the report goes (default bench/results)
  --no-report          print only`

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      minutes: { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string' },
      kinds: { type: 'string' },
      'reaction-bound': { type: 'string' },
      out: { type: 'string' },
      'no-report': { type: 'boolean' },
      eager: { type: 'boolean' },
      'ambiguous-writes': { type: 'boolean' },
      'dynamic-rollbacks': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const minutes = Number(values.minutes ?? 60)
  const firstSeed = values.seeds ? Number(values.seeds.split(',')[0]) : Number(values.seed ?? Date.now() % 100_000)
  const listed = values.seeds?.split(',').map(Number)
  const kinds = (values.kinds?.split(',') ?? [...FAULT_KINDS]) as FaultKind[]
  for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new Error(`--kinds: unknown fault kind "${k}" (known: ${FAULT_KINDS.join(', ')})`)
  const reactionBoundMs = Number(values['reaction-bound'] ?? 10) * 1000
  if (![minutes, firstSeed, reactionBoundMs].every(Number.isFinite) || listed?.some((s) => !Number.isInteger(s))) throw new Error(`bad arguments\n${USAGE}`)
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
  const startedAt = Date.now()
  const deadline = startedAt + minutes * 60_000
  log(
    `chaos soak: first seed ${firstSeed}${listed ? ` (seeds ${listed.join(',')})` : `, ${minutes} min`}, reaction bound ${reactionBoundMs} ms, faults: ${kinds.join(', ')}${values.eager ? ', eager user' : ''}${values['ambiguous-writes'] ? ', ambiguous writes' : ''}${values['dynamic-rollbacks'] ? ', dynamic rollbacks' : ''}`,
  )

  const chaos = await startChaosCluster(() => {})
  const witness: MemorySample[] = []
  const sampler = setInterval(() => {
    const last = chaos.witness.memory.at(-1)
    if (last && last.at !== witness.at(-1)?.at) witness.push({ at: last.at, rssMB: last.rss / 1048576 })
  }, 5000)
  const results: SeedResult[] = []
  const errors: string[] = []
  let stopping = false
  process.once('SIGINT', () => {
    stopping = true
    log('SIGINT: finishing the seed in flight')
  })
  try {
    for (let i = 0; !stopping; i++) {
      const seed = listed ? listed[i] : firstSeed + i
      if (seed === undefined) break
      if (!listed) {
        // Start a seed only when the slowest one so far (plus a margin) still fits.
        const slowest = Math.max(120_000, ...results.map((r) => r.reference.durationMs + r.faulted.durationMs))
        if (Date.now() + slowest * 1.3 > deadline) break
      }
      let result: SeedResult
      try {
        result = await runSeed(chaos, seed, { reactionBoundMs, kinds, log, userTiming: values.eager ? 'eager' : 'patient', ambiguousWrites: values['ambiguous-writes'] === true, dynamicRollbacks: values['dynamic-rollbacks'] === true })
      } catch (error) {
        // The suite itself failed (the cluster did not come back...): report what ran, and say so.
        errors.push(`seed ${seed}: ${(error as Error).stack ?? String(error)}`)
        log(`seed ${seed} could not run: ${(error as Error).message}`)
        break
      }
      results.push(result)
      if (result.violations.length > 0) process.stdout.write(`${describeFailure(result)}\n`)
    }
  } finally {
    clearInterval(sampler)
    await stopChaosCluster(chaos, () => {})
  }

  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })()
  const report = buildReport({
    command: `pnpm run chaos ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt,
    firstSeed,
    results,
    witness,
    machine: { host: hostname(), cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    commit,
    errors,
  })
  const d = report.recoveries
  log(
    `done: ${results.length} seeds, ${report.faultsTotal} faults, ${report.violations.length} violations; recovery p50/p99 ms: restart→reconcile ${d.restartToReconcile.p50}/${d.restartToReconcile.p99}, API server→write ${d.apiServerToWrite.p50}/${d.apiServerToWrite.p99}, etcd→write ${d.etcdToWrite.p50}/${d.etcdToWrite.p99}, leader takeover ${d.leaderTakeover.p50}/${d.leaderTakeover.p99}; witness RSS growth ${report.memory.witness.growthMBPerHour?.toFixed(1) ?? '–'} MB/h`,
  )
  if (!values['no-report']) {
    const dir = values.out ?? join(repoRoot, 'bench/results')
    mkdirSync(dir, { recursive: true })
    const base = join(dir, `${new Date(startedAt).toISOString().slice(0, 10)}-chaos-${firstSeed}`)
    writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`)
    writeFileSync(`${base}.md`, renderMarkdown(report))
    log(`report: ${base}.md (.json)`)
  }
  if (report.violations.length > 0) log(`FAILED: ${report.violations.length} invariant violations; replay a seed with pnpm run chaos --seeds <seed>`)
  if (errors.length > 0) log(`FAILED: the suite could not run every seed:\n${errors.join('\n')}`)
  return report.violations.length > 0 || errors.length > 0 ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`chaos: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 2
  },
)
