/**
 * Moves the chart's `version` and `appVersion` to the version of the `@sluice/*` packages (one fixed
 * changesets group, docs/adr/0003-versioning.md), so a release deploys the image it was cut for.
 * `pnpm run version-packages` runs it right after `changeset version`; the release check runs it on a
 * scratch copy of the repository.
 *
 *   packages at 0.2.0, Chart.yaml `version: 0.1.0`, `appVersion: "0.1.0"` → `version: 0.2.0`, `appVersion: "0.2.0"`
 *
 * Only those two lines change; comments and the rest of the file stay as they are.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const CHART_DIR = 'apps/controller/chart'
/** The package whose version the chart follows (the CLI and the controller image ship together). */
export const VERSION_SOURCE = 'packages/core/package.json'

export function syncChartVersion(repoRoot: string): { version: string; changed: boolean } {
  const { version } = JSON.parse(readFileSync(join(repoRoot, VERSION_SOURCE), 'utf8')) as { version: string }
  const file = join(repoRoot, CHART_DIR, 'Chart.yaml')
  const before = readFileSync(file, 'utf8')
  let after = before.replace(/^version:.*$/m, `version: ${version}`).replace(/^appVersion:.*$/m, `appVersion: "${version}"`)
  if (!/^version:/m.test(after) || !/^appVersion:/m.test(after)) throw new Error(`${file}: no top-level version or appVersion line`)
  if (!after.endsWith('\n')) after += '\n'
  if (after !== before) writeFileSync(file, after)
  return { version, changed: after !== before }
}

/** Reads `version` and `appVersion` of a Chart.yaml (top-level scalar lines only). */
export function readChartVersions(text: string): { version?: string; appVersion?: string } {
  const value = (key: string) => text.match(new RegExp(`^${key}:\\s*"?([^"\\s#]+)"?`, 'm'))?.[1]
  const version = value('version')
  const appVersion = value('appVersion')
  return { ...(version ? { version } : {}), ...(appVersion ? { appVersion } : {}) }
}

if (import.meta.main) {
  const { version, changed } = syncChartVersion(process.cwd())
  console.log(changed ? `${CHART_DIR}/Chart.yaml: version and appVersion ${version}` : `${CHART_DIR}/Chart.yaml: already at ${version}`)
}
