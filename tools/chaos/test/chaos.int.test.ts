/**
 * The chaos suite, bounded, on a local control plane of its own (its API server and etcd are
 * restarted, so never the shared one): two fixed seeds, each a fault-free run and a faulted run of
 * the same five rollouts (SMI, Istio, NGINX, ALB, Ambassador), the faulted runs dealing every fault
 * kind at least once (one with a single controller, one with two replicas and leader election):
 * no invariant may be violated. Then a controller broken on purpose (SLUICE_CHAOS_BREAK, test-only)
 * must be caught. `pnpm run chaos` is the long version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runScenario } from '../src/run.ts'
import { FAULT_KINDS } from '../src/run.ts'
import { describeFailure, runSeed, startChaosCluster, stopChaosCluster } from '../src/suite.ts'
import type { ChaosCluster, SeedResult } from '../src/suite.ts'
import { ROUTERS } from '../src/workload.ts'
import type { Scenario } from '../src/workload.ts'

/** Seed 21 runs one controller (kills and restarts), seed 22 two replicas (leader kills). */
const SEEDS = [21, 22]
const log = (line: string) => process.stderr.write(`[chaos] ${line}\n`)

let chaos: ChaosCluster | undefined

beforeAll(async () => {
  chaos = await startChaosCluster(() => {})
}, 300_000)

afterAll(async () => {
  if (chaos) await stopChaosCluster(chaos, () => {})
}, 120_000)

describe('chaos suite (bounded)', () => {
  it('keeps every invariant under every fault kind, with every router, and ends where the fault-free run ends', { timeout: 600_000 }, async () => {
    const results: SeedResult[] = []
    for (const seed of SEEDS) results.push(await runSeed(chaos as ChaosCluster, seed, { reactionBoundMs: 10_000, log }))

    for (const r of results) expect(r.violations, describeFailure(r)).toEqual([])
    const kinds = new Set(results.flatMap((r) => Object.keys(r.faulted.faults)))
    expect(FAULT_KINDS.filter((k) => !kinds.has(k))).toEqual([])
    for (const injected of ['proxy 409', 'proxy 429', 'proxy 500', 'proxy 410-on-resume']) expect(kinds).toContain(injected)
    const routers = new Set(results.flatMap((r) => r.faulted.scenario.map((s) => s.split(': ')[1]?.split(' ')[0])))
    expect([...routers].sort()).toEqual([...ROUTERS].sort())
    // Recovery was measured, not only survived.
    const recoveries = results.map((r) => r.faulted.recoveries)
    expect(recoveries.some((r) => r.restartToReconcile.length > 0)).toBe(true)
    expect(recoveries.some((r) => r.apiServerToWrite.length > 0 || r.etcdToWrite.length > 0)).toBe(true)
    expect(recoveries.some((r) => r.leaderTakeover.length > 0)).toBe(true)
  })

  it('catches a controller that scales the stable down before it moves the traffic', { timeout: 300_000 }, async () => {
    const c = chaos as ChaosCluster
    // Two plain dynamicStableScale updates; the same scenario passes with the correct controller.
    const scenario = (prefix: string): Scenario => ({
      seed: 0,
      rollouts: (['smi', 'istio'] as const).map((router) => ({
        name: `${prefix}${router}`,
        router,
        replicas: 4,
        dynamicStableScale: true,
        steps: [{ setWeight: 50 }, { pause: { duration: 2 } }, { setWeight: 75 }, { pause: { duration: 2 } }],
        actions: [],
        ending: 'promoted' as const,
      })),
    })
    const run = (prefix: string, env?: Record<string, string>) =>
      runScenario({ cluster: c.cluster, client: c.client, scenario: scenario(prefix), namespace: `chaos-${prefix}x`, replicas: 1, reactionBoundMs: 10_000, log, ...(env ? { controllerEnv: env } : {}) })

    const correct = await run('correct-')
    expect(correct.violations).toEqual([])

    const broken = await run('broken-', { SLUICE_CHAOS_BREAK: 'scale-stable-first' })
    const caught = broken.violations.filter((v) => v.invariant === 'stable-under-capacity')
    expect(caught.map((v) => v.rollout), JSON.stringify(broken.violations, null, 1)).toEqual(expect.arrayContaining(['broken-istio', 'broken-smi']))
    expect(caught.every((v) => v.message.includes('written by the controller'))).toBe(true)
  })
})
