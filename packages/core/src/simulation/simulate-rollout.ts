/**
 * Runs a whole update in memory, with the real planner and the real traffic routers against an
 * in-memory API: what `sluice plan` prints, and what the property tests drive with random timings.
 *
 * The world it simulates: the Rollout's template is the new revision; the stable revision is an
 * earlier one, fully available, that the controller finished rolling out (Services point at it and
 * the routers carry its steady state); pods become available when `availability` says (at once by
 * default); pauses are promoted or elapse; scale-down delays elapse.
 */
import { cloneJson } from '../kube/json.ts'
import { createMemoryKube } from '../kube/memory-kube.ts'
import type { MemoryKube } from '../kube/memory-kube.ts'
import type { KubeObject } from '../api/kube-object.ts'
import type { RolloutAction, RolloutPlan } from '../plan/actions.ts'
import { podTemplateHash, stepsHash } from '../spec/hash.ts'
import type { ObservedReplicaSet, ObservedRollout, ObservedService } from '../plan/observed.ts'
import { planRollout } from '../plan/plan-rollout.ts'
import { statusChanged } from '../plan/status.ts'
import { replicaSetName } from '../plan/replica-sets.ts'
import { resolveCanary } from '../spec/defaults.ts'
import { describeStep } from '../spec/steps.ts'
import type { PodTemplateSpec, Rollout, RolloutPhase, RolloutStatus } from '../api/rollout.ts'
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/labels.ts'
import type { DesiredTraffic, RouterCapabilityMap, RouterTarget, TrafficRouter } from '../traffic/traffic-router.ts'
import type { FieldError } from '../api/field-error.ts'
import { validateRollout } from '../validation/validate-rollout.ts'
import { validateServiceReferences } from '../plan/validate-references.ts'

export interface SimulationInput {
  /** The Rollout; its template is the new revision. */
  rollout: Rollout
  /** The Services and mesh objects it references. */
  objects: readonly KubeObject[]
  /** Builds the configured routers over the simulation's in-memory API. */
  createRouters: (target: RouterTarget, kube: MemoryKube) => TrafficRouter[]
  routerCapabilities: RouterCapabilityMap
  /** Abort the update once this step (0-based) has been reached. */
  abortAtStep?: number
  /** When to start (default: 2026-01-01T00:00:00Z); the simulated clock only moves forward. */
  start?: Date
  /**
   * Pods that become available this many simulated milliseconds after a scale-up (default 0). Called
   * per scale-up; lets property tests vary timings.
   */
  availabilityDelayMs?: (replicaSet: string, pods: number) => number
  /** Called after every planning pass, for tests that check invariants along the way. */
  onPass?: (pass: SimulatedPass) => void
  /** Safety net against a planner that never settles (default 5,000 passes). */
  maxPasses?: number
}

/** What one planning pass saw and decided. */
export interface SimulatedPass {
  now: Date
  observed: ObservedRollout
  plan: RolloutPlan
}

export interface SimulatedState {
  /** The step index (0-based); for `final`, the index in the final status (null without steps). */
  index: number | null
  /** The step, described (`setWeight: 20`), or `final`. */
  step: string
  phase: RolloutPhase
  canary: { replicas: number; weight: number | null }
  stable: { replicas: number; weight: number | null }
  headerRoutes: string[]
  mirrorRoutes: string[]
  /** Every Service and mesh object in this state (including objects the routers created), sorted. */
  resources: KubeObject[]
}

export interface SimulationResult {
  rollout: string
  hashes: { stable: string; canary: string }
  maxWeight: number
  /** One entry per step reached, in order. */
  steps: SimulatedState[]
  /** The state once fully promoted, or once an abort has settled. */
  final: SimulatedState
}

export class SimulationError extends Error {
  override name = 'SimulationError'
  readonly errors: FieldError[]

  constructor(message: string, errors: FieldError[] = []) {
    super(message)
    this.errors = errors
  }
}

interface SimReplicaSet extends ObservedReplicaSet {
  /** Simulated time at which the pods up to `replicas` are available. */
  readyAt: number
}

export async function simulateRollout(input: SimulationInput): Promise<SimulationResult> {
  const rollout = cloneJson(input.rollout)
  rollout.metadata.namespace ??= 'default'
  rollout.metadata.uid ??= '00000000-0000-4000-8000-00000000beef'
  rollout.metadata.generation ??= 1
  const namespace = rollout.metadata.namespace
  const name = rollout.metadata.name ?? ''

  const staticErrors = validateRollout(rollout, { routers: input.routerCapabilities })
  if (staticErrors.length > 0) throw new SimulationError(`Rollout ${namespace}/${name} is invalid`, staticErrors)
  const { canary, replicas, maxWeight, steps, trafficRouted } = resolveCanary(rollout)

  const kube = createMemoryKube(input.objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? namespace } })))
  const target: RouterTarget = {
    rollout: { apiVersion: rollout.apiVersion, kind: rollout.kind, name, namespace, uid: rollout.metadata.uid },
    canaryService: canary.canaryService ?? '',
    stableService: canary.stableService ?? '',
    managedRoutes: (canary.trafficRouting?.managedRoutes ?? []).map((r) => r.name),
  }
  const routers = input.createRouters(target, kube)

  const referenceErrors = [
    ...validateServiceReferences(rollout, await readServices(kube, rollout)),
    ...(await Promise.all(routers.map((r) => r.validate()))).flat(),
  ]
  if (referenceErrors.length > 0) throw new SimulationError(`Rollout ${namespace}/${name} references objects that are missing or do not fit`, referenceErrors)

  // The stable revision: an earlier template, fully rolled out by the controller.
  const previousTemplate: PodTemplateSpec = {
    ...(rollout.spec.template ?? {}),
    metadata: { ...(rollout.spec.template?.metadata ?? {}), annotations: { ...(rollout.spec.template?.metadata?.annotations ?? {}), 'sluice.io/plan-revision': 'stable' } },
  }
  const stableHash = podTemplateHash(previousTemplate)
  let clock = (input.start ?? new Date('2026-01-01T00:00:00Z')).getTime()
  const sets = new Map<string, SimReplicaSet>()
  sets.set(stableHash, {
    name: replicaSetName(name, stableHash),
    podTemplateHash: stableHash,
    revision: 1,
    replicas,
    currentReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    template: previousTemplate,
    readyAt: clock,
  })
  for (const service of [canary.canaryService, canary.stableService]) {
    if (service) await pointService(kube, namespace, service, stableHash, name)
  }
  const steady: DesiredTraffic = {
    canary: { weight: 0, podTemplateHash: stableHash, ...(canary.canaryService ? { serviceName: canary.canaryService } : {}) },
    stable: { weight: maxWeight, podTemplateHash: stableHash, ...(canary.stableService ? { serviceName: canary.stableService } : {}) },
    additional: [],
    maxWeight,
    headerRoutes: [],
    mirrorRoutes: [],
  }
  if (trafficRouted) for (const router of routers) await router.apply(steady)
  let status: RolloutStatus = {
    stableRS: stableHash,
    currentPodHash: stableHash,
    currentStepHash: stepsHash(rollout.spec.strategy?.canary?.steps),
    ...(steps.length > 0 ? { currentStepIndex: steps.length } : {}),
    ...(trafficRouted ? { canary: { weights: { canary: { ...steady.canary }, stable: { ...steady.stable } } } } : {}),
    phase: 'Healthy',
  }

  const snapshots: SimulatedState[] = []
  const snapshotted = new Set<number>()
  let aborted = false
  const maxPasses = input.maxPasses ?? 5000

  const snapshot = async (index: number | null, step: string, phase: RolloutPhase): Promise<SimulatedState> => {
    const canaryRS = sets.get(status.currentPodHash ?? '')
    const stableRS = sets.get(stableHash)
    const weights = status.canary?.weights
    const observedRoutes = trafficRouted && routers.length > 0 ? await routers[0]?.observe() : undefined
    return {
      index,
      step,
      phase,
      canary: { replicas: canaryRS?.replicas ?? 0, weight: weights ? weights.canary.weight : null },
      stable: { replicas: stableRS?.replicas ?? 0, weight: weights ? weights.stable.weight : null },
      headerRoutes: observedRoutes?.headerRoutes ?? [],
      mirrorRoutes: observedRoutes?.mirrorRoutes ?? [],
      resources: kube.all().map(presentable),
    }
  }

  for (let passes = 0; ; passes++) {
    if (passes >= maxPasses) {
      throw new SimulationError(`the rollout did not settle after ${maxPasses} planning passes (last status: ${status.phase ?? '?'} ${status.message ?? ''})`)
    }
    const now = new Date(clock)
    for (const rs of sets.values()) {
      const available = rs.readyAt <= clock ? rs.replicas : Math.min(rs.availableReplicas, rs.replicas)
      rs.currentReplicas = rs.replicas
      rs.readyReplicas = available
      rs.availableReplicas = available
    }
    const observed: ObservedRollout = {
      rollout: { ...rollout, status: cloneJson(status) },
      replicaSets: [...sets.values()].map(({ readyAt: _r, ...rs }) => ({ ...rs })),
      services: await readServices(kube, rollout),
      routerCapabilities: input.routerCapabilities,
      ...(status.canary?.weights ? { weightVerification: { canaryWeight: status.canary.weights.canary.weight, verified: true } } : {}),
    }
    const plan = planRollout(observed, now)
    input.onPass?.({ now, observed, plan })
    let acted = false
    for (const action of plan.actions) {
      if (await carryOut(action, { kube, routers, sets, namespace, name, clock, availabilityDelayMs: input.availabilityDelayMs })) acted = true
    }
    const changed = statusChanged(status, plan.status)
    const before = status
    status = plan.status
    if (status.conditions?.some((c) => c.type === 'InvalidSpec')) throw new SimulationError(status.message ?? 'the Rollout became invalid')

    // A step is recorded when it completes (pause steps: when the rollout pauses there).
    const completedIndex = before.currentPodHash === status.currentPodHash && !aborted ? completedStep(before, status) : undefined
    if (completedIndex !== undefined && !snapshotted.has(completedIndex) && steps[completedIndex] && !steps[completedIndex]?.pause) {
      snapshotted.add(completedIndex)
      snapshots.push(await snapshot(completedIndex, describeStep(steps[completedIndex]), status.phase ?? 'Progressing'))
      if (completedIndex === input.abortAtStep) {
        status = { ...status, abort: true }
        aborted = true
        continue
      }
    }

    if (acted || changed) continue
    const waiting = [...sets.values()].filter((rs) => rs.readyAt > clock).map((rs) => rs.readyAt - clock)
    const pause = status.pauseConditions?.find((c) => c.reason === 'CanaryPauseStep')
    if (pause && !aborted) {
      const index = status.currentStepIndex ?? 0
      if (!snapshotted.has(index)) {
        snapshotted.add(index)
        snapshots.push(await snapshot(index, describeStep(steps[index]), 'Paused'))
      }
      if (index === input.abortAtStep) {
        status = { ...status, abort: true }
        aborted = true
        continue
      }
      // The user promotes (or the pause elapses): the pause condition goes away.
      status = { ...status, pauseConditions: [] }
      continue
    }
    const next = [...waiting, ...(plan.requeueAfterMs !== undefined ? [plan.requeueAfterMs] : [])].filter((ms) => ms > 0)
    const settled = aborted ? isAbortSettled(status, sets) : isPromotedAndClean(status, sets)
    if (settled || next.length === 0) break
    clock += Math.min(...next)
  }

  const index = status.currentStepIndex ?? null
  return {
    rollout: `${namespace}/${name}`,
    hashes: { stable: stableHash, canary: status.currentPodHash ?? '' },
    maxWeight,
    steps: snapshots,
    final: await snapshot(index, 'final', status.phase ?? 'Progressing'),
  }
}

/** The index of the step that completed between two statuses, if one did. */
function completedStep(before: RolloutStatus, after: RolloutStatus): number | undefined {
  const from = before.currentStepIndex
  const to = after.currentStepIndex
  if (from === undefined || to === undefined || to !== from + 1) return undefined
  return from
}

function isPromotedAndClean(status: RolloutStatus, sets: Map<string, SimReplicaSet>): boolean {
  if (status.stableRS !== status.currentPodHash || status.phase !== 'Healthy') return false
  return [...sets.values()].every((rs) => rs.podTemplateHash === status.currentPodHash || rs.replicas === 0)
}

function isAbortSettled(status: RolloutStatus, sets: Map<string, SimReplicaSet>): boolean {
  const canary = sets.get(status.currentPodHash ?? '')
  return status.phase === 'Degraded' && (canary?.replicas ?? 0) === 0
}

interface Executor {
  kube: MemoryKube
  routers: TrafficRouter[]
  sets: Map<string, SimReplicaSet>
  namespace: string
  name: string
  clock: number
  availabilityDelayMs: SimulationInput['availabilityDelayMs']
}

/** Carries out one action on the simulated world; returns false when it changed nothing. */
async function carryOut(action: RolloutAction, x: Executor): Promise<boolean> {
  switch (action.type) {
    case 'createReplicaSet': {
      const object = action.replicaSet
      const labels = object.metadata.labels ?? {}
      const hash = labels[POD_TEMPLATE_HASH_LABEL] ?? ''
      const spec = object.spec as { template?: PodTemplateSpec }
      x.sets.set(hash, {
        name: object.metadata.name ?? '',
        podTemplateHash: hash,
        revision: Number(object.metadata.annotations?.[REVISION_ANNOTATION] ?? '0'),
        replicas: 0,
        currentReplicas: 0,
        readyReplicas: 0,
        availableReplicas: 0,
        ...(spec.template ? { template: spec.template } : {}),
        readyAt: x.clock,
      })
      return true
    }
    case 'scaleReplicaSet': {
      const rs = namedSet(x, action.name)
      if (!rs) return false
      const growing = action.replicas > rs.replicas
      rs.replicas = action.replicas
      if (growing) rs.readyAt = x.clock + (x.availabilityDelayMs?.(rs.name, action.replicas) ?? 0)
      else rs.availableReplicas = Math.min(rs.availableReplicas, action.replicas)
      return true
    }
    case 'setScaleDownDeadline': {
      const rs = namedSet(x, action.name)
      if (!rs) return false
      if (action.deadline) rs.scaleDownDeadline = action.deadline
      else delete rs.scaleDownDeadline
      return true
    }
    case 'switchService':
      await pointService(x.kube, x.namespace, action.service, action.podTemplateHash, x.name)
      return true
    case 'setTraffic': {
      let changed = false
      for (const router of x.routers) {
        const changes = await router.apply(action.desired)
        if (changes.some((c) => c.result !== 'unchanged')) changed = true
      }
      return changed
    }
    case 'evictPod':
      return false
    case 'deleteReplicaSet': {
      const rs = namedSet(x, action.name)
      if (!rs) return false
      x.sets.delete(rs.podTemplateHash)
      return true
    }
  }
}

function namedSet(x: Executor, name: string): SimReplicaSet | undefined {
  return [...x.sets.values()].find((r) => r.name === name)
}

async function pointService(kube: MemoryKube, namespace: string, service: string, hash: string, rollout: string): Promise<void> {
  await kube.mergePatch(
    { apiVersion: 'v1', kind: 'Service', namespace, name: service },
    { metadata: { annotations: { [MANAGED_BY_ANNOTATION]: rollout } }, spec: { selector: { [POD_TEMPLATE_HASH_LABEL]: hash } } },
  )
}

async function readServices(kube: MemoryKube, rollout: Rollout): Promise<ObservedService[]> {
  const canary = rollout.spec.strategy?.canary
  const out: ObservedService[] = []
  for (const name of [canary?.canaryService, canary?.stableService]) {
    if (!name) continue
    const service = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace: rollout.metadata.namespace ?? 'default', name })
    if (!service) continue
    const spec = (service.spec ?? {}) as { selector?: Record<string, string> }
    out.push({ name, selector: spec.selector ?? {}, annotations: service.metadata.annotations ?? {} })
  }
  return out
}

/** The object as a reader wants to see it: without server bookkeeping. */
function presentable(object: KubeObject): KubeObject {
  const { resourceVersion: _rv, uid: _uid, generation: _g, creationTimestamp: _c, managedFields: _m, ...metadata } = object.metadata
  return { ...object, metadata }
}
