/**
 * Argo Rollouts' own CLI, `kubectl argo rollouts` (built from the Argo Rollouts module, a real
 * client), against Sluice on a cluster that has only the CRDs of Sluice's chart: a drop-in must serve
 * the tools written for the reference. `get rollout` waits on informers for Experiments and
 * AnalysisRuns, so without those kinds it never returned.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { kubectlArgoRollouts } from '@sluice/argo-rollouts'
import type { KubeObject } from '@sluice/core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { apply, installCrds, repoRoot, rolloutWhere, rolloutYaml, servicesYaml, setUp, startController, tearDown } from './harness.ts'
import type { Env } from './harness.ts'

let env: Env | undefined
beforeAll(async () => {
  // Exactly the CRDs deploy/install.yaml (the chart, rendered) carries, replacing any left by another suite.
  const rendered = parseAllDocuments(await readFile(join(repoRoot, 'apps/controller/deploy/install.yaml'), 'utf8')).map((d) => d.toJS() as KubeObject | null)
  const crds = rendered.filter((o): o is KubeObject => o?.kind === 'CustomResourceDefinition')
  expect(crds.map((c) => c.metadata.name).sort()).toEqual([
    'analysisruns.argoproj.io',
    'analysistemplates.argoproj.io',
    'clusteranalysistemplates.argoproj.io',
    'experiments.argoproj.io',
    'rollouts.argoproj.io',
  ])
  const file = join(await mkdtemp(join(tmpdir(), 'sluice-crds-')), 'crds.yaml')
  await writeFile(file, crds.map((c) => stringify(c)).join('---\n'))
  env = await setUp(inject('kubeconfigPath'), 'e2e-argo-cli')
  await installCrds(env.kc, [file])
}, 1_200_000)
afterAll(async () => {
  await tearDown(env)
})

describe("kubectl argo rollouts on a cluster with Sluice's chart alone", () => {
  it('gets, lists, promotes and reports status', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, `${servicesYaml()}---
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
steps:
- setWeight: 50
- pause: {}
`, { replicas: 2 })}`)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    // the CLI colours its output; the assertions read the text
    const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '')
    const argo = async (args: string[]) => {
      const result = await kubectlArgoRollouts(args, { kubeconfigPath: e.kubeconfigPath, namespace: e.namespace, timeoutMs: 60_000 })
      return { ...result, stdout: plain(result.stdout) }
    }

    const get = await argo(['get', 'rollout', 'web'])
    expect(get.code, get.stderr).toBe(0)
    expect(get.stdout).toMatch(/Name:\s+web/)
    expect(get.stdout).toMatch(/Status:\s+✔ Healthy/)

    const list = await argo(['list', 'rollouts'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/^web\s+Canary\s+Healthy/m)

    const setImage = await argo(['set', 'image', 'web', 'web=web:2'])
    expect(setImage.code, setImage.stderr).toBe(0)
    await rolloutWhere(e, 'web', 'paused at 50 %', (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1)
    const paused = await argo(['get', 'rollout', 'web'])
    expect(paused.stdout).toMatch(/Status:\s+॥ Paused/)
    expect(paused.stdout).toMatch(/Step:\s+1\/2/)

    const promote = await argo(['promote', 'web'])
    expect(promote.code, promote.stderr).toBe(0)
    const status = await argo(['status', 'web', '--timeout', '60s'])
    expect(status.code, status.stdout + status.stderr).toBe(0)
    expect(status.stdout.trim().split('\n').at(-1)).toBe('Healthy')
  })
})
