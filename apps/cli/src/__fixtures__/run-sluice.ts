/**
 * Runs `sluice` in memory for tests: files come from a map, output is captured, nothing touches the
 * process. `manifest()` writes the multi-document YAML the offline commands read.
 */
import { stringify } from 'yaml'
import type { CliContext } from '../cli-context.ts'
import { runCli } from '../cli.ts'

export interface SluiceRun {
  code: number
  stdout: string
  stderr: string
}

export async function runSluice(
  argv: string[],
  files: Record<string, string> = {},
  options: Partial<Pick<CliContext, 'color' | 'debug' | 'env' | 'cwd' | 'interactive' | 'now'>> & { stdout?: (text: string) => void } = {},
): Promise<SluiceRun> {
  let stdout = ''
  let stderr = ''
  const ctx: CliContext = {
    stdout: options.stdout ?? ((text) => void (stdout += text)),
    stderr: (text) => void (stderr += text),
    readFile: async (path) => {
      const text = files[path]
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' })
      return text
    },
    color: options.color ?? false,
    debug: options.debug ?? false,
    version: '0.1.0-test',
    env: options.env ?? {},
    cwd: options.cwd ?? '/work',
    interactive: options.interactive ?? false,
    now: options.now ?? (() => new Date('2026-01-01T12:00:00Z')),
  }
  const code = await runCli(argv, ctx)
  return { code, stdout, stderr }
}

type Canary = Record<string, unknown>

/** A Rollout `web` in `default` (pod label app=web) with the given canary strategy. */
export function rollout(canary: Canary, replicas = 10): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } },
      strategy: { canary },
    },
  }
}

export function service(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }
}

/** The canary and stable Services every traffic-routed fixture needs. */
export const services = [service('web-canary'), service('web-stable')]

/** An Istio VirtualService `web` with one route `primary` over both Services. */
export const virtualService = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    hosts: ['web.example.com'],
    http: [
      {
        name: 'primary',
        route: [
          { destination: { host: 'web-stable' }, weight: 100 },
          { destination: { host: 'web-canary' }, weight: 0 },
        ],
      },
    ],
  },
}

/** Objects as one multi-document YAML stream. */
export function manifest(...objects: unknown[]): string {
  return objects.map((o) => stringify(o)).join('---\n')
}

/** True when the text contains something that looks like a JavaScript stack frame. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text) || text.includes('node:internal')
}
