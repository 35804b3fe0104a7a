/**
 * Runs the real command, as the root `sluice` script does, on every example in `examples/`: a fresh
 * Node process reading the workspace's TypeScript sources.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import type { Rollout } from '@sluice/core'
import type { SimulatedState, SimulationResult } from '@sluice/reconcile'

const root = path.resolve(import.meta.dirname, '../../..')
const recorder = path.join(import.meta.dirname, '__fixtures__/record-modules.ts')
const examples = readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.yaml')).sort()

async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Neither colour variable, rather than both set empty: Node 22 warns on stderr when both are set.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NO_COLOR' && k !== 'FORCE_COLOR'))
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=@sluice/source', 'apps/cli/src/main.ts', ...args], { cwd: root, env })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}

const pods = (s: SimulatedState) => `${s.canary.replicas}/${s.stable.replicas} ${s.canary.weight ?? '-'}/${s.stable.weight ?? '-'}`

/** What the examples this package owns must show, step by step; other examples get the general checks only. */
const expected: Record<string, string[]> = {
  // R = 10, no traffic routing: 10 % is 1 pod beside 9, 50 % is 5 and 5
  'basic-canary.yaml': ['1/9 -/-', '1/9 -/-', '5/5 -/-', '5/5 -/-'],
  // R = 5 through an SMI TrafficSplit: the stable stays at 5, canary pods ceil(5·w/100)
  'smi.yaml': ['1/5 20/80', '1/5 20/80', '3/5 50/50', '3/5 50/50', '4/5 80/20', '4/5 80/20'],
}

describe.each(examples)('sluice plan -f examples/%s', (example) => {
  const rollout = parseAllDocuments(readFileSync(path.join(root, 'examples', example), 'utf8'))
    .map((d) => d.toJS() as Rollout)
    .find((o) => o?.kind === 'Rollout')

  it('-o json prints only the plan, which ends fully promoted', async () => {
    const run = await sluice('plan', '-f', `examples/${example}`, '-o', 'json')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as SimulationResult
    expect(result.rollout).toBe(`${rollout?.metadata.namespace ?? 'default'}/${rollout?.metadata.name}`)
    expect(result.steps).toHaveLength(rollout?.spec.strategy?.canary?.steps?.length ?? 0)
    expect([result.final.phase, result.final.canary.replicas, result.final.stable.replicas]).toEqual(['Healthy', rollout?.spec.replicas ?? 1, 0])
    const steps = expected[example]
    if (steps) expect(result.steps.map(pods)).toEqual(steps)
  })

  // The recorded plans (__fixtures__/plans) pin what `plan` shows, byte for byte, across refactors of the
  // engine. After a deliberate change of behaviour, re-record them with SLUICE_RECORD_PLANS=1 and say why
  // in the commit.
  it.each(['json', 'text'] as const)('-o %s equals the recorded plan', async (format) => {
    const run = await sluice('plan', '-f', `examples/${example}`, '-o', format)
    expect(run.code).toBe(0)
    const recorded = path.join(import.meta.dirname, '__fixtures__/plans', example.replace(/\.yaml$/, format === 'json' ? '.json' : '.txt'))
    if (process.env.SLUICE_RECORD_PLANS === '1') writeFileSync(recorded, run.stdout)
    expect(run.stdout).toBe(readFileSync(recorded, 'utf8'))
  })

  it('-o text writes no colour codes into a pipe', async () => {
    const run = await sluice('plan', '-f', `examples/${example}`)
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Rollout \S+ \(examples\//)
    expect(run.stdout).not.toContain('\u001b[')
  })

  it('lint finds no problems', async () => {
    const run = await sluice('lint', '-f', `examples/${example}`)
    expect(run.stdout).toMatch(/\nno problems\n$/)
    expect(run.code).toBe(0)
  })
})

describe('the real process', () => {
  it('exits 1 with one line on a missing file, and on a usage error (as kubectl argo rollouts does)', async () => {
    expect(await sluice('plan', '-f', 'examples/no-such-file.yaml')).toEqual({ code: 1, stdout: '', stderr: 'sluice plan: examples/no-such-file.yaml: no such file\n' })
    expect(await sluice('plan', '--nope')).toEqual({ code: 1, stdout: '', stderr: "sluice plan: unknown flag --nope\nRun 'sluice plan --help' for usage.\n" })
  })

  it('answers --version and --help without loading the Kubernetes client or the engine', async () => {
    // How long that takes is measured by pnpm run bench:cli; here, what the process loads.
    const modules = async (...args: string[]) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'sluice-modules-')), 'modules.json')
      const env = { ...process.env, RECORD_MODULES_TO: file }
      await promisify(execFile)(process.execPath, ['--conditions=@sluice/source', '--import', recorder, 'apps/cli/src/main.ts', ...args], { cwd: root, env }).catch(() => undefined)
      return JSON.parse(readFileSync(file, 'utf8')) as string[]
    }
    const heavy = (urls: string[]) => urls.filter((u) => /@kubernetes\/client-node|\/packages\/(core|kube|client|istio|alb|nginx|smi|ambassador)\/|\/node_modules\/yaml\//.test(u))
    expect(heavy(await modules('--version'))).toEqual([])
    expect(heavy(await modules('--help'))).toEqual([])
    // a cluster command does load the client (the recorder sees it)
    expect(heavy(await modules('list', '--kubeconfig', '/nonexistent/kubeconfig'))).toContainEqual(expect.stringMatching(/@kubernetes\/client-node/))
  })

  it('stops quietly when the reader of its output goes away (| head)', async () => {
    const weights = Array.from({ length: 90 }, (_, i) => `        - setWeight: ${i + 1}\n        - pause: {}\n`).join('')
    const big = readFileSync(path.join(root, 'examples/smi.yaml'), 'utf8').replace(/ {6}steps:\n(?: {8}- .*\n)+/, `      steps:\n${weights}`)
    const child = execFile(process.execPath, ['--conditions=@sluice/source', 'apps/cli/src/main.ts', 'plan', '-f', '-', '-o', 'json'], { cwd: root })
    child.stdin?.end(big)
    child.stdout?.once('data', () => child.stdout?.destroy())
    let stderr = ''
    child.stderr?.on('data', (chunk: string) => (stderr += chunk))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })

  it('reads the manifest from standard input with -f -', async () => {
    const child = execFile(process.execPath, ['--conditions=@sluice/source', 'apps/cli/src/main.ts', 'plan', '-f', '-', '-o', 'json'], { cwd: root })
    child.stdin?.end(readFileSync(path.join(root, 'examples/basic-canary.yaml')))
    let stdout = ''
    child.stdout?.on('data', (chunk: string) => (stdout += chunk))
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    expect((JSON.parse(stdout) as SimulationResult).steps).toHaveLength(4)
  })
})
