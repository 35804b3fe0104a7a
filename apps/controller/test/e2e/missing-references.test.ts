/**
 * References that are missing for a moment, on the local control plane: `kubectl apply -f` of one
 * file that holds the Rollout before its Services must not leave Warnings or a Degraded phase
 * behind, while a Service that never comes is still reported once the grace (5 s) is over.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventsFor, eventsWhere, record, rolloutWhere, rolloutYaml, servicesYaml, setUp, startController, tearDown } from './harness.ts'
import type { Rollout } from '@sluice/core'
import type { Env } from './harness.ts'

const rollout = (canaryService: string) =>
  rolloutYaml(`
canaryService: ${canaryService}
stableService: web-stable
steps:
- setWeight: 25
- pause: {duration: 1}
`)

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-missing-refs')
})
afterEach(async () => {
  await tearDown(env)
})

describe('a reference missing only briefly', () => {
  it('a Rollout created before its Services becomes Healthy with no InvalidSpec Warning and no Degraded status on the way', async () => {
    const e = env as Env
    await startController(e)
    const rollouts = await record<Rollout>(e, 'argoproj.io/v1alpha1', 'Rollout')
    try {
      // One file, Rollout first; the Services come 1.5 s later (a slow apply), well inside the
      // grace but long after the controller's first look at the Rollout.
      await apply(e, rollout('web-canary'))
      await sleep(1500)
      await apply(e, servicesYaml())
      await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
      expect(rollouts.seen.map((r) => r.status?.phase).filter((phase) => phase === 'Degraded')).toEqual([])
      expect(rollouts.seen.flatMap((r) => r.status?.conditions ?? []).filter((c) => c.type === 'InvalidSpec')).toEqual([])
      expect((await eventsFor(e, 'web')).filter((ev) => ev.type === 'Warning')).toEqual([])
    } finally {
      rollouts.stop()
    }
  })

  it('a Service missing for good is reported with a Warning InvalidSpec Event and Degraded, once the grace is over', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, `${servicesYaml()}---\n${rollout('web-preview')}`)
    const degraded = await rolloutWhere(e, 'web', 'Degraded', (r) => r.status?.phase === 'Degraded')
    expect(degraded.status?.message).toContain('spec.strategy.canary.canaryService: Not found: "web-preview": service "web-preview" not found')
    // Not before the grace: the condition's transition (whole seconds) is at least 4 s after creation.
    const since = Date.parse(degraded.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.lastTransitionTime ?? '') - Date.parse(degraded.metadata.creationTimestamp ?? '')
    expect(since).toBeGreaterThanOrEqual(4000)
    const events = await eventsWhere(e, 'web', 'the InvalidSpec Warning', (evs) => evs.some((ev) => ev.type === 'Warning' && ev.reason === 'InvalidSpec'))
    expect(events.filter((ev) => ev.reason === 'InvalidSpec').map((ev) => [ev.type, ev.note])).toEqual([
      ['Warning', 'spec.strategy.canary.canaryService: Not found: "web-preview": service "web-preview" not found in namespace "' + e.namespace + '"'],
    ])
  })
})
