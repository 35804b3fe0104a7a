/**
 * `pnpm run bench:cli [--n 20]`: the wall time of `sluice --version` and `sluice --help`, each run N
 * times in a fresh Node process, from the TypeScript sources and (when built) from
 * apps/cli/dist/sluice.js. Prints p50 and max per command; it asserts nothing.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { percentile } from './stats.ts'

const DEFAULT_RUNS = 20
const root = fileURLToPath(new URL('../../', import.meta.url))
const { values } = parseArgs({ options: { n: { type: 'string' } } })
const runs = values.n === undefined ? DEFAULT_RUNS : Number(values.n)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--n takes a whole number of runs, not "${values.n}"`)

const builds = [
  { name: 'source', args: ['--conditions=@sluice/source', 'apps/cli/src/main.ts'] },
  ...(existsSync(`${root}apps/cli/dist/sluice.js`) ? [{ name: 'dist', args: ['apps/cli/dist/sluice.js'] }] : []),
]

/** Milliseconds of one run, which must exit 0. */
function timeOne(args: string[]): number {
  const start = process.hrtime.bigint()
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`)
  return ms
}

console.log(`sluice startup, ${runs} runs each (Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg()[0]?.toFixed(2)})`)
console.log(`${'build'.padEnd(8)}${'command'.padEnd(12)}${'p50 ms'.padStart(8)}${'max ms'.padStart(8)}`)
for (const build of builds) {
  for (const flag of ['--version', '--help']) {
    timeOne([...build.args, flag]) // warm the file cache
    const times = Array.from({ length: runs }, () => timeOne([...build.args, flag]))
    console.log(`${build.name.padEnd(8)}${flag.padEnd(12)}${(percentile(times, 50) ?? 0).toFixed(0).padStart(8)}${Math.max(...times).toFixed(0).padStart(8)}`)
  }
}
