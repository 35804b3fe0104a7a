/**
 * The Helm chart's life cycle on the local control plane, in namespaced mode: helm install → the
 * controller, with nothing but the rights the release grants its ServiceAccount, runs a Rollout →
 * helm upgrade (an extraEnv and a CRD annotation: the CRDs are templates now, so upgrades reach
 * them) → helm rollback, each checked on the cluster, and uninstall keeps the CRDs and the Rollout.
 * The pods of the Deployment only exist on KWOK, so the controller runs as a local process with the
 * release's ServiceAccount token and the flags of the rendered Deployment.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { AuthorizationV1Api } from '@kubernetes/client-node'
import { loadKubeConfig } from '@sluice/local-cluster'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { apply, getRollout, helmBinary, repoRoot, rolloutWhere, rolloutYaml, serviceAccountKubeconfig, servicesYaml, setUp, startController, tearDown, updateImage } from './harness.ts'
import type { Env } from './harness.ts'

const run = promisify(execFile)
const chart = join(repoRoot, 'apps/controller/chart')
const crdNames = ['rollouts', 'analysistemplates', 'clusteranalysistemplates', 'analysisruns', 'experiments'].map((n) => `${n}.argoproj.io`)
const release = 'e2e'
const fullname = 'e2e-sluice-controller'

let env: Env | undefined
let helmPath = ''
beforeAll(async () => {
  helmPath = await helmBinary()
  env = await setUp(inject('kubeconfigPath'), 'e2e-chart')
}, 1_200_000)
afterAll(async () => {
  if (env) await run(helmPath, ['uninstall', release, '--namespace', env.namespace, '--ignore-not-found'], { env: { ...process.env, KUBECONFIG: env.kubeconfigPath } })
  await tearDown(env)
})

interface Container {
  args: string[]
  env: { name: string; value?: string }[]
}

describe('the chart: install, upgrade, rollback', () => {
  it('in namespaced mode, runs a Rollout with the release’s rights, and upgrades and rolls back the Deployment and the CRDs', async () => {
    const e = env as Env
    const helm = async (...args: string[]) => (await run(helmPath, [...args, '--namespace', e.namespace], { env: { ...process.env, KUBECONFIG: e.kubeconfigPath } })).stdout
    const revision = async () => (JSON.parse(await helm('status', release, '--output', 'json')) as { version: number }).version
    const deployment = async () => {
      const d = await e.api.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: e.namespace, name: fullname })
      return (d?.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0] as Container
    }
    const crd = (name: string) => e.api.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name })

    // CRDs made by other suites (or by install.yaml) belong to no release: hand them to this one, as
    // the chart's README says, or helm install refuses them.
    for (const name of crdNames) {
      if (!(await crd(name))) continue
      await e.api.mergePatch(
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name },
        { metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': release, 'meta.helm.sh/release-namespace': e.namespace } } },
      )
    }

    // Install.
    await helm('install', release, chart, '--set', 'clusterInstall=false', '--wait', '--timeout', '120s')
    expect(await revision()).toBe(1)
    expect(await e.api.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: fullname })).toBeUndefined()
    expect(await e.api.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: e.namespace, name: fullname })).toBeDefined()
    expect(await e.api.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace: e.namespace, name: fullname })).toBeDefined()
    for (const name of crdNames) {
      expect((await crd(name))?.metadata.annotations, name).toMatchObject({ 'meta.helm.sh/release-name': release, 'helm.sh/resource-policy': 'keep' })
    }
    const args = (await deployment()).args
    expect(args).toContain(`--namespace=${e.namespace}`)

    // The release's ServiceAccount may work on Rollouts in its namespace and nowhere else.
    const saKubeconfig = await serviceAccountKubeconfig(e.kc, e.namespace, fullname)
    const can = async (verb: string, resource: string, namespace: string) =>
      (
        await loadKubeConfig(saKubeconfig)
          .makeApiClient(AuthorizationV1Api)
          .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, group: resource === 'rollouts' ? 'argoproj.io' : 'apps', resource, namespace } } } })
      ).status?.allowed
    expect(await can('list', 'rollouts', e.namespace)).toBe(true)
    expect(await can('create', 'replicasets', e.namespace)).toBe(true)
    expect(await can('list', 'rollouts', 'default')).toBe(false)
    expect(await can('create', 'replicasets', 'default')).toBe(false)

    // The controller with the Deployment's own flags (but a local HTTP port) and the release's token.
    const deploymentFlags = args.filter((a) => !a.startsWith('--http-addr='))
    // (the copy shares e.controllers, so tearDown stops it)
    const controller = await startController({ ...e, kubeconfigPath: saKubeconfig }, { leaderElect: true, extraArgs: deploymentFlags })
    await apply(e, `${servicesYaml()}---
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
steps: [{setWeight: 50}, {pause: {duration: 1}}]
`, { replicas: 2 })}`)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    const v2 = await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'web:2 promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === v2)

    // Upgrade: a new environment variable on the Deployment, a new annotation on every CRD.
    await helm('upgrade', release, chart, '--reuse-values', '--set', 'extraEnv[0].name=SLUICE_E2E,extraEnv[0].value=upgraded', '--set', 'crds.annotations.sluice\\.dev/e2e=upgraded', '--wait', '--timeout', '120s')
    expect(await revision()).toBe(2)
    expect((await deployment()).env).toContainEqual({ name: 'SLUICE_E2E', value: 'upgraded' })
    for (const name of crdNames) expect((await crd(name))?.metadata.annotations?.['sluice.dev/e2e'], name).toBe('upgraded')
    const v3 = await updateImage(e, 'web', 'web:3')
    await rolloutWhere(e, 'web', 'web:3 promoted after the upgrade', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === v3)

    // Rollback to the first revision: both changes gone again.
    await helm('rollback', release, '1', '--wait', '--timeout', '120s')
    expect(await revision()).toBe(3)
    expect((await deployment()).env.map((v) => v.name)).not.toContain('SLUICE_E2E')
    for (const name of crdNames) expect((await crd(name))?.metadata.annotations?.['sluice.dev/e2e'], name).toBeUndefined()
    const v4 = await updateImage(e, 'web', 'web:4')
    await rolloutWhere(e, 'web', 'web:4 promoted after the rollback', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === v4)
    const denied = controller.lines().filter((l) => /forbidden|\b403\b/i.test(`${String(l.msg ?? '')} ${String(l.error ?? '')} ${JSON.stringify(l.err ?? '')}`))
    expect(denied).toEqual([])

    // Uninstall: the RBAC goes, the CRDs (crds.keep) and so the Rollout stay.
    await helm('uninstall', release, '--wait')
    expect(await e.api.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: e.namespace, name: fullname })).toBeUndefined()
    for (const name of crdNames) expect(await crd(name), name).toBeDefined()
    expect((await getRollout(e, 'web')).status?.stableRS).toBe(v4)
  })
})
