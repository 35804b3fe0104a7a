/**
 * The installation artefacts on the local control plane: the rendered manifests are current, pass a
 * server-side dry run and a real apply; the Helm chart installs; and the controller, running with
 * nothing but the ServiceAccount token the manifests grant, can run a rollout (least privilege that
 * is still enough).
 */
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { AuthenticationV1Api, AuthorizationV1Api } from '@kubernetes/client-node'
import { restart } from '@sluice/client'
import type { KubeObject } from '@sluice/core'
import { createTestNamespace, loadKubeConfig } from '@sluice/local-cluster'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { apply, eventually, getRollout, helmBinary, replicaSets, repoRoot, rolloutRef, rolloutWhere, rolloutYaml, serviceAccountKubeconfig, servicesYaml, setUp, startController, tearDown, updateImage } from './harness.ts'
import type { Env } from './harness.ts'
import { createKubeApi } from '@sluice/kube'

const run = promisify(execFile)
const installYaml = join(repoRoot, 'apps/controller/deploy/install.yaml')
const chart = join(repoRoot, 'apps/controller/chart')
const smiCrd = fileURLToPath(new URL('../../../../packages/smi/test/crds/trafficsplit.yaml', import.meta.url))

let helm = ''
beforeAll(async () => {
  helm = await helmBinary()
}, 1_200_000)

const parse = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)

describe('manifests and chart', () => {
  const kubeconfigPath = () => inject('kubeconfigPath')
  const api = () => createKubeApi(loadKubeConfig(kubeconfigPath()), { userAgent: 'sluice-e2e' })

  it('deploy/install.yaml is what the chart renders (run tools/helm/render.sh after changing the chart)', async () => {
    const { stdout } = await run(helm, ['template', 'sluice-controller', chart, '--namespace', 'sluice-system'])
    const committed = parse(await readFile(installYaml, 'utf8')).filter((o) => o.kind !== 'Namespace')
    expect(stringify(committed)).toBe(stringify(parse(stdout)))
  })

  it('pass a server-side dry run and a real server-side apply; the controller Deployment becomes available', async () => {
    const kube = api()
    const objects = parse(await readFile(installYaml, 'utf8'))
    const [namespace, ...rest] = objects
    expect(namespace?.kind).toBe('Namespace')
    await kube.apply(namespace as KubeObject, { fieldManager: 'sluice-e2e' })
    // A server-side dry run of every object: admission and schema validation, nothing stored.
    for (const object of rest) await kube.apply(object, { fieldManager: 'sluice-e2e', dryRun: true })
    for (const object of rest) await kube.apply(object, { fieldManager: 'sluice-e2e' })
    const deployment = await eventually('the controller Deployment to be available', async () => {
      const d = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'sluice-system', name: 'sluice-controller' })
      const status = d?.status as { availableReplicas?: number } | undefined
      return (status?.availableReplicas ?? 0) >= 2 ? d : undefined
    })
    const pod = (deployment.spec as { template: { spec: { securityContext: Record<string, unknown>; containers: { securityContext: Record<string, unknown> }[] } } }).template.spec
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true })
    expect(pod.containers[0]?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
  })

  it('the chart installs with Helm and takes its values', async () => {
    const ns = await createTestNamespace(loadKubeConfig(kubeconfigPath()), 'helm')
    try {
      const env = { ...process.env, KUBECONFIG: kubeconfigPath() }
      await run(
        helm,
        ['install', 'e2e', chart, '--namespace', ns.name, '--set', 'crds.install=false', '--wait', '--timeout', '120s', '--set', 'watchNamespace=apps', '--set', 'replicas=1', '--set', 'logLevel=debug'],
        { env },
      )
      const d = await api().get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns.name, name: 'e2e-sluice-controller' })
      const args = (d?.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]?.args
      expect(args).toEqual(expect.arrayContaining(['--namespace=apps', '--log-level=debug', '--leader-election-id=e2e-sluice-controller']))
      await run(helm, ['uninstall', 'e2e', '--namespace', ns.name, '--wait'], { env })
    } finally {
      await ns.delete()
    }
  })
})

describe('least-privilege RBAC', () => {
  let env: Env | undefined
  afterAll(async () => {
    await tearDown(env)
  })

  it('is enough to run a rollout, and no more than the controller needs', async () => {
    const kubeconfigPath = inject('kubeconfigPath')
    const admin = loadKubeConfig(kubeconfigPath)
    const kube = createKubeApi(admin)
    for (const object of parse(await readFile(installYaml, 'utf8'))) await kube.apply(object, { fieldManager: 'sluice-e2e' })

    // A token of the controller's ServiceAccount, and a kubeconfig that holds nothing else.
    const saKubeconfig = await serviceAccountKubeconfig(admin, 'sluice-system', 'sluice-controller')
    const whoami = await loadKubeConfig(saKubeconfig).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } })
    expect(whoami.status?.userInfo?.username).toBe('system:serviceaccount:sluice-system:sluice-controller')
    const can = async (verb: string, group: string, resource: string) =>
      (
        await loadKubeConfig(saKubeconfig)
          .makeApiClient(AuthorizationV1Api)
          .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, group, resource, namespace: 'default' } } } })
      ).status?.allowed
    expect(await can('delete', 'apps', 'replicasets')).toBe(true)
    expect(await can('delete', '', 'services')).toBe(false)
    expect(await can('delete', '', 'pods')).toBe(false)
    expect(await can('get', '', 'secrets')).toBe(false)
    expect(await can('update', 'argoproj.io', 'rollouts')).toBe(false)

    env = await setUp(kubeconfigPath, 'e2e-rbac', [smiCrd])
    const e = { ...env, kubeconfigPath: saKubeconfig }
    const controller = await startController(e, { leaderElect: true, extraArgs: ['--leader-election-namespace', 'sluice-system', '--leader-election-id', 'sluice-e2e-rbac'] })
    env.controllers.push(...e.controllers.filter((c) => !env?.controllers.includes(c)))
    await apply(
      env,
      `${servicesYaml()}---
${rolloutYaml(
  `
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 1
trafficRouting: {smi: {}}
steps: [{setWeight: 50}, {pause: {duration: 1}}]
`,
  { replicas: 2 },
)}`,
    )
    await rolloutWhere(env, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    // Every write the controller makes, made with the ServiceAccount's rights: an update, deleting the
    // old revision (no history kept), and a restart (pods listed and evicted).
    await env.api.mergePatch(rolloutRef(env, 'web'), { spec: { revisionHistoryLimit: 0 } })
    const v2 = await updateImage(env, 'web', 'web:2')
    await rolloutWhere(env, 'web', 'promoted with the ServiceAccount token', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === v2, 60_000)
    await eventually('the old revision deleted', async () => {
      const sets = await replicaSets(e, 'web')
      return sets.length === 1 && sets[0]?.hash === v2
    })
    await new Promise((r) => setTimeout(r, 1100)) // restartAt after the pods' creation second
    await restart(env.api, { namespace: env.namespace, name: 'web' })
    const restartAt = (await getRollout(env, 'web')).spec.restartAt
    await rolloutWhere(env, 'web', 'restarted with the ServiceAccount token', (r) => r.status?.restartedAt === restartAt, 60_000)
    const denied = controller.lines().filter((l) => /forbidden|\b403\b/i.test(`${String(l.msg ?? '')} ${String(l.error ?? '')} ${JSON.stringify(l.err ?? '')}`))
    expect(denied).toEqual([])
  })
})
