/**
 * The helm CLI (built from its Go module by build.sh, cached) and the chart's paths, for the chart's
 * tests and tools.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
/** apps/controller/chart */
export const chartDir = fileURLToPath(new URL('../../../apps/controller/chart/', import.meta.url))

let binary: Promise<string> | undefined

/** Path of the helm binary; builds it on the first call on a fresh machine (a few minutes). */
export function helmBinary(): Promise<string> {
  binary ??= run('bash', [fileURLToPath(new URL('../build.sh', import.meta.url))], { maxBuffer: 1 << 24 }).then(({ stdout }) => {
    const path = stdout.trim().split('\n').pop()
    if (!path) throw new Error('tools/helm/build.sh printed no path')
    return path
  })
  return binary
}

/** The outcome of one helm command: it never throws on a non-zero exit, so tests can assert on refusals. */
export interface HelmResult {
  code: number
  stdout: string
  stderr: string
}

export async function helm(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<HelmResult> {
  const bin = await helmBinary()
  try {
    const { stdout, stderr } = await run(bin, [...args], { maxBuffer: 1 << 26, env: options.env ?? process.env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string }
    if (typeof e.code !== 'number') throw error
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}
