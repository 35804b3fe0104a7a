/**
 * Faults the controller must ride out, on the local control plane (issue 18 item 5): the canary
 * Service deleted while the rollout is paused at 50 % (the SMI TrafficSplit must move the traffic to
 * the stable and bring it back), and the API server stopped for 60 s (the controller must write
 * again once it is back). The times are measured and printed, never asserted: the behaviour is.
 */
import { promote } from '@sluice/client'
import type { KubeObject } from '@sluice/core'
import { defaultClusterDir, startApiServer, startCluster, stopApiServer, stopCluster, waitForApiServerReady } from '@sluice/local-cluster'
import type { StoppedApiServer } from '@sluice/local-cluster'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventsWhere, getRollout, rolloutWhere, rolloutYaml, serviceSelectorHash, servicesYaml, setUp, startController, tearDown, updateImage } from './harness.ts'
import type { Env } from './harness.ts'

const smiCrd = fileURLToPath(new URL('../../../../packages/smi/test/crds/trafficsplit.yaml', import.meta.url))

interface TrafficSplit extends KubeObject {
  spec?: { backends?: { service: string; weight: string | number }[] }
}

const canaryWeightOf = (split: TrafficSplit) => Number(split.spec?.backends?.find((b) => b.service === 'web-canary')?.weight ?? Number.NaN)
const report = (line: string) => process.stderr.write(`[e2e] ${line}\n`)

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-faults', [smiCrd])
})
afterEach(async () => {
  await tearDown(env)
})

describe('the canary Service deleted mid-rollout', () => {
  it('moves the traffic to the stable at once, keeps the step, warns, and brings the weight back when the Service returns', async () => {
    const e = env as Env
    await apply(
      e,
      servicesYaml() +
        '---\n' +
        rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 1
trafficRouting: {smi: {}}
steps:
- setWeight: 50
- pause: {}
`),
    )
    await startController(e)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    const canaryHash = await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at 50 %', (r) => r.status?.phase === 'Paused' && r.status.currentStepIndex === 1 && r.status.canary?.weights?.canary.weight === 50)

    // Every version of the TrafficSplit, with the time it was seen.
    const seen: { at: number; canary: number }[] = []
    const watch = await e.api.watch<TrafficSplit>({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: e.namespace }, { allowWatchBookmarks: false, timeoutSeconds: 600 }, (event) => {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') seen.push({ at: Date.now(), canary: canaryWeightOf(event.object) })
    })
    const splitAt = async (weight: number, since: number) => {
      await rolloutWhere(e, 'web', `TrafficSplit canary weight ${weight}`, () => seen.some((s) => s.at >= since && s.canary === weight), 30_000)
      return (seen.find((s) => s.at >= since && s.canary === weight)?.at ?? Number.NaN) - since
    }
    try {
      await rolloutWhere(e, 'web', 'TrafficSplit at 50 seen', () => seen.some((s) => s.canary === 50), 10_000)

      // When the canary Service is deleted
      const deletedAt = Date.now()
      await e.api.delete({ apiVersion: 'v1', kind: 'Service', namespace: e.namespace, name: 'web-canary' })
      // Then the TrafficSplit sends everything to the stable
      const toStableMs = await splitAt(0, deletedAt)
      report(`canary Service deleted at 50 %: TrafficSplit moved the weight to the stable after ${toStableMs} ms`)
      const held = await rolloutWhere(e, 'web', 'weight 0 recorded', (r) => r.status?.canary?.weights?.canary.weight === 0)
      // ... without losing the step, and without calling the spec invalid
      expect(held.status?.currentStepIndex).toBe(1)
      expect(held.status?.phase).toBe('Paused')
      expect(held.status?.conditions?.some((c) => c.type === 'InvalidSpec')).toBe(false)
      const events = await eventsWhere(e, 'web', 'a Warning naming the Service', (evs) => evs.some((ev) => ev.type === 'Warning' && ev.reason === 'CanaryServiceUnavailable'))
      expect(events.find((ev) => ev.reason === 'CanaryServiceUnavailable')?.note).toBe(
        'Canary Service web-canary not found: all traffic goes to the stable; canary weight 50 comes back when the Service can take traffic again',
      )
      // The canary keeps its pods: the weight can come back at once.
      expect((await getRollout(e, 'web')).status?.updatedReplicas).toBe(2)

      // When the Service is created again (as a GitOps tool would re-apply it)
      const restoredAt = Date.now()
      await apply(e, servicesYaml({ names: ['web-canary'] }))
      // Then it is pointed at the canary pods and gets the step's weight back
      const backMs = await splitAt(50, restoredAt)
      report(`canary Service re-created: TrafficSplit back at 50 % after ${backMs} ms`)
      expect(await serviceSelectorHash(e, 'web-canary')).toBe(canaryHash)
      const back = await rolloutWhere(e, 'web', 'weight 50 recorded again', (r) => r.status?.canary?.weights?.canary.weight === 50)
      expect(back.status?.currentStepIndex).toBe(1)
    } finally {
      watch.abort()
    }

    // And the update still finishes.
    await promote(e.api, { namespace: e.namespace, name: 'web' })
    await rolloutWhere(e, 'web', 'promoted', (r) => r.status?.phase === 'Healthy' && r.status.stableRS === canaryHash, 60_000)
    // The weight never went to the canary while its Service was missing: 50, then 0 until it came back.
    const weights = seen.map((s) => s.canary).filter((w, i, all) => i === 0 || w !== all[i - 1])
    expect(weights.slice(0, 3)).toEqual([50, 0, 50])
  })
})

describe('an API server outage', () => {
  it(
    'after 60 s without an API server, the controller writes again soon after it is back, both a retried write and one a change asks for',
    async () => {
      // A cluster of its own: without an API server for a minute, the shared cluster's node would go
      // NotReady (its lease is not renewed) and hold up the tests that follow.
      const cluster = join(defaultClusterDir, `faults-${process.pid}`)
      const handle = await startCluster({ dir: cluster, portBase: 'auto', ownerPid: process.pid, onOutput: () => {} })
      const e = await setUp(handle.kubeconfigPath, 'e2e-outage')
      try {
        await outage(e, cluster)
      } finally {
        await tearDown(e).catch(() => {})
        await stopCluster(handle, { onOutput: () => {} })
      }
    },
    300_000,
  )
})

async function outage(e: Env, cluster: string): Promise<void> {
  // Two Rollouts (of two apps): `timed` finishes a 20 s pause during the outage, so its status
  // write fails and is retried; `manual` is promoted right after the API server is back, so the
  // controller must have its watches open again to see it.
  const basic = (name: string) =>
    rolloutYaml(`steps:\n- setWeight: 25\n- pause: {${name === 'timed' ? 'duration: 20' : ''}}\n- setWeight: 50\n- pause: {}\n`, { name }).replaceAll('app: web', `app: ${name}`)
  await apply(e, `${basic('timed')}---\n${basic('manual')}`)
  const controller = await startController(e)
  for (const name of ['timed', 'manual']) await rolloutWhere(e, name, 'healthy', (r) => r.status?.phase === 'Healthy')
  for (const name of ['manual', 'timed']) await updateImage(e, name, `${name}:2`)
  for (const name of ['manual', 'timed']) await rolloutWhere(e, name, 'paused at step 1', (r) => r.status?.currentStepIndex === 1 && r.status.phase === 'Paused')

  let stopped: StoppedApiServer | undefined
  try {
    stopped = await stopApiServer(cluster)
    report('kube-apiserver stopped; 60 s outage')
    await new Promise((r) => setTimeout(r, 60_000))
  } finally {
    if (stopped) startApiServer(stopped)
  }
  const readyAt = await waitForApiServerReady(cluster)
  report(`kube-apiserver ready ${readyAt - (stopped?.stoppedAt ?? readyAt)} ms after it stopped`)

  // A change right after the restart.
  await promote(e.api, { namespace: e.namespace, name: 'manual' })
  const promotedAt = Date.now()
  for (const name of ['timed', 'manual']) await rolloutWhere(e, name, 'past step 1 after the outage', (r) => (r.status?.currentStepIndex ?? 0) >= 2, 60_000)
  // When the controller wrote: its own log line for the pass, stamped right after the write (the
  // API server takes writes a little before /readyz says 200, so a figure may be negative).
  const writtenAt = (name: string) =>
    Number(controller.lines().find((l) => l.msg === 'reconciled' && l.rollout === name && l.statusWritten === true && Number(l.time) > (stopped?.stoppedAt ?? 0))?.time)
  report(`write after the outage: the retried write (timed pause that ended during it) ${writtenAt('timed') - readyAt} ms after /readyz answered 200`)
  report(`write after the outage: the promoted Rollout ${writtenAt('manual') - readyAt} ms after /readyz answered 200 (${writtenAt('manual') - promotedAt} ms after the promote)`)

  // Both went on: the controller kept running and did not lose a step.
  expect(controller.child.exitCode).toBeNull()
  for (const name of ['timed', 'manual']) expect((await getRollout(e, name)).status?.currentStepIndex).toBeGreaterThanOrEqual(2)
  // The retry delays of the failed writes stayed short (the policy: at most 2 s while the server is away).
  const retries = controller.lines().filter((l) => l.msg === 'reconcile failed; retrying')
  const longest = Math.max(0, ...retries.map((l) => Number(l.delayMs)))
  report(`${retries.length} retried reconciles during the outage, longest retry delay ${Math.round(longest)} ms`)
  expect(retries.length).toBeGreaterThan(0)
  expect(longest).toBeLessThanOrEqual(2000)
}
