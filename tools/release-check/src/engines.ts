/**
 * The engines check: every package of an installed tree must accept the floor Node. A dependency
 * that asks for more (undici 8 asks for ">=22.19.0") would crash or misbehave on the floor our own
 * `engines` promises, so the check fails and names it with where it sits in the tree.
 *
 *   floor 22.19.0, undici ">=22.19.0"          → ok
 *   floor 22.12.0, undici ">=22.19.0"          → "undici@8.14.1 needs >=22.19.0 (node_modules/undici)"
 *   floor 22.19.0, vitest "^22.12.0 || >=24"   → ok (a range, not only a lower bound, is honoured)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import semver from 'semver'

export interface EngineProblem {
  name: string
  version: string
  needs: string
  /** Where it is installed, as nested package names: `@kubernetes/client-node > undici`. */
  at: string
}

/** Walks `<root>/node_modules` (npm's nested layout) and returns the packages that refuse `floor`. */
export function checkEngines(root: string, floor: string): { checked: number; problems: EngineProblem[] } {
  const problems: EngineProblem[] = []
  let checked = 0
  const walk = (dir: string, via: string[]): void => {
    const modules = join(dir, 'node_modules')
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue
      const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry]
      for (const name of names) {
        const pkgDir = join(modules, name)
        const manifest = join(pkgDir, 'package.json')
        if (!existsSync(manifest)) continue
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string; engines?: { node?: string } }
        checked++
        const needs = pkg.engines?.node
        if (needs && !semver.satisfies(floor, needs)) {
          problems.push({ name: pkg.name ?? name, version: pkg.version ?? '?', needs, at: [...via, name].join(' > ') })
        }
        walk(pkgDir, [...via, name])
      }
    }
  }
  walk(root, [])
  return { checked, problems }
}
