/**
 * The planner on the states of spec §11.5 (acceptance checklist), one reconcile at a time: each test
 * sets up what was observed and asserts the plan (actions, status), never the order of API calls.
 */
import { describe, expect, it } from 'vitest'
import { configMapRouterCapabilities } from '../testing/config-map-router.ts'
import type { RolloutAction } from './actions.ts'
import { podTemplateHash, stepsHash } from '../spec/hash.ts'
import type { ObservedReplicaSet, ObservedRollout } from './observed.ts'
import { summarizeActions } from './actions.ts'
import { planRollout } from './plan-rollout.ts'
import type { CanaryStep, CanaryStrategy, Rollout, RolloutStatus, TrafficWeights } from '../api/rollout.ts'

const NOW = new Date('2026-06-01T12:00:00Z')
const TEMPLATE = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } }
const NEW = podTemplateHash(TEMPLATE)
const OLD = 'st4bl3'

interface Setup {
  replicas?: number
  steps: CanaryStep[]
  canary?: Partial<CanaryStrategy>
  trafficRouted?: boolean
  status: Partial<RolloutStatus>
  sets: { hash: string; replicas: number; available: number; deadline?: string }[]
  weights?: [canary: number, canaryHash?: string, stableHash?: string]
}

function observe(s: Setup): ObservedRollout {
  const trafficRouted = s.trafficRouted ?? true
  const weights: TrafficWeights | undefined = s.weights
    ? { canary: { weight: s.weights[0], podTemplateHash: s.weights[1] ?? NEW, serviceName: 'web-canary' }, stable: { weight: 100 - s.weights[0], podTemplateHash: s.weights[2] ?? OLD, serviceName: 'web-stable' } }
    : undefined
  const rollout: Rollout = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'default', uid: 'u', generation: 2 },
    spec: {
      replicas: s.replicas ?? 10,
      selector: { matchLabels: { app: 'web' } },
      template: TEMPLATE,
      strategy: {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          steps: s.steps,
          ...(trafficRouted ? { trafficRouting: { nginx: { stableIngress: 'web' }, managedRoutes: [{ name: 'h' }] } } : {}),
          ...s.canary,
        },
      },
    },
    status: {
      stableRS: OLD,
      currentPodHash: NEW,
      currentStepHash: stepsHash(s.steps),
      ...(weights ? { canary: { weights } } : {}),
      ...s.status,
    },
  }
  const sets: ObservedReplicaSet[] = s.sets.map((x, i) => ({
    name: `web-${x.hash}`,
    podTemplateHash: x.hash,
    revision: x.hash === NEW ? 3 : 2 - i,
    replicas: x.replicas,
    currentReplicas: x.replicas,
    readyReplicas: x.available,
    availableReplicas: x.available,
    ...(x.deadline ? { scaleDownDeadline: x.deadline } : {}),
  }))
  const managed = { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' }
  return {
    rollout,
    replicaSets: sets,
    services: [
      { name: 'web-stable', selector: { app: 'web', 'rollouts-pod-template-hash': OLD }, annotations: managed },
      { name: 'web-canary', selector: { app: 'web', 'rollouts-pod-template-hash': NEW }, annotations: managed },
    ],
    routerCapabilities: { nginx: configMapRouterCapabilities },
  }
}

const plan = (s: Setup, now = NOW) => planRollout(observe(s), now)
const actions = (s: Setup, now?: Date) => summarizeActions(plan(s, now).actions)
const traffic = (a: readonly RolloutAction[]) => a.find((x): x is Extract<RolloutAction, { type: 'setTraffic' }> => x.type === 'setTraffic')?.desired

const steps33: CanaryStep[] = [{ setWeight: 5 }, { pause: {} }, { setWeight: 33 }, { pause: {} }]

describe('weight follows capacity (R = 10, setWeight 33)', () => {
  it('first scales the canary to 4 and keeps the previous weight', () => {
    expect(actions({ steps: steps33, status: { currentStepIndex: 2 }, weights: [5], sets: [{ hash: NEW, replicas: 1, available: 1 }, { hash: OLD, replicas: 10, available: 10 }] })).toEqual([
      'traffic 5/95',
      `scale web-${NEW} 1→4`,
    ])
  })

  it('keeps the weight while the 4 pods are not all available', () => {
    const p = plan({ steps: steps33, status: { currentStepIndex: 2 }, weights: [5], sets: [{ hash: NEW, replicas: 4, available: 3 }, { hash: OLD, replicas: 10, available: 10 }] })
    expect(summarizeActions(p.actions)).toEqual(['traffic 5/95'])
    expect(p.status.currentStepIndex).toBe(2)
  })

  it('writes 33 once the 4 canary pods are available and the stable has its 10, and completes the step in the same pass', () => {
    const p = plan({ steps: steps33, status: { currentStepIndex: 2 }, weights: [5], sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 10 }] })
    expect(summarizeActions(p.actions)).toEqual(['traffic 33/67'])
    expect(p.status.currentStepIndex).toBe(3)
    expect(p.status.canary?.weights).toMatchObject({ canary: { weight: 33, podTemplateHash: NEW }, stable: { weight: 67, podTemplateHash: OLD } })
    expect(p.events.map((e) => e.message)).toEqual(expect.arrayContaining(['Traffic weight updated from 5 to 33', 'Rollout step 3/4 completed (setWeight: 33)']))
  })

  it('with dynamicStableScale, shrinks the stable to 7 only once 33/67 is recorded', () => {
    const base = { steps: steps33, canary: { dynamicStableScale: true }, sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 10 }] }
    expect(actions({ ...base, status: { currentStepIndex: 2 }, weights: [5] })).toEqual(['traffic 33/67'])
    expect(actions({ ...base, status: { currentStepIndex: 3 }, weights: [33] })).toEqual(['traffic 33/67', `scale web-${OLD} 10→7`])
  })

  it('never writes weight while the stable lacks the pods for its share', () => {
    const p = plan({ steps: steps33, status: { currentStepIndex: 2 }, weights: [5], sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 5 }] })
    // 67 % of the traffic needs floor(0.67 × 10) = 6 stable pods; 5 are available
    expect(traffic(p.actions)).toBeUndefined()
    expect(p.events.map((e) => e.reason)).toContain('TrafficHeld')
  })

  it('never weights a canary without an available pod', () => {
    const p = plan({ steps: steps33, status: { currentStepIndex: 3 }, weights: [33], sets: [{ hash: NEW, replicas: 4, available: 0 }, { hash: OLD, replicas: 10, available: 10 }] })
    expect(traffic(p.actions)?.canary.weight).toBe(0)
  })
})

describe('basic canary', () => {
  it('R = 10, setWeight 5 → 1 canary pod beside 10 stable ones (surge), not 1 + 9', () => {
    expect(actions({ trafficRouted: false, steps: [{ setWeight: 5 }, { pause: {} }], status: { currentStepIndex: 0 }, sets: [{ hash: NEW, replicas: 0, available: 0 }, { hash: OLD, replicas: 10, available: 10 }] })).toEqual([
      `scale web-${NEW} 0→1`,
    ])
  })
})

describe('abort with traffic routing', () => {
  const aborted = { steps: steps33, status: { currentStepIndex: 2, abort: true, abortedAt: '2026-06-01T11:59:00Z' } }

  it('returns the weight to 0 at once, drops managed routes, points the canary Service at the stable, and keeps the canary pods', () => {
    const p = plan({ ...aborted, weights: [33], sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 10 }] })
    expect(summarizeActions(p.actions)).toEqual([`service web-canary → ${OLD}`, 'traffic 0/100', `deadline web-${NEW} 2026-06-01T12:00:30.000Z`])
    expect(traffic(p.actions)?.headerRoutes).toEqual([])
    expect(p.status.phase).toBe('Degraded')
    expect(p.status.message).toBe('RolloutAborted: Rollout aborted update to revision 3')
    expect(p.status.currentStepIndex).toBe(0)
    expect(p.requeueAfterMs).toBe(30_000)
  })

  it('keeps the canary until the stable has all its pods', () => {
    const p = plan({ ...aborted, weights: [0], sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 9 }] })
    expect(p.actions.filter((a) => a.type === 'scaleReplicaSet' || a.type === 'setScaleDownDeadline')).toEqual([])
  })

  it('scales the canary to 0 once its deadline has passed', () => {
    expect(actions({ ...aborted, weights: [0], sets: [{ hash: NEW, replicas: 4, available: 4, deadline: '2026-06-01T11:59:59Z' }, { hash: OLD, replicas: 10, available: 10 }] })).toEqual([
      `service web-canary → ${OLD}`,
      'traffic 0/100',
      `scale web-${NEW} 4→0`,
      `clear deadline web-${NEW}`,
    ])
  })
})

describe('abort with traffic routing and dynamicStableScale', () => {
  const aborted = { steps: steps33, canary: { dynamicStableScale: true }, status: { currentStepIndex: 3, abort: true, abortedAt: '2026-06-01T11:59:00Z' } }
  const serviceSwitch = (s: Setup) => plan(s).actions.find((a) => a.type === 'switchService' && a.service === 'web-canary')

  it('keeps the canary Service on the canary while the undersized stable cannot take all the traffic', () => {
    // The stable was shrunk to 7 for 33/67: the canary keeps the share the 7 stable pods cannot take.
    const p = plan({ ...aborted, weights: [33], sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 7, available: 7 }] })
    expect(traffic(p.actions)?.canary.weight).toBeGreaterThan(0)
    expect(serviceSwitch({ ...aborted, weights: [33], sets: [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 7, available: 7 }] })).toBeUndefined()
  })

  it('points the canary Service back at the stable once no weight is left on the canary', () => {
    const sets = [{ hash: NEW, replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 10 }]
    expect(traffic(plan({ ...aborted, weights: [33], sets }).actions)?.canary.weight).toBe(0)
    expect(serviceSwitch({ ...aborted, weights: [33], sets })).toMatchObject({ podTemplateHash: OLD })
  })

  it('also once the aborted canary has no pod left', () => {
    expect(serviceSwitch({ ...aborted, weights: [0], sets: [{ hash: NEW, replicas: 0, available: 0 }, { hash: OLD, replicas: 10, available: 10 }] })).toMatchObject({ podTemplateHash: OLD })
  })
})

describe('the Paused condition, as Argo Rollouts keeps it', () => {
  const paused = (p: ReturnType<typeof plan>) => p.status.conditions?.find((c) => c.type === 'Paused')
  const sets = [{ hash: NEW, replicas: 1, available: 1 }, { hash: OLD, replicas: 10, available: 10 }]

  it('is absent until the first pause', () => {
    expect(paused(plan({ steps: steps33, status: { currentStepIndex: 0 }, weights: [0], sets }))).toBeUndefined()
  })

  it('is True at a pause step', () => {
    expect(paused(plan({ steps: steps33, status: { currentStepIndex: 1 }, weights: [5], sets }))).toMatchObject({ status: 'True', reason: 'RolloutPaused' })
  })

  it('stays True when the update is aborted during the pause', () => {
    const conditions = [{ type: 'Paused' as const, status: 'True' as const, reason: 'RolloutPaused', message: 'Rollout is paused', lastTransitionTime: 't', lastUpdateTime: 't' }]
    const p = plan({ steps: steps33, status: { currentStepIndex: 1, abort: true, abortedAt: 't', conditions }, weights: [5], sets })
    expect(paused(p)).toMatchObject({ status: 'True', reason: 'RolloutPaused', message: 'Rollout is paused' })
  })

  it('turns False when the pause ends', () => {
    const conditions = [{ type: 'Paused' as const, status: 'True' as const, reason: 'RolloutPaused', message: 'Rollout is paused', lastTransitionTime: 't', lastUpdateTime: 't' }]
    expect(paused(plan({ steps: steps33, status: { currentStepIndex: 2, conditions }, weights: [5], sets }))).toMatchObject({ status: 'False' })
  })
})

describe('promotion with traffic routing', () => {
  const done = { steps: steps33, status: { currentStepIndex: 4 } }

  it('moves all traffic to the canary once it has R pods, and promotes in the same pass', () => {
    const p = plan({ ...done, weights: [33], sets: [{ hash: NEW, replicas: 10, available: 10 }, { hash: OLD, replicas: 10, available: 10 }] })
    expect(summarizeActions(p.actions)).toEqual(['traffic 100/0'])
    expect(p.status.stableRS).toBe(NEW)
    expect(p.events.map((e) => e.reason)).toContain('RolloutCompleted')
  })

  it('does not promote before the canary has R available pods', () => {
    const p = plan({ ...done, weights: [33], sets: [{ hash: NEW, replicas: 10, available: 9 }, { hash: OLD, replicas: 10, available: 10 }] })
    expect(traffic(p.actions)?.canary.weight).toBe(33)
    expect(p.status.stableRS).toBe(OLD)
  })

  it('then switches the stable Service, sets the weight back to 0, and gives the old stable its scale-down delay', () => {
    const promoted = { ...done, status: { currentStepIndex: 4, stableRS: NEW }, weights: [100] as [number] }
    expect(actions({ ...promoted, sets: [{ hash: NEW, replicas: 10, available: 10 }, { hash: OLD, replicas: 10, available: 10 }] })).toEqual([`service web-stable → ${NEW}`, 'traffic 0/100'])
    // next pass: the old stable is no longer selected by any Service nor weighted
    const next = observe({ ...promoted, weights: [0, NEW, NEW], sets: [{ hash: NEW, replicas: 10, available: 10 }, { hash: OLD, replicas: 10, available: 10 }] })
    next.services = next.services.map((svc) => ({ ...svc, selector: { app: 'web', 'rollouts-pod-template-hash': NEW } }))
    const p = planRollout(next, NOW)
    expect(summarizeActions(p.actions)).toEqual(['traffic 0/100', `deadline web-${OLD} 2026-06-01T12:00:30.000Z`])
    expect(p.status.phase).toBe('Healthy')
  })
})

describe('header routes', () => {
  const steps: CanaryStep[] = [
    { setWeight: 20 },
    { setHeaderRoute: { name: 'h', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] } },
    { pause: {} },
    { setHeaderRoute: { name: 'h' } },
    { pause: {} },
  ]
  const sets = [{ hash: NEW, replicas: 2, available: 2 }, { hash: OLD, replicas: 10, available: 10 }]

  it('creates the route at its step (which completes once written) and keeps it through later steps', () => {
    const p = plan({ steps, status: { currentStepIndex: 1 }, weights: [20], sets })
    expect(traffic(p.actions)?.headerRoutes).toEqual([{ name: 'h', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }])
    expect(p.status.currentStepIndex).toBe(2)
    expect(traffic(plan({ steps, status: { currentStepIndex: 2 }, weights: [20], sets }).actions)?.headerRoutes.map((r) => r.name)).toEqual(['h'])
  })

  it('removes it at a step without a match, at promotion and on abort', () => {
    expect(traffic(plan({ steps, status: { currentStepIndex: 4 }, weights: [20], sets }).actions)?.headerRoutes).toEqual([])
    expect(traffic(plan({ steps, status: { currentStepIndex: 2, abort: true, abortedAt: 't' }, weights: [20], sets }).actions)?.headerRoutes).toEqual([])
    expect(traffic(plan({ steps, status: { currentStepIndex: 5, stableRS: NEW }, weights: [100], sets: [{ hash: NEW, replicas: 10, available: 10 }] }).actions)?.headerRoutes).toEqual([])
  })
})

describe('pauses', () => {
  const sets = [{ hash: NEW, replicas: 1, available: 1 }, { hash: OLD, replicas: 10, available: 10 }]
  const steps: CanaryStep[] = [{ setWeight: 10 }, { pause: { duration: '1m' } }, { setWeight: 20 }]

  it('starts a timed pause and asks to be woken when it ends', () => {
    const p = plan({ steps, status: { currentStepIndex: 1 }, weights: [10], sets })
    expect(p.status.pauseConditions).toEqual([{ reason: 'CanaryPauseStep', startTime: NOW.toISOString() }])
    expect(p.status.controllerPause).toBe(true)
    expect(p.status.phase).toBe('Paused')
    expect(p.requeueAfterMs).toBe(60_000)
  })

  it('ends it when the time is up', () => {
    const started = { currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' as const, startTime: '2026-06-01T11:58:59Z' }], controllerPause: true }
    expect(plan({ steps, status: started, weights: [10], sets }).status.currentStepIndex).toBe(2)
    expect(plan({ steps, status: started, weights: [10], sets }, new Date('2026-06-01T11:59:30Z')).status.currentStepIndex).toBe(1)
  })

  it('ends an indefinite pause when a user removed the pause condition (promote)', () => {
    const p = plan({ steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 20 }], status: { currentStepIndex: 1, controllerPause: true }, weights: [10], sets })
    expect(p.status.currentStepIndex).toBe(2)
    expect(p.status.pauseConditions).toBeUndefined()
  })

  it('holds scaling and steps while spec.paused, but not traffic', () => {
    const o = observe({ steps, status: { currentStepIndex: 0 }, weights: [0], sets: [{ hash: NEW, replicas: 0, available: 0 }, { hash: OLD, replicas: 10, available: 10 }] })
    o.rollout.spec.paused = true
    const p = planRollout(o, NOW)
    expect(summarizeActions(p.actions)).toEqual(['traffic 0/100'])
    expect(p.status.phase).toBe('Paused')
    expect(p.status.message).toBe('manually paused')
  })
})

describe('a new template mid-update', () => {
  it('restarts the steps and creates the ReplicaSet of the new template', () => {
    const o = observe({ steps: steps33, status: { currentStepIndex: 3, currentPodHash: 'pr3v10us' }, weights: [33, 'pr3v10us'], sets: [{ hash: 'pr3v10us', replicas: 4, available: 4 }, { hash: OLD, replicas: 10, available: 10 }] })
    const p = planRollout(o, NOW)
    expect(summarizeActions(p.actions)).toEqual([`create web-${NEW}`])
    expect(p.status.currentStepIndex).toBe(0)
    expect(p.status.currentPodHash).toBe(NEW)
  })
})

describe('weight verification', () => {
  const verifying = { nginx: { ...configMapRouterCapabilities, weightVerification: true } }
  const sets = [{ hash: NEW, replicas: 2, available: 2 }, { hash: OLD, replicas: 10, available: 10 }]
  const steps: CanaryStep[] = [{ setWeight: 20 }, { pause: {} }]
  const observeVerifying = (verification?: ObservedRollout['weightVerification'], weights?: [number]) => {
    const o = observe({ steps, status: { currentStepIndex: 0 }, ...(weights ? { weights } : {}), sets })
    o.routerCapabilities = verifying
    if (verification) o.weightVerification = verification
    return o
  }

  it('does not complete a step before the data plane confirms the weight, and says why', () => {
    const first = planRollout(observeVerifying(undefined, [0]), NOW)
    expect(first.status.canary?.weights?.verified).toBe(false)
    expect(first.status.currentStepIndex).toBe(0)
    expect(first.requeueAfterMs).toBe(10_000)

    const o = observeVerifying({ canaryWeight: 20, verified: false, reason: 'target group web-canary has weight 0' }, [20])
    o.rollout.status = { ...o.rollout.status, canary: { weights: { ...o.rollout.status?.canary?.weights, verified: false } as never } }
    const waiting = planRollout(o, NOW)
    expect(waiting.status.currentStepIndex).toBe(0)
    expect(waiting.status.message).toBe('waiting for canary weight 20 to be in effect: target group web-canary has weight 0')
    expect(waiting.events.filter((e) => e.reason === 'WeightNotVerified').map((e) => e.message)).toEqual([waiting.status.message])

    // the same answer again: no second Event
    o.rollout.status = { ...o.rollout.status, message: waiting.status.message ?? '' }
    expect(planRollout(o, NOW).events.filter((e) => e.reason === 'WeightNotVerified')).toEqual([])

    const verified = planRollout(observeVerifying({ canaryWeight: 20, verified: true }, [20]), NOW)
    expect(verified.status.canary?.weights?.verified).toBe(true)
    expect(verified.status.currentStepIndex).toBe(1)
  })
})

describe('revision history (spec.revisionHistoryLimit)', () => {
  const steps: CanaryStep[] = [{ setWeight: 20 }, { pause: {} }]
  // A Rollout Healthy on NEW, with OLD as the previous stable and `count` older revisions (rev 1..count).
  const withHistory = (count: number, limit?: number, pods: (rev: number) => number = () => 0) => {
    const o = observe({ steps, status: { stableRS: NEW, currentStepIndex: 2 }, weights: [0, NEW, NEW], sets: [{ hash: NEW, replicas: 10, available: 10 }] })
    if (limit !== undefined) o.rollout.spec.revisionHistoryLimit = limit
    const older: ObservedReplicaSet[] = Array.from({ length: count }, (_, i) => ({
      name: `web-old${i + 1}`,
      podTemplateHash: `old${i + 1}`,
      revision: i + 1,
      replicas: 0,
      currentReplicas: pods(i + 1),
      readyReplicas: 0,
      availableReplicas: 0,
    }))
    o.replicaSets = [...o.replicaSets, ...older]
    return o
  }
  const deletions = (o: ObservedRollout) => summarizeActions(planRollout(o, NOW).actions).filter((a) => a.startsWith('delete '))

  it.each([
    // older revisions, limit, deleted (oldest first)
    [10, undefined, []],
    [12, undefined, ['delete web-old1', 'delete web-old2']],
    [3, 1, ['delete web-old1', 'delete web-old2']],
    [2, 0, ['delete web-old1', 'delete web-old2']],
  ] as const)('%i older revisions, limit %s: deletes %j', (count, limit, expected) => {
    expect(deletions(withHistory(count, limit))).toEqual(expected)
  })

  it('keeps an old ReplicaSet whose pods are still terminating, and deletes no younger one in its place', () => {
    expect(deletions(withHistory(3, 1, (rev) => (rev === 1 ? 1 : 0)))).toEqual(['delete web-old2'])
  })

  it('never deletes the canary or the stable ReplicaSet, even with a limit of 0', () => {
    const o = observe({ steps, status: { currentStepIndex: 1 }, weights: [20], sets: [{ hash: OLD, replicas: 0, available: 0 }, { hash: NEW, replicas: 0, available: 0 }] })
    o.rollout.spec.revisionHistoryLimit = 0
    expect(deletions(o)).toEqual([])
  })
})

describe('Events in the words of Argo Rollouts (controller README, "Events")', () => {
  const sets = [{ hash: NEW, replicas: 1, available: 1 }, { hash: OLD, replicas: 10, available: 10 }]
  const messages = (s: Setup) => plan(s).events.map((e) => `${e.reason}: ${e.message}`)

  it.each([
    // steps, step index, recorded weight → Events of the pass
    [[{ setWeight: 5 }, { pause: {} }], 1, 5, ['RolloutPaused: Rollout is paused (CanaryPauseStep)']],
    [[{ setWeight: 5 }, { pause: { duration: '30s' } }], 1, 5, ['RolloutPaused: Rollout is paused (CanaryPauseStep)']],
    [[{ setCanaryScale: { weight: 10 } }, { pause: {} }], 0, 0, ['RolloutStepCompleted: Rollout step 1/2 completed (setCanaryScale{weight: 10})']],
    [[{ setCanaryScale: { replicas: 1 } }, { pause: {} }], 0, 0, ['RolloutStepCompleted: Rollout step 1/2 completed (setCanaryScale{replicas: 1})']],
    [[{ setWeight: 5 }, { pause: {} }], 0, 0, ['TrafficWeightUpdated: Traffic weight updated from 0 to 5', 'RolloutStepCompleted: Rollout step 1/2 completed (setWeight: 5)']],
  ] as [CanaryStep[], number, number, string[]][])('%j at step %i, weight %i → %j', (steps, index, weight, expected) => {
    expect(messages({ steps, status: { currentStepIndex: index }, weights: [weight], sets })).toEqual(expected)
  })

  it('a scale says what Argo says, nothing more', () => {
    const p = plan({ steps: steps33, status: { currentStepIndex: 2 }, weights: [5], sets })
    expect(p.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message)).toEqual([`Scaled up ReplicaSet web-${NEW} (revision 3) from 1 to 4`])
  })
})

describe('a missing reference within the grace (5 s from creation or the spec seen) is waited for quietly', () => {
  const sets = [{ hash: OLD, replicas: 10, available: 10 }]
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString()
  function observeMissing(o: { created: number; seen?: number; status?: Partial<RolloutStatus>; steps?: CanaryStep[] }): ObservedRollout {
    const observed = observe({ steps: o.steps ?? steps33, status: o.status ?? {}, sets })
    observed.rollout.metadata.creationTimestamp = at(o.created)
    if (o.seen !== undefined) observed.specSeenAt = new Date(at(o.seen))
    // The stable Service: a canary Service that goes missing mid-update is a traffic fault, not a reference to wait for.
    return { ...observed, services: observed.services.filter((s) => s.name !== 'web-stable') }
  }

  it.each([
    // created, spec seen (ms relative to now) → requeue after (ms), or 'reported'
    [-2000, undefined, 3000], // 3 s of the grace left
    [-4999, undefined, 1],
    [-5000, undefined, 'reported'], // the grace is over
    [-3_600_000, -1000, 4000], // an old Rollout whose spec changed a second ago
    [-3_600_000, -6000, 'reported'],
    [-3_600_000, undefined, 'reported'],
  ] as [number, number | undefined, number | 'reported'][])('created %i, spec seen %s → %s', (created, seen, expected) => {
    const p = planRollout(observeMissing({ created, ...(seen !== undefined ? { seen } : {}) }), NOW)
    if (expected === 'reported') {
      expect(p.status.phase).toBe('Degraded')
      expect(p.events).toEqual([{ type: 'Warning', reason: 'InvalidSpec', message: expect.stringContaining('service "web-stable" not found') }])
      return
    }
    expect(p).toEqual({ actions: [], status: observeMissing({ created }).rollout.status, events: [], requeueAfterMs: expected, missingReferences: [expect.stringContaining('web-stable')] })
  })

  it('gives no grace to other problems, nor to a Rollout already reported invalid', () => {
    const badStep = planRollout(observeMissing({ created: -1000, steps: [{ setWeight: 120 }] }), NOW)
    expect(badStep.status.phase).toBe('Degraded')
    const invalid = { conditions: [{ type: 'InvalidSpec', status: 'True', reason: 'InvalidSpec', message: 'm', lastTransitionTime: at(-1), lastUpdateTime: at(-1) }] } as Partial<RolloutStatus>
    expect(planRollout(observeMissing({ created: -1000, status: invalid }), NOW).status.phase).toBe('Degraded')
  })
})

describe('a canary Service that cannot take traffic: its weight goes to the stable and comes back (issue 18)', () => {
  const steps50: CanaryStep[] = [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]
  const pausedAt50 = { currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep' as const, startTime: '2026-06-01T11:00:00Z' }], controllerPause: true }
  const sets = [
    { hash: NEW, replicas: 5, available: 5 },
    { hash: OLD, replicas: 10, available: 10 },
  ]
  /** `canaryService`: 'missing', 'present' (endpoints not observed) or its number of ready endpoints. */
  function observeWith(s: Setup, canaryService: 'missing' | 'present' | number): ObservedRollout {
    const observed = observe(s)
    const services = observed.services.flatMap((svc) => {
      if (svc.name !== 'web-canary' || canaryService === 'present') return [svc]
      return canaryService === 'missing' ? [] : [{ ...svc, readyEndpoints: canaryService }]
    })
    return { ...observed, services }
  }

  it.each([
    // canary Service, recorded canary weight, step index → canary weight written, step index after, Warning
    ['missing', 50, 1, 0, 1, true], // paused at 50: the traffic goes to the stable, the step stays
    [0, 50, 1, 0, 1, true], // there, but no ready endpoint: the same
    ['present', 0, 1, 50, 1, false], // back: the step's weight returns
    [3, 0, 1, 50, 1, false], // endpoints ready again: the same
    ['missing', 0, 0, 0, 0, true], // at setWeight 50 with its pods ready: held at 0, the step does not complete
    ['present', 0, 0, 50, 1, false], // the same with the Service: written, and the step completes
  ] as ['missing' | 'present' | number, number, number, number, number, boolean][])(
    'canary Service %s, weight %i, step %i → weight %i, step %i (Warning: %s)',
    (service, recorded, index, weight, indexAfter, warned) => {
      const status = index === 1 ? pausedAt50 : { currentStepIndex: index }
      const p = planRollout(observeWith({ steps: steps50, status, weights: [recorded], sets }, service), NOW)
      expect(traffic(p.actions)).toMatchObject({ canary: { weight, serviceName: 'web-canary' }, stable: { weight: 100 - weight, podTemplateHash: OLD } })
      expect(p.status.currentStepIndex).toBe(indexAfter)
      expect(p.status.conditions?.some((c) => c.type === 'InvalidSpec') ?? false).toBe(false)
      const warnings = p.events.filter((e) => e.type === 'Warning')
      if (!warned) {
        expect(warnings).toEqual([])
        return
      }
      const problem = service === 'missing' ? 'not found' : 'has no ready endpoints'
      expect(warnings).toEqual([
        { type: 'Warning', reason: 'CanaryServiceUnavailable', message: `Canary Service web-canary ${problem}: all traffic goes to the stable; canary weight 50 comes back when the Service can take traffic again` },
      ])
    },
  )

  it('keeps the canary pods and the pause, and says why in the status while the traffic is held', () => {
    const p = planRollout(observeWith({ steps: steps50, status: { currentStepIndex: 0 }, weights: [50], sets }, 'missing'), NOW)
    expect(summarizeActions(p.actions)).toEqual(['traffic 0/100'])
    expect(p.status).toMatchObject({ phase: 'Progressing', message: 'canary Service web-canary not found: traffic held on the stable' })
    const paused = planRollout(observeWith({ steps: steps50, status: pausedAt50, weights: [50], sets }, 'missing'), NOW)
    expect(paused.status).toMatchObject({ phase: 'Paused', currentStepIndex: 1, controllerPause: true })
  })

  it('does not promote while the canary Service is missing at the last step', () => {
    const p = planRollout(observeWith({ steps: steps50, status: { currentStepIndex: 3 }, weights: [50], sets: [{ hash: NEW, replicas: 10, available: 10 }, sets[1]!] }, 'missing'), NOW)
    expect(traffic(p.actions)?.canary.weight).toBe(0)
    expect(p.status.stableRS).toBe(OLD)
  })

  it('with dynamicStableScale, moves the weight to an undersized stable at once (a missing canary serves nothing), then grows the stable', () => {
    const dynamic = { steps: steps50, canary: { dynamicStableScale: true }, status: pausedAt50, sets: [sets[0]!, { hash: OLD, replicas: 5, available: 5 }] }
    expect(summarizeActions(planRollout(observeWith({ ...dynamic, weights: [50] }, 'missing'), NOW).actions)).toEqual(['traffic 0/100'])
    expect(summarizeActions(planRollout(observeWith({ ...dynamic, weights: [0] }, 'missing'), NOW).actions)).toEqual(['traffic 0/100', `scale web-${OLD} 5→10`])
  })

  it('drops the managed routes and does not complete a header-route step while the Service is missing', () => {
    const header: CanaryStep[] = [{ setWeight: 50 }, { setHeaderRoute: { name: 'h', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] } }, { pause: {} }]
    const p = planRollout(observeWith({ steps: header, status: { currentStepIndex: 1 }, weights: [50], sets }, 'missing'), NOW)
    expect(traffic(p.actions)).toMatchObject({ canary: { weight: 0 }, headerRoutes: [] })
    expect(p.status.currentStepIndex).toBe(1)
    // A header route at weight 0: the Warning is about the route.
    const routeOnly: CanaryStep[] = [{ setWeight: 0 }, ...header.slice(1)]
    const q = planRollout(observeWith({ steps: routeOnly, status: { currentStepIndex: 1 }, weights: [0], sets }, 'missing'), NOW)
    expect(q.events.find((e) => e.type === 'Warning')?.message).toBe(
      'Canary Service web-canary not found: all traffic goes to the stable; the managed routes come back when the Service can take traffic again',
    )
  })

  it('says nothing when no traffic would go to the canary anyway (fully promoted)', () => {
    const p = planRollout(observeWith({ steps: steps50, status: { stableRS: NEW, currentStepIndex: 3 }, weights: [0, NEW, NEW], sets: [{ hash: NEW, replicas: 10, available: 10 }] }, 'missing'), NOW)
    expect(traffic(p.actions)?.canary.weight).toBe(0)
    expect(p.events.filter((e) => e.type === 'Warning')).toEqual([])
    expect(p.status.phase).toBe('Healthy')
  })

  it('stays an invalid spec before the first deploy and without traffic routing', () => {
    const long = '2026-06-01T11:00:00Z'
    const first = observeWith({ steps: steps50, status: { stableRS: undefined }, sets: [{ hash: NEW, replicas: 0, available: 0 }] }, 'missing')
    first.rollout.metadata.creationTimestamp = long
    expect(planRollout(first, NOW).status.phase).toBe('Degraded')
    const basic = observeWith({ trafficRouted: false, steps: steps50, status: pausedAt50, sets }, 'missing')
    basic.rollout.metadata.creationTimestamp = long
    expect(planRollout(basic, NOW).status.message).toContain('service "web-canary" not found')
  })
})
