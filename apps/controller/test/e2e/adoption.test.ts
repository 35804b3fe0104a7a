/**
 * Switching a live cluster from Argo Rollouts to Sluice (issue 13): Argo Rollouts' own controller
 * (v1.10.2, from its Go module) runs three Rollouts of one example to a healthy, a paused and an
 * aborted state; it is stopped and Sluice started on the same objects. Sluice must adopt them as
 * they are: no new ReplicaSet, no scale, no Service or traffic change, the same step, pause and
 * weights in the status. Then the paused one, promoted with Argo's own `kubectl argo rollouts`,
 * finishes on Argo's canary ReplicaSet. For the SMI, Istio and NGINX examples.
 */
import type {} from '@sluice/local-cluster/vitest-global-setup'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import type { KubeObject, Rollout } from '@sluice/core'
import { createTestNamespace, installCrds, loadKubeConfig } from '@sluice/local-cluster'
import { createKubeApi } from '@sluice/kube'
import { argoRolloutsCrdFiles, kubectlArgoRollouts, startArgoController } from '@sluice/argo-rollouts'
import { quick, withoutHeaderRoutes } from '../differential/trace.ts'
import { apply, eventually, getRollout, recordChanges, repoRoot, rolloutWhere, startController } from './harness.ts'
import type { Change, Env } from './harness.ts'

interface Example {
  file: string
  meshKind?: { apiVersion: string; kind: string }
  crds: string[]
  prepare?: (yaml: string) => string
}

const EXAMPLES: Example[] = [
  { file: 'smi.yaml', meshKind: { apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit' }, crds: ['packages/smi/test/crds/trafficsplit.yaml'] },
  {
    file: 'istio-host.yaml',
    meshKind: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' },
    crds: ['packages/istio/test/crds/virtualservice.yaml', 'packages/istio/test/crds/destinationrule.yaml'],
  },
  // Argo Rollouts v1.10.2 refuses header routes for NGINX (docs/argo-rollouts-differences.md).
  { file: 'nginx.yaml', meshKind: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }, crds: [], prepare: withoutHeaderRoutes },
  { file: 'ambassador.yaml', meshKind: { apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping' }, crds: ['packages/ambassador/test/crds/mapping.yaml'] },
]

const STATES = ['healthy', 'paused', 'aborted'] as const
type Left = (typeof STATES)[number]

/** The example with every `web` renamed, so that three copies live side by side in one namespace. */
function bundleFor(example: Example, name: string, namespace: string): string {
  const text = readFileSync(join(repoRoot, 'examples', example.file), 'utf8')
  return quick(example.prepare ? example.prepare(text) : text)
    .replace(/\bweb\b/g, name)
    .replace(/\.default(?=[.:\s]|$)/gm, `.${namespace}`)
}

let kubeconfigPath = ''
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  kubeconfigPath = inject('kubeconfigPath')
  // Argo Rollouts' own CRDs, as a cluster that ran Argo Rollouts has them.
  const crds = [...new Set(EXAMPLES.flatMap((e) => e.crds))].map((f) => join(repoRoot, f))
  await installCrds(loadKubeConfig(kubeconfigPath), [...(await argoRolloutsCrdFiles()), ...crds])
})

afterAll(async () => {
  await Promise.all(cleanups.map((c) => c().catch(() => undefined)))
})

async function argoCli(env: Env, args: string[]): Promise<void> {
  const result = await kubectlArgoRollouts(args, { kubeconfigPath, namespace: env.namespace })
  if (result.code !== 0) throw new Error(`kubectl argo rollouts ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`)
}

/** What must not change when Sluice takes over: pods, Service selectors, traffic, and the status tools read. */
function snapshot(objects: { rollouts: Rollout[]; replicaSets: KubeObject[]; services: KubeObject[]; mesh: KubeObject[] }) {
  return {
    replicaSets: Object.fromEntries(objects.replicaSets.map((rs) => [rs.metadata.name, (rs.spec as { replicas?: number }).replicas])),
    services: Object.fromEntries(objects.services.map((s) => [s.metadata.name, (s.spec as { selector?: unknown }).selector])),
    mesh: Object.fromEntries(objects.mesh.map((m) => [m.metadata.name, { spec: m.spec, annotations: canaryAnnotations(m) }])),
    rollouts: Object.fromEntries(
      objects.rollouts.map((r) => {
        const s = r.status ?? {}
        return [r.metadata.name, { phase: s.phase, currentStepIndex: s.currentStepIndex, pauseConditions: s.pauseConditions ?? [], abort: s.abort ?? false, stableRS: s.stableRS, currentPodHash: s.currentPodHash, weights: s.canary?.weights }]
      }),
    ),
  }
}

/** The NGINX canary annotations, which carry the weight. */
function canaryAnnotations(object: KubeObject): Record<string, string> {
  return Object.fromEntries(Object.entries(object.metadata.annotations ?? {}).filter(([k]) => k.startsWith('nginx.ingress.kubernetes.io/canary')))
}

async function list(env: Env, apiVersion: string, kind: string): Promise<KubeObject[]> {
  return env.api.list<KubeObject>({ apiVersion, kind, namespace: env.namespace })
}

describe.concurrent('adopting what Argo Rollouts left', () => {
  for (const example of EXAMPLES) {
    test(example.file, { timeout: 600_000 }, async () => {
      const kc = loadKubeConfig(kubeconfigPath)
      const ns = await createTestNamespace(kc, 'adopt')
      cleanups.push(() => ns.delete())
      const env: Env = { kc, kubeconfigPath, api: createKubeApi(kc), namespace: ns.name, ns, controllers: [] }
      const name = (state: Left) => `app-${state}`
      const logFile = `/tmp/sluice-adoption-argo-${ns.name}.log`

      // 1. Argo Rollouts runs the three Rollouts to their states.
      const argo = await startArgoController({ kubeconfigPath, namespace: ns.name, logFile })
      cleanups.push(() => argo.stop('SIGKILL'))
      for (const state of STATES) await apply(env, bundleFor(example, name(state), ns.name))
      for (const state of STATES) await rolloutWhere(env, name(state), 'Healthy under Argo Rollouts', (r) => r.status?.phase === 'Healthy', 180_000)
      const image = (r: Rollout) => String(r.spec.template?.spec?.containers?.[0]?.image)
      const hashes = new Map<Left, string | undefined>()
      for (const state of STATES) {
        const r = await getRollout(env, name(state))
        hashes.set(state, r.status?.currentPodHash)
        await argoCli(env, ['set', 'image', name(state), `*=${image(r)}-next`])
      }
      // Promoted only once Argo has taken the new template: a `promote --full` before that is lost, and
      // the update then stops at its indefinite pause.
      await rolloutWhere(env, name('healthy'), 'new template taken by Argo Rollouts', (r) => r.status?.currentPodHash !== undefined && r.status.currentPodHash !== hashes.get('healthy'), 180_000)
      await argoCli(env, ['promote', name('healthy'), '--full'])
      // At an indefinite pause (a timed one would end by itself while the controllers change over).
      const atIndefinitePause = (r: Rollout) => {
        const step = r.spec.strategy?.canary?.steps?.[r.status?.currentStepIndex ?? -1]
        return r.status?.phase === 'Paused' && (r.status.pauseConditions ?? []).length > 0 && step?.pause !== undefined && step.pause.duration === undefined
      }
      for (const state of ['paused', 'aborted'] as const) await rolloutWhere(env, name(state), 'at an indefinite pause', atIndefinitePause, 180_000)
      await argoCli(env, ['abort', name('aborted')])
      await rolloutWhere(env, name('aborted'), 'aborted', (r) => r.status?.abort === true && r.status.phase === 'Degraded', 180_000)
      const promoted = await rolloutWhere(env, name('healthy'), 'Healthy on the new template', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === r.status.currentPodHash && r.status.currentPodHash !== undefined, 180_000)
      // Argo may write that status before it switches the stable Service: stop it only once it has.
      const stableService = promoted.spec.strategy?.canary?.stableService
      if (stableService) {
        await eventually('Argo Rollouts switched the stable Service to the new template', async () => {
          const service = await env.api.get<KubeObject>({ apiVersion: 'v1', kind: 'Service', namespace: env.namespace, name: stableService })
          return (service?.spec as { selector?: Record<string, string> } | undefined)?.selector?.['rollouts-pod-template-hash'] === promoted.status?.stableRS
        })
      }
      await argo.stop()

      const read = async () => ({
        rollouts: (await Promise.all(STATES.map((s) => getRollout(env, name(s))))) as Rollout[],
        replicaSets: await list(env, 'apps/v1', 'ReplicaSet'),
        services: await list(env, 'v1', 'Service'),
        mesh: example.meshKind ? await list(env, example.meshKind.apiVersion, example.meshKind.kind) : [],
      })
      const left = await read()
      const before = snapshot(left)
      expect(Object.keys(before.replicaSets)).toHaveLength(6)

      // 2. Sluice starts on them; every write it makes is recorded.
      const recorders = [
        await recordChanges<KubeObject>(env, 'apps/v1', 'ReplicaSet'),
        await recordChanges<KubeObject>(env, 'v1', 'Service'),
        ...(example.meshKind ? [await recordChanges<KubeObject>(env, example.meshKind.apiVersion, example.meshKind.kind)] : []),
      ]
      cleanups.push(async () => recorders.forEach((r) => r.stop()))
      const sluice = await startController(env)
      cleanups.push(() => sluice.stop('SIGKILL'))
      // Every Rollout reconciled at least twice (the second pass sees the first one's status), then a quiet while.
      await eventually('Sluice reconciled every Rollout twice', async () => {
        const text = await sluice.metrics()
        const total = [...text.matchAll(/^sluice_reconcile_total(?:\{[^}]*\})? (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
        return total >= 2 * STATES.length
      })
      await new Promise((r) => setTimeout(r, 3000))

      const written = (changes: readonly Change<KubeObject>[]) => changes.filter((c) => c.type !== 'ADDED' || !left.replicaSets.concat(left.services, left.mesh).some((o) => o.metadata.name === c.object.metadata.name && o.kind === c.object.kind))
      const afterTakeover = snapshot(await read())
      // Same objects, same replicas, selectors and weights; and none of them passed through another value.
      expect(afterTakeover.replicaSets).toEqual(before.replicaSets)
      expect(afterTakeover.services).toEqual(before.services)
      expect(afterTakeover.mesh).toEqual(before.mesh)
      expect(afterTakeover.rollouts).toEqual(before.rollouts)
      const writes = recorders.flatMap((r) => written(r.seen))
      const changed = writes.filter((c) => {
        const now = snapshot({ rollouts: [], replicaSets: c.object.kind === 'ReplicaSet' ? [c.object] : [], services: c.object.kind === 'Service' ? [c.object] : [], mesh: c.object.kind === example.meshKind?.kind ? [c.object] : [] })
        const was = { ...before.replicaSets, ...before.services, ...before.mesh } as Record<string, unknown>
        const is = { ...now.replicaSets, ...now.services, ...now.mesh } as Record<string, unknown>
        return c.type === 'DELETED' || JSON.stringify(is[c.object.metadata.name ?? '']) !== JSON.stringify(was[c.object.metadata.name ?? ''])
      })
      expect(changed.map((c) => `${c.type} ${c.object.kind}/${c.object.metadata.name}`)).toEqual([])

      // 3. The paused Rollout, promoted with Argo's CLI, finishes on Argo's canary ReplicaSet.
      const argoCanary = before.rollouts[name('paused')]?.currentPodHash
      for (let i = 0; i < 6 && (await getRollout(env, name('paused'))).status?.phase !== 'Healthy'; i++) {
        await rolloutWhere(env, name('paused'), 'resting', (r) => r.status?.phase === 'Paused' || r.status?.phase === 'Healthy', 180_000)
        if ((await getRollout(env, name('paused'))).status?.phase === 'Paused') await argoCli(env, ['promote', name('paused')])
        await new Promise((r) => setTimeout(r, 500))
      }
      const done = await rolloutWhere(env, name('paused'), 'Healthy after promotion', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === argoCanary, 180_000)
      expect(done.status?.currentPodHash).toBe(argoCanary)
      const replicaSetNames = (await list(env, 'apps/v1', 'ReplicaSet')).map((rs) => rs.metadata.name).sort()
      expect(replicaSetNames).toEqual(Object.keys(before.replicaSets).sort())
      await sluice.stop()
    })
  }
})
