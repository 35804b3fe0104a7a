/**
 * Taking over a Rollout exactly as Argo Rollouts left it (issue 13): its ReplicaSets carry Argo's
 * hashes (Go's JSON of the template, which Sluice does not reproduce) and pod templates with the API
 * server's defaults; its status carries Argo's step hash. The plan must keep the ReplicaSets, the
 * step, the pause and the weights: no new ReplicaSet, no scale, no traffic change.
 */
import { describe, expect, it } from 'vitest'
import { configMapRouterCapabilities } from '../testing/config-map-router.ts'
import { legacyStepsHash, podTemplateHash, stepsHash } from '../spec/hash.ts'
import type { ObservedReplicaSet, ObservedRollout } from './observed.ts'
import { summarizeActions } from './actions.ts'
import { planRollout } from './plan-rollout.ts'
import type { CanaryStep, PodTemplateSpec, RolloutStatus } from '../api/rollout.ts'

const NOW = new Date('2026-06-01T12:00:00Z')
const STEPS: CanaryStep[] = [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: { duration: 600 } }]
const ARGO_STABLE = '7d4b9c6f58'
const ARGO_CANARY = '5c8f7d9b46'

const written = (image: string): PodTemplateSpec => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }], resources: { requests: { cpu: 0.1, memory: '64Mi' } } }] },
})

/** The template as the API server stores it in the ReplicaSet Argo Rollouts made from `written(image)`. */
const stored = (image: string, hash: string): PodTemplateSpec => ({
  metadata: { creationTimestamp: null, labels: { app: 'web', 'rollouts-pod-template-hash': hash } },
  spec: {
    containers: [
      {
        name: 'web',
        image,
        imagePullPolicy: 'IfNotPresent',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
    ],
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
  },
})

interface Left {
  image: string
  generation?: number
  status: RolloutStatus
  sets: [hash: string, image: string, replicas: number][]
}

function leftByArgo(left: Left): ObservedRollout {
  const replicaSets: ObservedReplicaSet[] = left.sets.map(([hash, image, replicas], i) => ({
    name: `web-${hash}`,
    podTemplateHash: hash,
    revision: i + 1,
    replicas,
    currentReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    template: stored(image, hash),
  }))
  return {
    rollout: {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'default', uid: 'u', generation: left.generation ?? 2 },
      spec: {
        replicas: 5,
        selector: { matchLabels: { app: 'web' } },
        template: written(left.image),
        strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable', steps: STEPS, trafficRouting: { nginx: { stableIngress: 'web' } } } },
      },
      status: left.status,
    },
    replicaSets,
    services: [
      { name: 'web-stable', selector: { app: 'web', 'rollouts-pod-template-hash': left.status.stableRS ?? '' }, annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' } },
      { name: 'web-canary', selector: { app: 'web', 'rollouts-pod-template-hash': left.status.currentPodHash ?? '' }, annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'web' } },
    ],
    routerCapabilities: { nginx: configMapRouterCapabilities },
  }
}

const weights = (canary: number, canaryHash: string, stableHash = ARGO_STABLE) => ({
  canary: { weight: canary, podTemplateHash: canaryHash, serviceName: 'web-canary' },
  stable: { weight: 100 - canary, podTemplateHash: stableHash, serviceName: 'web-stable' },
})

/** The actions that would change pods or traffic: creating or scaling ReplicaSets, switching Services, new weights. */
function changes(observed: ObservedRollout, planned: ReturnType<typeof planRollout>): string[] {
  const recorded = observed.rollout.status?.canary?.weights
  return summarizeActions(
    planned.actions.filter((a) => {
      if (a.type !== 'setTraffic') return true
      return a.desired.canary.weight !== recorded?.canary.weight || a.desired.canary.podTemplateHash !== recorded.canary.podTemplateHash
    }),
  )
}

const PAUSED_AT = '2026-06-01T11:00:00Z'
const paused: Left = {
  image: 'web:2',
  status: {
    observedGeneration: '2',
    currentPodHash: ARGO_CANARY,
    stableRS: ARGO_STABLE,
    currentStepHash: stepsHash(STEPS),
    currentStepIndex: 1,
    pauseConditions: [{ reason: 'CanaryPauseStep', startTime: PAUSED_AT }],
    controllerPause: true,
    canary: { weights: weights(20, ARGO_CANARY) },
    phase: 'Paused',
  },
  sets: [
    [ARGO_STABLE, 'web:1', 5],
    [ARGO_CANARY, 'web:2', 1],
  ],
}

describe('a Rollout Argo Rollouts left', () => {
  it('healthy: keeps its ReplicaSet and changes nothing', () => {
    const observed = leftByArgo({
      image: 'web:1',
      status: { observedGeneration: '2', currentPodHash: ARGO_STABLE, stableRS: ARGO_STABLE, currentStepHash: stepsHash(STEPS), currentStepIndex: 4, canary: { weights: weights(0, ARGO_STABLE) }, phase: 'Healthy' },
      sets: [[ARGO_STABLE, 'web:1', 5]],
    })
    const planned = planRollout(observed, NOW)
    expect(changes(observed, planned)).toEqual([])
    expect(planned.status).toMatchObject({ currentPodHash: ARGO_STABLE, stableRS: ARGO_STABLE, currentStepIndex: 4 })
  })

  it('paused mid-update: the same step, the same pause (its start time), the same weight', () => {
    const observed = leftByArgo(paused)
    const planned = planRollout(observed, NOW)
    expect(changes(observed, planned)).toEqual([])
    expect(planned.status).toMatchObject({ currentPodHash: ARGO_CANARY, currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: PAUSED_AT }] })
    expect(planned.events.map((e) => e.reason)).not.toContain('NewReplicaSetCreated')
  })

  it('paused, then promoted: goes on with the next step on Argo’s canary ReplicaSet', () => {
    const observed = leftByArgo({ ...paused, status: { ...paused.status, pauseConditions: [] } })
    // `kubectl argo rollouts promote` removes the pause condition; controllerPause stays set.
    const planned = planRollout(observed, NOW)
    expect(planned.status.currentStepIndex).toBe(2)
    observed.rollout.status = planned.status
    const next = summarizeActions(planRollout(observed, NOW).actions)
    expect(next).toContain(`scale web-${ARGO_CANARY} 1→3`)
    expect(next.some((a) => a.startsWith('create'))).toBe(false)
  })

  it('aborted: stays aborted on Argo’s ReplicaSets', () => {
    const observed = leftByArgo({
      ...paused,
      status: { ...paused.status, abort: true, abortedAt: PAUSED_AT, currentStepIndex: 0, pauseConditions: [], canary: { weights: weights(0, ARGO_CANARY) }, phase: 'Degraded' },
      sets: [
        [ARGO_STABLE, 'web:1', 5],
        [ARGO_CANARY, 'web:2', 0],
      ],
    })
    const planned = planRollout(observed, NOW)
    expect(changes(observed, planned).filter((a) => !a.startsWith('service web-canary'))).toEqual([])
    expect(planned.status).toMatchObject({ abort: true, currentPodHash: ARGO_CANARY, currentStepIndex: 0 })
  })

  it('with a spec edited since Argo last wrote its status: finds Argo’s ReplicaSet by its template', () => {
    const observed = leftByArgo({ ...paused, generation: 3 })
    const planned = planRollout(observed, NOW)
    expect(changes(observed, planned)).toEqual([])
    expect(planned.status).toMatchObject({ currentPodHash: ARGO_CANARY, currentStepIndex: 1, observedGeneration: '3' })
  })

  it('with a new template since: starts an update with a ReplicaSet of its own', () => {
    const observed = leftByArgo({ ...paused, image: 'web:3', generation: 3 })
    const planned = planRollout(observed, NOW)
    expect(summarizeActions(planned.actions).filter((a) => a.startsWith('create'))).toEqual([`create web-${podTemplateHash(written('web:3'))}`])
    expect(planned.status.currentStepIndex).toBe(0)
  })

  it('a status Argo Rollouts wrote for an older generation is not trusted', () => {
    // The recorded hash names a ReplicaSet of another template; the spec moved on (generation 3).
    const observed = leftByArgo({ ...paused, image: 'web:1', generation: 3 })
    const planned = planRollout(observed, NOW)
    expect(planned.status.currentPodHash).toBe(ARGO_STABLE)
  })
})

describe('a Rollout an earlier Sluice was running', () => {
  it('keeps its step when its status holds the step hash Sluice used to compute', () => {
    const observed = leftByArgo({ ...paused, status: { ...paused.status, currentStepHash: legacyStepsHash(STEPS) } })
    const planned = planRollout(observed, NOW)
    expect(changes(observed, planned)).toEqual([])
    expect(planned.status).toMatchObject({ currentStepIndex: 1, currentStepHash: stepsHash(STEPS) })
  })
})
