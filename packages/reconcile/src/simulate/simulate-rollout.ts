/**
 * Runs a whole update in memory: each pass is the controller's own pass (`observeRollout`,
 * `planRollout`, `executePlan`) over an in-memory API, with the real traffic routers. What `sluice
 * plan` prints, and what the property tests drive with random timings.
 *
 * The world it simulates: the Rollout's template is the new revision; the stable revision is an
 * earlier one, fully available, that the controller finished rolling out (Services point at it and
 * the routers carry its steady state); pods become available when `availability` says (at once by
 * default); pauses are promoted or elapse; scale-down delays elapse.
 */
import {
  buildReplicaSet,
  cloneJson,
  describeStep,
  planRollout,
  POD_TEMPLATE_HASH_LABEL,
  podTemplateHash,
  resolveCanary,
  statusChanged,
  stepsHash,
  validateRollout,
  validateServiceReferences,
} from '@sluice/core'
import type {
  DesiredTraffic,
  FieldError,
  KubeObject,
  ObservedRollout,
  PodTemplateSpec,
  Rollout,
  RolloutPhase,
  RolloutPlan,
  RolloutStatus,
  RouterCapabilityMap,
  RouterTarget,
  TrafficRouter,
} from '@sluice/core'
import { createMemoryKube } from '@sluice/kube/memory'
import type { MemoryKube } from '@sluice/kube/memory'
import { executeAction } from '../execute-action.ts'
import { executePlan } from '../execute-plan.ts'
import { observeRollout, readServices, validateRouters } from '../observe-rollout.ts'
import { SimulatedReplicaSets } from './simulated-cluster.ts'

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

  const referenceErrors = [...validateServiceReferences(rollout, await readServices(kube, rollout)), ...(await validateRouters(routers))]
  if (referenceErrors.length > 0) throw new SimulationError(`Rollout ${namespace}/${name} references objects that are missing or do not fit`, referenceErrors)

  // The stable revision: an earlier template, fully rolled out by the controller (its ReplicaSet,
  // the Services pointing at it, the routers carrying its steady state), written by the executor.
  const previousTemplate: PodTemplateSpec = {
    ...(rollout.spec.template ?? {}),
    metadata: { ...(rollout.spec.template?.metadata ?? {}), annotations: { ...(rollout.spec.template?.metadata?.annotations ?? {}), 'sluice.io/plan-revision': 'stable' } },
  }
  const stableHash = podTemplateHash(previousTemplate)
  let clock = (input.start ?? new Date('2026-01-01T00:00:00Z')).getTime()
  const replicaSets = new SimulatedReplicaSets(kube, namespace, input.availabilityDelayMs)
  const stableRS = buildReplicaSet(rollout, stableHash, 1)
  await replicaSets.addReady({ ...stableRS, spec: { ...(stableRS.spec as object), replicas, template: previousTemplate } }, clock)
  const world = { kube, routers, evict: async () => false }
  for (const service of new Set([canary.canaryService, canary.stableService])) {
    if (service) await executeAction(rollout, { type: 'switchService', service, from: undefined, podTemplateHash: stableHash }, world)
  }
  const steady: DesiredTraffic = {
    canary: { weight: 0, podTemplateHash: stableHash, ...(canary.canaryService ? { serviceName: canary.canaryService } : {}) },
    stable: { weight: maxWeight, podTemplateHash: stableHash, ...(canary.stableService ? { serviceName: canary.stableService } : {}) },
    additional: [],
    maxWeight,
    headerRoutes: [],
    mirrorRoutes: [],
  }
  if (trafficRouted) await executeAction(rollout, { type: 'setTraffic', desired: steady }, world)
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
    const canaryRS = await replicaSets.byHash(status.currentPodHash)
    const stable = await replicaSets.byHash(stableHash)
    const weights = status.canary?.weights
    const observedRoutes = trafficRouted && routers.length > 0 ? await routers[0]?.observe() : undefined
    return {
      index,
      step,
      phase,
      canary: { replicas: canaryRS?.spec?.replicas ?? 0, weight: weights ? weights.canary.weight : null },
      stable: { replicas: stable?.spec?.replicas ?? 0, weight: weights ? weights.stable.weight : null },
      headerRoutes: observedRoutes?.headerRoutes ?? [],
      mirrorRoutes: observedRoutes?.mirrorRoutes ?? [],
      // The Services and mesh objects; the ReplicaSets are the canary and stable counts above.
      resources: kube
        .all()
        .filter((o) => o.kind !== 'ReplicaSet')
        .map(presentable),
    }
  }

  for (let passes = 0; ; passes++) {
    if (passes >= maxPasses) {
      throw new SimulationError(`the rollout did not settle after ${maxPasses} planning passes (last status: ${status.phase ?? '?'} ${status.message ?? ''})`)
    }
    const now = new Date(clock)
    await replicaSets.advance(clock)
    const current: Rollout = { ...rollout, status: cloneJson(status) }
    const observed: ObservedRollout = await observeRollout({ rollout: current, replicaSets: await replicaSets.list(), kube, routers, capabilities: input.routerCapabilities })
    const plan = planRollout(observed, now)
    input.onPass?.({ now, observed, plan })
    const executed = await executePlan(observed, plan, { ...world, now })
    if (executed.failed) throw executed.failed.error
    await replicaSets.noteWrites(clock)
    const changed = statusChanged(status, executed.plan.status)
    const before = status
    status = executed.plan.status
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

    if (executed.acted || changed) continue
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
    const next = [...replicaSets.waiting(clock), ...(executed.plan.requeueAfterMs !== undefined ? [executed.plan.requeueAfterMs] : [])].filter((ms) => ms > 0)
    const settled = aborted ? await isAbortSettled(status, replicaSets) : await isPromotedAndClean(status, replicaSets)
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

async function isPromotedAndClean(status: RolloutStatus, replicaSets: SimulatedReplicaSets): Promise<boolean> {
  if (status.stableRS !== status.currentPodHash || status.phase !== 'Healthy') return false
  return (await replicaSets.list()).every((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === status.currentPodHash || (rs.spec?.replicas ?? 0) === 0)
}

async function isAbortSettled(status: RolloutStatus, replicaSets: SimulatedReplicaSets): Promise<boolean> {
  const canary = await replicaSets.byHash(status.currentPodHash)
  return status.phase === 'Degraded' && (canary?.spec?.replicas ?? 0) === 0
}

/** The object as a reader wants to see it: without server bookkeeping. */
function presentable(object: KubeObject): KubeObject {
  const { resourceVersion: _rv, uid: _uid, generation: _g, creationTimestamp: _c, managedFields: _m, ...metadata } = object.metadata
  return { ...object, metadata }
}
