/**
 * spec.restartAt on the real cluster: every pod created before it is evicted through the Eviction
 * API, a few at a time, the ReplicaSet replaces them, and status.restartedAt records the restart.
 */
import { restart } from '@sluice/client'
import type { KubeObject } from '@sluice/core'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventsWhere, eventually, getRollout, rolloutWhere, rolloutYaml, servicesYaml, setUp, startController, tearDown } from './harness.ts'
import type { Env } from './harness.ts'

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-restart')
})
afterEach(async () => {
  await tearDown(env)
})

const livePods = async (e: Env): Promise<KubeObject[]> =>
  (await e.api.list({ apiVersion: 'v1', kind: 'Pod', namespace: e.namespace }, { labelSelector: 'app=web' })).filter((p) => !p.metadata.deletionTimestamp)

const isReady = (p: KubeObject) => ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')

describe('restart', () => {
  it('replaces every pod created before spec.restartAt and records status.restartedAt', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, `${servicesYaml()}---\n${rolloutYaml('canaryService: web-canary\nstableService: web-stable\nmaxUnavailable: 1\nsteps: []', { replicas: 3 })}`)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    const before = await eventually('3 ready pods', async () => {
      const pods = await livePods(e)
      return pods.length === 3 && pods.every(isReady) ? pods : undefined
    })
    // creationTimestamp has whole seconds: restart strictly after the pods' second.
    await new Promise((r) => setTimeout(r, 1100))

    await restart(e.api, { namespace: e.namespace, name: 'web' })
    const restartAt = (await getRollout(e, 'web')).spec.restartAt ?? ''
    expect(restartAt).not.toBe('')
    // restartedAt is recorded once no pod is older than restartAt; the last replacement may still be
    // starting then (Progressing on a loaded machine), and the Rollout is Healthy once it is Ready.
    const r = await rolloutWhere(e, 'web', 'restartedAt recorded, then Healthy', (x) => x.status?.restartedAt === restartAt && x.status.phase === 'Healthy')
    expect(r.status?.restartedAt).toBe(restartAt)

    const oldNames = new Set(before.map((p) => p.metadata.name))
    const after = await eventually('3 new ready pods', async () => {
      const pods = await livePods(e)
      return pods.length === 3 && pods.every(isReady) && pods.every((p) => !oldNames.has(p.metadata.name)) ? pods : undefined
    })
    for (const p of after) expect(Date.parse(p.metadata.creationTimestamp ?? '')).toBeGreaterThanOrEqual(Date.parse(restartAt) - 1000)
    await eventsWhere(e, 'web', 'RolloutRestarted', (evs) => evs.some((ev) => ev.reason === 'RolloutRestarted' && ev.note.includes(restartAt)))
  })
})
