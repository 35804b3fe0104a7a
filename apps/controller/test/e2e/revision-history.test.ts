/**
 * spec.revisionHistoryLimit on the real cluster: old revisions stay as ReplicaSets scaled to 0 (what
 * `undo` returns to) up to the limit; older ones are deleted once their pods are gone.
 */
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventually, replicaSets, rolloutRef, rolloutWhere, rolloutYaml, servicesYaml, setImage, setUp, startController, tearDown } from './harness.ts'
import type { Env } from './harness.ts'

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-history')
})
afterEach(async () => {
  await tearDown(env)
})

describe('revision history', () => {
  it('keeps revisionHistoryLimit old ReplicaSets and deletes older ones, newest kept', async () => {
    const e = env as Env
    await startController(e)
    await apply(e, `${servicesYaml()}---\n${rolloutYaml('canaryService: web-canary\nstableService: web-stable\nsteps: []', { replicas: 2 })}`)
    await e.api.mergePatch(rolloutRef(e, 'web'), { spec: { revisionHistoryLimit: 1 } })
    const hashes = [(await rolloutWhere(e, 'web', 'healthy on web:1', (r) => r.status?.phase === 'Healthy')).status?.stableRS ?? '']

    for (const image of ['web:2', 'web:3', 'web:4']) {
      const previous = hashes.at(-1)
      await setImage(e, 'web', image)
      const r = await rolloutWhere(e, 'web', `healthy on ${image}`, (x) => x.status?.phase === 'Healthy' && x.status.stableRS !== previous)
      hashes.push(r.status?.stableRS ?? '')
    }

    // web:4 serves; web:3 is the one old revision kept (scaled to 0); web:1 and web:2 are gone.
    const [, , third, fourth] = hashes
    const left = await eventually('two ReplicaSets left', async () => {
      const sets = await replicaSets(e, 'web')
      return sets.length === 2 ? sets : undefined
    })
    expect(left.map((rs) => [rs.hash, rs.replicas]).sort()).toEqual([[fourth, 2], [third, 0]].sort())
  })
})
