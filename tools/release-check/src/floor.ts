/**
 * pnpm run test:floor: the workspace's unit tests on the floor Node (FLOOR in nodes.ts), fetched from
 * npm like the development Node. vitest is started with the floor's binary directly, in each project
 * whose `test` script is `vitest run ...`, with that binary first on the PATH for the processes the
 * tests start. (Going through `pnpm exec` or nx would not do: pnpm puts node_modules/.bin, and so the
 * development Node 24, first on the PATH again.)
 *
 *   pnpm run test:floor              every project
 *   pnpm run test:floor core kube    projects whose directory name is listed
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { FLOOR, nodeBinary } from './nodes.ts'

const repo = resolve(import.meta.dirname, '../../..')
const node = nodeBinary(FLOOR)
const vitest = join(repo, 'node_modules/vitest/vitest.mjs')
const only = process.argv.slice(2)
const env = { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` }

const projects: { dir: string; args: string[] }[] = []
for (const parent of ['packages', 'apps', 'tools']) {
  for (const entry of readdirSync(join(repo, parent))) {
    const manifest = join(repo, parent, entry, 'package.json')
    if (!existsSync(manifest) || (only.length && !only.includes(entry))) continue
    const test = (JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: { test?: string } }).scripts?.test ?? ''
    const match = /^vitest run(.*)$/.exec(test)
    if (match) projects.push({ dir: join(repo, parent, entry), args: (match[1] ?? '').trim().split(/\s+/).filter(Boolean) })
  }
}

console.log(`[test:floor] unit tests of ${projects.length} projects on Node ${FLOOR} (${node})`)
const failed: string[] = []
for (const p of projects) {
  const result = spawnSync(node, [vitest, 'run', ...p.args], { cwd: p.dir, stdio: 'inherit', env })
  if (result.status !== 0) failed.push(p.dir.slice(repo.length + 1))
}
if (failed.length) {
  console.error(`[test:floor] failed on Node ${FLOOR}: ${failed.join(', ')}`)
  process.exitCode = 1
} else console.log(`[test:floor] ${projects.length} projects passed on Node ${FLOOR}`)
