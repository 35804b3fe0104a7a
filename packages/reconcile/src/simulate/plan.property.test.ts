/**
 * Property tests of the planner's safety rules (spec §8), over random rollouts and random observed
 * states (one pass at a time), and over whole simulated updates with random pod start-up times and
 * random aborts. 1,000 runs each by default; FC_NUM_RUNS overrides, FC_SEED reproduces a failure.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canaryScaleAt, planRollout, podsForWeight, podTemplateHash, setWeightAt, stepsHash, trafficRoutedReplicas, validateRollout } from '@sluice/core'
import type { CanaryStep, KubeObject, ObservedReplicaSet, ObservedRollout, Rollout, RolloutAction, RolloutPlan, RolloutStatus } from '@sluice/core'
import { configMapRouterCapabilities, createConfigMapRouter } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import { simulateRollout } from './simulate-rollout.ts'
import type { SimulatedPass } from './simulate-rollout.ts'

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000)
const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED)
const runs = { numRuns, ...(seed === undefined ? {} : { seed }) }

const TEMPLATE = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } }
const CANARY_HASH = podTemplateHash(TEMPLATE)
const STABLE_HASH = 'st4bl3'
const OLD_HASH = '0ld0ld'
const NOW = new Date('2026-06-01T12:00:00Z')
const capabilities = { nginx: configMapRouterCapabilities }

interface Shape {
  replicas: number
  steps: CanaryStep[]
  trafficRouted: boolean
  dynamic: boolean
  scaleDownDelaySeconds: number | undefined
  abortScaleDownDelaySeconds: number | undefined
  revisionHistoryLimit: number | undefined
}

const stepArb = (trafficRouted: boolean): fc.Arbitrary<CanaryStep> =>
  fc.oneof(
    fc.integer({ min: 0, max: 100 }).map((w) => ({ setWeight: w })),
    fc.constant({ pause: {} }),
    fc.integer({ min: 1, max: 120 }).map((d) => ({ pause: { duration: d } })),
    ...(trafficRouted
      ? [
          fc.integer({ min: 0, max: 12 }).map((r) => ({ setCanaryScale: { replicas: r } })),
          fc.integer({ min: 0, max: 100 }).map((w) => ({ setCanaryScale: { weight: w } })),
          fc.constant({ setCanaryScale: { matchTrafficWeight: true } }),
        ]
      : []),
  )

const anyShapeArb: fc.Arbitrary<Shape> = fc.boolean().chain((trafficRouted) =>
  fc.record({
    replicas: fc.integer({ min: 0, max: 12 }),
    steps: fc.array(stepArb(trafficRouted), { maxLength: 8 }),
    trafficRouted: fc.constant(trafficRouted),
    dynamic: trafficRouted ? fc.boolean() : fc.constant(false),
    scaleDownDelaySeconds: trafficRouted ? fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }) : fc.constant(undefined),
    abortScaleDownDelaySeconds: trafficRouted ? fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }) : fc.constant(undefined),
    revisionHistoryLimit: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
  }),
)

/** Valid rollouts only: invalid ones never get past validation, which its own tests cover. */
const shapeArb = anyShapeArb.filter((shape) => validateRollout(makeRollout(shape), { routers: capabilities }).length === 0)

function makeRollout(shape: Shape, status?: RolloutStatus): Rollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: 1 },
    spec: {
      replicas: shape.replicas,
      ...(shape.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: shape.revisionHistoryLimit } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: TEMPLATE,
      strategy: {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          steps: shape.steps,
          ...(shape.trafficRouted ? { trafficRouting: { nginx: { stableIngress: 'web' } } } : {}),
          ...(shape.dynamic ? { dynamicStableScale: true } : {}),
          ...(shape.scaleDownDelaySeconds !== undefined && !shape.dynamic ? { scaleDownDelaySeconds: shape.scaleDownDelaySeconds } : {}),
          ...(shape.abortScaleDownDelaySeconds !== undefined ? { abortScaleDownDelaySeconds: shape.abortScaleDownDelaySeconds } : {}),
        },
      },
    },
    ...(status ? { status } : {}),
  }
}

const rsArb = (name: string, hash: string, revision: number, maxReplicas: number) =>
  fc
    .record({
      replicas: fc.integer({ min: 0, max: maxReplicas }),
      missing: fc.integer({ min: 0, max: maxReplicas }),
      // pods still terminating after a scale-down (status.replicas above spec.replicas)
      terminating: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 })),
      deadline: fc.option(fc.integer({ min: -120, max: 120 }), { nil: undefined }),
    })
    .map(({ replicas, missing, terminating, deadline }): ObservedReplicaSet => {
      const available = Math.max(0, replicas - missing)
      return {
        name,
        podTemplateHash: hash,
        revision,
        replicas,
        currentReplicas: replicas + terminating,
        readyReplicas: available,
        availableReplicas: available,
        ...(deadline === undefined ? {} : { scaleDownDeadline: new Date(NOW.getTime() + deadline * 1000).toISOString() }),
      }
    })

/** A Rollout in the middle of an update from STABLE_HASH to CANARY_HASH, observed in a random state. */
const observedArb: fc.Arbitrary<ObservedRollout> = shapeArb.chain((shape) => {
  const max = shape.replicas * 2 + 2
  return fc
    .record({
      canary: rsArb(`web-${CANARY_HASH}`, CANARY_HASH, 3, max),
      stable: rsArb('web-st4bl3', STABLE_HASH, 2, max),
      older: fc.option(rsArb('web-0ld0ld', OLD_HASH, 1, max), { nil: undefined }),
      index: fc.integer({ min: 0, max: shape.steps.length }),
      abort: fc.boolean(),
      promoteFull: fc.boolean(),
      recordedCanary: fc.integer({ min: 0, max: 100 }),
      recordedCanaryHash: fc.constantFrom(CANARY_HASH, STABLE_HASH),
      canarySelector: fc.constantFrom(CANARY_HASH, STABLE_HASH, undefined),
      paused: fc.boolean(),
      settled: fc.boolean(),
      // The canary Service: there (endpoints not observed), gone, or there with 0 or some ready endpoints.
      canaryService: fc.constantFrom('present', 'present', 'missing', 'no-endpoints', 'ready'),
    })
    .map((o): ObservedRollout => {
      if (o.settled) {
        // Half the states have the ReplicaSets exactly where the current step wants them, so that
        // steps complete, weights move and promotions happen.
        const R = shape.replicas
        const scale = canaryScaleAt(shape.steps, o.index)
        const want = scale?.replicas ?? podsForWeight(scale?.weight ?? setWeightAt(shape.steps, o.index, 100), R, 100)
        const full = (r: ObservedReplicaSet, n: number): ObservedReplicaSet => ({ ...r, replicas: n, currentReplicas: n, readyReplicas: n, availableReplicas: n })
        o.canary = full(o.canary, want)
        o.stable = full(o.stable, R)
      }
      const status: RolloutStatus = {
        stableRS: STABLE_HASH,
        currentPodHash: CANARY_HASH,
        currentStepHash: stepsHash(shape.steps),
        ...(shape.steps.length > 0 ? { currentStepIndex: o.index } : {}),
        ...(o.abort ? { abort: true, abortedAt: new Date(NOW.getTime() - 1000).toISOString() } : {}),
        ...(o.promoteFull ? { promoteFull: true } : {}),
        ...(o.paused && shape.steps[o.index]?.pause ? { pauseConditions: [{ reason: 'CanaryPauseStep' as const, startTime: NOW.toISOString() }], controllerPause: true } : {}),
        ...(shape.trafficRouted
          ? {
              canary: {
                weights: {
                  canary: { weight: o.recordedCanary, podTemplateHash: o.recordedCanaryHash, serviceName: 'web-canary' },
                  stable: { weight: 100 - o.recordedCanary, podTemplateHash: STABLE_HASH, serviceName: 'web-stable' },
                },
              },
            }
          : {}),
      }
      const managed = { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' }
      const canaryService = { name: 'web-canary', selector: { app: 'web', ...(o.canarySelector ? { 'rollouts-pod-template-hash': o.canarySelector } : {}) }, annotations: managed }
      const endpoints = { present: {}, missing: {}, 'no-endpoints': { readyEndpoints: 0 }, ready: { readyEndpoints: 3 } }[o.canaryService]
      return {
        rollout: makeRollout(shape, status),
        replicaSets: [o.canary, o.stable, ...(o.older ? [o.older] : [])],
        services: [
          { name: 'web-stable', selector: { app: 'web', 'rollouts-pod-template-hash': STABLE_HASH }, annotations: managed },
          ...(o.canaryService === 'missing' ? [] : [{ ...canaryService, ...endpoints }]),
        ],
        routerCapabilities: capabilities,
      }
    })
})

// ---------------------------------------------------------------------------------------------------
// The invariants, as checks of one (observed, plan) pair. Each names the rule it guards.

interface Context {
  observed: ObservedRollout
  plan: RolloutPlan
  now: Date
}

const rs = (o: ObservedRollout, hash: string | undefined) => o.replicaSets.find((r) => r.podTemplateHash === hash)
const traffic = (plan: RolloutPlan) => plan.actions.filter((a): a is Extract<RolloutAction, { type: 'setTraffic' }> => a.type === 'setTraffic')
const scales = (plan: RolloutPlan) => plan.actions.filter((a): a is Extract<RolloutAction, { type: 'scaleReplicaSet' }> => a.type === 'scaleReplicaSet')

/** The canary pods the current step needs (spec §3.3), computed here from the step list. */
function canaryPodsForStep(observed: ObservedRollout, weight: number): number {
  const { rollout } = observed
  const canary = rollout.spec.strategy?.canary ?? {}
  const steps = canary.steps ?? []
  const scale = canaryScaleAt(steps, rollout.status?.currentStepIndex)
  if (scale?.replicas !== undefined && !rollout.status?.abort) return scale.replicas
  const R = rollout.spec.replicas ?? 1
  const sizing = scale?.weight !== undefined && !rollout.status?.abort ? Math.max(scale.weight, 0) : weight
  return trafficRoutedReplicas({ replicas: R, weight: sizing, maxWeight: 100, dynamicStableScale: false, aborted: false }).canary
}

function checkWeightFollowsCapacity({ observed, plan }: Context): void {
  const recorded = observed.rollout.status?.canary?.weights
  for (const { desired } of traffic(plan)) {
    if (desired.canary.podTemplateHash !== CANARY_HASH) continue
    const before = recorded && recorded.canary.podTemplateHash === CANARY_HASH ? recorded.canary.weight : 0
    if (desired.canary.weight <= before) continue
    const canary = rs(observed, CANARY_HASH)
    const needed = Math.min(canaryPodsForStep(observed, desired.canary.weight), podsForWeight(desired.canary.weight, observed.rollout.spec.replicas ?? 1, 100))
    expect(canary?.availableReplicas ?? 0, 'canary weight raised while the canary is short of pods').toBeGreaterThanOrEqual(needed)
  }
}

function checkNoWeightOnEmptyCanary({ observed, plan }: Context): void {
  for (const { desired } of traffic(plan)) {
    if (desired.canary.weight === 0) continue
    const target = rs(observed, desired.canary.podTemplateHash)
    expect(target?.availableReplicas ?? 0, 'positive canary weight with no canary pod available').toBeGreaterThan(0)
  }
}

function checkStableStaysUp({ observed, plan }: Context): void {
  const canary = observed.rollout.spec.strategy?.canary
  if (!canary?.trafficRouting || canary.dynamicStableScale) return
  if (observed.rollout.status?.stableRS === observed.rollout.status?.currentPodHash) return
  const R = observed.rollout.spec.replicas ?? 1
  for (const s of scales(plan)) {
    if (s.name === rs(observed, STABLE_HASH)?.name) expect(s.replicas, 'stable ReplicaSet scaled away from spec.replicas during an update').toBe(R)
  }
}

function checkAbortKeepsCanaryUntilWeightZero({ observed, plan }: Context): void {
  const status = observed.rollout.status
  const canary = observed.rollout.spec.strategy?.canary
  if (!status?.abort || !canary?.trafficRouting || status.stableRS === status.currentPodHash) return
  const canaryRS = rs(observed, CANARY_HASH)
  const weightAfter = plan.status.canary?.weights?.canary
  const weightOnCanary = weightAfter && weightAfter.podTemplateHash === CANARY_HASH ? weightAfter.weight : 0
  for (const s of scales(plan)) {
    if (s.name !== canaryRS?.name || s.replicas >= s.from) continue
    if (canary.dynamicStableScale && canary.abortScaleDownDelaySeconds === undefined) {
      // gradual abort: the canary may shrink, but never below the pods its remaining weight needs
      expect(s.replicas, 'aborted canary shrunk below the pods its weight needs').toBeGreaterThanOrEqual(podsForWeight(weightOnCanary, observed.rollout.spec.replicas ?? 1, 100))
    } else {
      expect(weightOnCanary, 'aborted canary scaled down while it still has weight').toBe(0)
    }
  }
}

function checkWeightsSum({ plan }: Context): void {
  for (const { desired } of traffic(plan)) {
    const sum = desired.canary.weight + desired.stable.weight + desired.additional.reduce((n, d) => n + d.weight, 0)
    expect(sum, 'weights do not sum to the maximum weight').toBe(desired.maxWeight)
    expect(desired.canary.weight).toBeGreaterThanOrEqual(0)
    expect(desired.stable.weight).toBeGreaterThanOrEqual(0)
  }
  const w = plan.status.canary?.weights
  if (w) expect(w.canary.weight + w.stable.weight + (w.additional ?? []).reduce((n, d) => n + d.weight, 0)).toBe(100)
}

function checkOldStableWaitsForDelay({ observed, plan, now }: Context): void {
  const canary = observed.rollout.spec.strategy?.canary
  if (!canary?.trafficRouting || canary.dynamicStableScale) return
  for (const s of scales(plan)) {
    const target = observed.replicaSets.find((r) => r.name === s.name)
    if (!target || s.replicas >= s.from) continue
    const isOlder = target.podTemplateHash !== observed.rollout.status?.stableRS && target.podTemplateHash !== observed.rollout.status?.currentPodHash
    if (!isOlder) continue
    expect(target.scaleDownDeadline, `older ReplicaSet ${s.name} scaled down without a scale-down deadline`).toBeDefined()
    expect(Date.parse(target.scaleDownDeadline ?? ''), `older ReplicaSet ${s.name} scaled down before its deadline`).toBeLessThanOrEqual(now.getTime())
  }
}

/** True when the canary Service is gone or has no ready endpoint: it can take no traffic. */
function isCanaryServiceUnservable(observed: ObservedRollout): boolean {
  const service = observed.services.find((s) => s.name === 'web-canary')
  return !service || service.readyEndpoints === 0
}

/** Traffic never goes to a canary Service that cannot take it: no weight, no managed route (issue 18). */
function checkNoTrafficToUnservableCanaryService({ observed, plan }: Context): void {
  if (!isCanaryServiceUnservable(observed)) return
  for (const { desired } of traffic(plan)) {
    expect(desired.canary.weight, 'weight on a canary Service that is missing or has no ready endpoint').toBe(0)
    expect(desired.headerRoutes.length + desired.mirrorRoutes.length, 'managed routes to a canary Service that cannot take traffic').toBe(0)
  }
}

function checkStableCapacityGate({ observed, plan }: Context): void {
  // All traffic goes to the stable when the canary Service cannot take any, whatever its size:
  // part of it fails on an undersized stable, all of it on a missing Service.
  if (isCanaryServiceUnservable(observed)) return
  const R = observed.rollout.spec.replicas ?? 1
  const stable = rs(observed, observed.rollout.status?.stableRS)
  for (const { desired } of traffic(plan)) {
    const needs = Math.floor(((100 - desired.canary.weight) * R) / 100)
    expect(stable?.availableReplicas ?? 0, 'traffic written while the stable lacks the pods for its share').toBeGreaterThanOrEqual(needs)
  }
}

/** Only old revisions go, and only once they have no pod wanted or left (spec.revisionHistoryLimit). */
function checkDeletesOnlyIdleHistory({ observed, plan }: Context): void {
  const limit = observed.rollout.spec.revisionHistoryLimit ?? 10
  const deleted = plan.actions.filter((a): a is Extract<RolloutAction, { type: 'deleteReplicaSet' }> => a.type === 'deleteReplicaSet')
  const older = observed.replicaSets.filter((r) => r.podTemplateHash !== CANARY_HASH && r.podTemplateHash !== observed.rollout.status?.stableRS)
  expect(older.length - deleted.length, 'more old revisions deleted than revisionHistoryLimit asks').toBeGreaterThanOrEqual(Math.min(limit, older.length))
  for (const d of deleted) {
    const target = observed.replicaSets.find((r) => r.name === d.name)
    expect(target, `deleted ReplicaSet ${d.name} is not an old revision`).toBeDefined()
    expect([CANARY_HASH, observed.rollout.status?.stableRS], 'the canary or the stable ReplicaSet deleted').not.toContain(target?.podTemplateHash)
    expect([target?.replicas, target?.currentReplicas], `ReplicaSet ${d.name} deleted with pods`).toEqual([0, 0])
  }
}

const invariants = [
  checkDeletesOnlyIdleHistory,
  checkWeightFollowsCapacity,
  checkNoWeightOnEmptyCanary,
  checkStableStaysUp,
  checkAbortKeepsCanaryUntilWeightZero,
  checkWeightsSum,
  checkOldStableWaitsForDelay,
  checkStableCapacityGate,
  checkNoTrafficToUnservableCanaryService,
]

describe('planRollout: safety invariants over random observed states', () => {
  it('the generator reaches the interesting states (or the invariants below would hold vacuously)', () => {
    const seen = { traffic: 0, positiveWeight: 0, heldForCanaryService: 0, scaleStable: 0, scaleCanaryDown: 0, scaleOlderDown: 0, deleteOlder: 0, abort: 0, stepDone: 0, promoted: 0 }
    fc.assert(
      fc.property(observedArb, (observed) => {
        const plan = planRollout(observed, NOW)
        const stableName = rs(observed, STABLE_HASH)?.name
        const canaryName = rs(observed, CANARY_HASH)?.name
        if (traffic(plan).length > 0) seen.traffic++
        if (traffic(plan).some((t) => t.desired.canary.weight > 0)) seen.positiveWeight++
        if (plan.events.some((e) => e.reason === 'CanaryServiceUnavailable')) seen.heldForCanaryService++
        if (scales(plan).some((s) => s.name === stableName)) seen.scaleStable++
        if (scales(plan).some((s) => s.name === canaryName && s.replicas < s.from)) seen.scaleCanaryDown++
        if (scales(plan).some((s) => s.name === 'web-0ld0ld' && s.replicas < s.from)) seen.scaleOlderDown++
        if (plan.actions.some((a) => a.type === 'deleteReplicaSet')) seen.deleteOlder++
        if (observed.rollout.status?.abort) seen.abort++
        if (plan.events.some((e) => e.reason === 'RolloutStepCompleted')) seen.stepDone++
        if (plan.events.some((e) => e.reason === 'RolloutCompleted')) seen.promoted++
      }),
      { numRuns: 1000, seed: 42 },
    )
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(20)
  })

  for (const invariant of invariants) {
    it(invariant.name, () => {
      fc.assert(
        fc.property(observedArb, (observed) => {
          const plan = planRollout(observed, NOW)
          invariant({ observed, plan, now: NOW })
        }),
        runs,
      )
    })
  }
})

describe('simulated updates with random pod start-up times and aborts', () => {
  const service = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector: { app: 'web' } } })

  it('keep every invariant at every pass and settle (Healthy, or Degraded after an abort)', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb.filter((s) => s.replicas > 0),
        fc.array(fc.integer({ min: 0, max: 90_000 }), { minLength: 1, maxLength: 16 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (shape, delays, abortPick) => {
          const rollout = makeRollout(shape)
          const abortAtStep = abortPick === undefined || shape.steps.length === 0 ? undefined : abortPick % shape.steps.length
          let i = 0
          const passes: SimulatedPass[] = []
          const result = await simulateRollout({
            rollout,
            objects: [service('web-canary'), service('web-stable')],
            createRouters: (target, kube) => (shape.trafficRouted ? [createConfigMapRouter({ target, config: {} }, { kube })] : []),
            routerCapabilities: capabilities,
            ...(abortAtStep === undefined ? {} : { abortAtStep }),
            availabilityDelayMs: () => delays[i++ % delays.length] ?? 0,
            onPass: (p) => passes.push(p),
          })
          for (const p of passes) for (const invariant of invariants) invariant({ observed: p.observed, plan: p.plan, now: p.now })
          if (abortAtStep === undefined) {
            expect(result.final.phase).toBe('Healthy')
            expect(result.final.canary.replicas).toBe(shape.replicas)
            expect(result.final.stable.replicas).toBe(0)
            if (shape.trafficRouted) expect(result.final.canary.weight).toBe(0)
          } else {
            expect(result.final.phase).toBe('Degraded')
            expect(result.final.stable.replicas).toBe(shape.replicas)
            if (shape.trafficRouted) expect(result.final.canary.weight).toBe(0)
            const keepsCanary = shape.trafficRouted && shape.abortScaleDownDelaySeconds === 0
            if (!keepsCanary) expect(result.final.canary.replicas).toBe(0)
          }
        },
      ),
      { ...runs, numRuns: Math.max(1, Math.floor(numRuns / 2)) },
    )
  })

  it('reach each setWeight step with exactly the weight and canary pods it asks for', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb.filter((s) => s.replicas > 0 && s.trafficRouted && !s.dynamic && s.steps.every((st) => !st.setCanaryScale)),
        async (shape) => {
          const result = await simulateRollout({
            rollout: makeRollout(shape),
            objects: [service('web-canary'), service('web-stable')],
            createRouters: (target, kube) => [createConfigMapRouter({ target, config: {} }, { kube: kube ?? createMemoryKube() })],
            routerCapabilities: capabilities,
          })
          for (const state of result.steps) {
            const step = shape.steps[state.index ?? 0]
            if (step?.setWeight === undefined) continue
            expect(state.canary.weight).toBe(step.setWeight)
            expect(state.stable.weight).toBe(100 - step.setWeight)
            expect(state.canary.replicas).toBe(podsForWeight(setWeightAt(shape.steps, state.index ?? 0, 100), shape.replicas, 100))
            expect(state.stable.replicas).toBe(shape.replicas)
          }
        },
      ),
      { ...runs, numRuns: Math.max(1, Math.floor(numRuns / 2)) },
    )
  })
})
