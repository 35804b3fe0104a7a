/**
 * The step machine: from what was observed and the time, the actions to take next, the new status
 * and when to look again. Level-based and pure: every call recomputes everything from its input, so
 * a crash, a lost event or a conflict only costs another call.
 *
 * One call does, in this order (spec §0, §8):
 *   1. validate the spec and the referenced objects (an invalid Rollout gets InvalidSpec, no action);
 *   2. on a new template or new steps, reset the update (and create the new ReplicaSet);
 *   3. restart pods created before spec.restartAt, a few at a time;
 *   4. point the stable and canary Services at the right pods;
 *   5. decide the traffic split and the managed routes (weight follows capacity, never weight an
 *      empty canary, the stable must have the pods for the traffic it gets);
 *   6. scale at most one ReplicaSet (stable first, then canary, then older ones, with scale-down delays),
 *      and delete old ReplicaSets without pods beyond spec.revisionHistoryLimit;
 *   7. handle pauses, advance at most one step, promote or settle an abort;
 *   8. derive counts, conditions and phase.
 */
import { canonicalJson, cloneJson, jsonEqual } from '../kube/json.ts'
import {
  basicCanaryReplicas,
  isCanaryProgressMet,
  podsForWeight,
  trafficRoutedReplicas,
} from '../replicas/canary-replicas.ts'
import type { ReplicaCounts } from '../replicas/canary-replicas.ts'
import { resolveSurgeAndUnavailable } from '../replicas/surge.ts'
import { abortWeight, gradualAbortWeight } from '../traffic/abort-weight.ts'
import type { DesiredTraffic, HeaderRoute, MirrorRoute } from '../traffic/traffic-router.ts'
import type { FieldError } from '../api/field-error.ts'
import { formatFieldError } from '../api/field-error.ts'
import { configuredRouters, validateRollout } from '../validation/validate-rollout.ts'
import { validateServiceReferences } from './validate-references.ts'
import type { RolloutAction, RolloutEvent, RolloutPlan } from './actions.ts'
import { getCondition, removeCondition, setCondition } from './conditions.ts'
import { parseDuration } from '../spec/duration.ts'
import { legacyStepsHash, podTemplateHash, stepsHash } from '../spec/hash.ts'
import type { ObservedReplicaSet, ObservedRollout, ObservedService } from './observed.ts'
import { buildReplicaSet, findReplicaSetFor } from './replica-sets.ts'
import { argoStepString, canaryScaleAt, currentStep, managedRoutesAt, setWeightAt, setWeightBefore } from '../spec/steps.ts'
import type { CanaryStep, CanaryStrategy, Rollout, RolloutStatus, TrafficWeights } from '../api/rollout.ts'
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from '../api/labels.ts'

export interface PlanOptions {
  /** How long to wait before asking a router again whether a weight is in effect. Default 10 s. */
  verifyRetryMs?: number
  /** How often an invalid Rollout is looked at again (referenced objects may appear). Default 20 s. */
  invalidSpecRetryMs?: number
  /** How often a pending restart is looked at again. Default 10 s. */
  restartRetryMs?: number
  /**
   * How long after the Rollout's creation, or the controller first seeing its current spec, a
   * missing Service or mesh object is waited for quietly (no InvalidSpec, no Degraded) before it is
   * reported: `kubectl apply -f` of one file may create the Rollout before its Services. Default 5 s.
   */
  missingReferenceGraceMs?: number
}

const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30
const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
const DEFAULT_REVISION_HISTORY_LIMIT = 10

/** Everything one planning pass works with, resolved once. */
interface Pass {
  observed: ObservedRollout
  rollout: Rollout
  now: Date
  options: Required<PlanOptions>
  prev: RolloutStatus
  status: RolloutStatus
  actions: RolloutAction[]
  events: RolloutEvent[]
  requeue: number[]

  canary: CanaryStrategy
  /** spec.replicas (R), 1 when unset. */
  replicas: number
  /** The weight scale (W). */
  maxWeight: number
  steps: CanaryStep[]
  trafficRouted: boolean
  dynamic: boolean
  maxSurge: number
  maxUnavailable: number

  currentHash: string
  newRS: ObservedReplicaSet
  stableRS: ObservedReplicaSet | undefined
  /** Owned ReplicaSets that are neither the canary nor the stable. */
  older: ObservedReplicaSet[]

  /** Weights recorded before this pass (what the routers carry, as far as we know). */
  recorded: TrafficWeights | undefined
  /** Weights after this pass (changed when this pass writes traffic). */
  weights: TrafficWeights | undefined
  /** True when this pass asks the routers to carry the traffic state (all gates passed). */
  trafficWritten: boolean
  /** Set by the traffic phase when the canary Service cannot take traffic (its weight is held at 0). */
  canaryFault?: CanaryServiceFault
}

export function planRollout(observed: ObservedRollout, now: Date, planOptions: PlanOptions = {}): RolloutPlan {
  const options: Required<PlanOptions> = {
    verifyRetryMs: planOptions.verifyRetryMs ?? 10_000,
    invalidSpecRetryMs: planOptions.invalidSpecRetryMs ?? 20_000,
    restartRetryMs: planOptions.restartRetryMs ?? 10_000,
    missingReferenceGraceMs: planOptions.missingReferenceGraceMs ?? 5000,
  }
  const rollout = observed.rollout
  const prev = rollout.status ?? {}
  const status = cloneJson(prev)
  status.observedGeneration = String(rollout.metadata.generation ?? 0)
  const events: RolloutEvent[] = []

  const errors: FieldError[] = [
    ...validateRollout(rollout, { routers: observed.routerCapabilities }),
    ...validateServiceReferences(rollout, observed.services).filter((e) => !isCanaryServiceFault(rollout, e)),
    ...(observed.routerErrors ?? []),
  ]
  if (errors.length > 0) {
    const graceLeft = missingReferenceGraceLeft(observed, errors, now, options)
    if (graceLeft > 0) return { actions: [], status: cloneJson(prev), events: [], requeueAfterMs: graceLeft, missingReferences: errors.map(formatFieldError) }
    return invalidPlan(rollout, status, errors, now, options)
  }
  if (getCondition(status, 'InvalidSpec')) {
    removeCondition(status, 'InvalidSpec')
    events.push({ type: 'Normal', reason: 'SpecValid', message: 'The Rollout is valid again' })
  }

  const canary = rollout.spec.strategy?.canary ?? {}
  const replicas = rollout.spec.replicas ?? 1
  const maxWeight = canary.trafficRouting?.maxTrafficWeight ?? 100
  const steps = canary.steps ?? []
  const { maxSurge, maxUnavailable } = resolveSurgeAndUnavailable(replicas, canary.maxSurge, canary.maxUnavailable)

  const computedHash = podTemplateHash(rollout.spec.template, status.collisionCount)
  const newRS =
    recordedReplicaSet(observed) ?? findReplicaSetFor(observed.replicaSets, computedHash, rollout.spec.template, [canary.canaryMetadata, canary.stableMetadata])
  const currentHash = newRS?.podTemplateHash ?? computedHash
  const currentStepsHash = stepsHash(canary.steps)
  if (prev.currentStepHash !== currentStepsHash && prev.currentStepHash === legacyStepsHash(canary.steps)) status.currentStepHash = currentStepsHash

  if (prev.currentPodHash !== currentHash || status.currentStepHash !== currentStepsHash) {
    return startUpdate(observed, status, events, now, { currentHash, currentStepsHash, newRS, steps, replicas })
  }
  if (!newRS) {
    const revision = nextRevision(observed.replicaSets)
    const replicaSet = buildReplicaSet(rollout, currentHash, revision)
    events.push({ type: 'Normal', reason: 'NewReplicaSetCreated', message: `Created ReplicaSet ${replicaSet.metadata.name} (revision ${revision})` })
    setCondition(status, now, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${replicaSet.metadata.name}"` }, true)
    return { actions: [{ type: 'createReplicaSet', replicaSet }], status, events }
  }

  const stableRS = prev.stableRS ? observed.replicaSets.find((rs) => rs.podTemplateHash === prev.stableRS) : undefined
  const pass: Pass = {
    observed,
    rollout,
    now,
    options,
    prev,
    status,
    actions: [],
    events,
    requeue: [],
    canary,
    replicas,
    maxWeight,
    steps,
    trafficRouted: canary.trafficRouting !== undefined,
    dynamic: canary.dynamicStableScale === true,
    maxSurge,
    maxUnavailable,
    currentHash,
    newRS,
    stableRS,
    older: observed.replicaSets.filter((rs) => rs !== newRS && rs !== stableRS),
    recorded: prev.canary?.weights,
    weights: prev.canary?.weights,
    trafficWritten: false,
  }

  settleFlags(pass)
  const restarting = planRestart(pass)
  planServices(pass)
  if (pass.trafficRouted) planTraffic(pass)
  else if (status.canary?.weights) delete status.canary.weights
  if (!restarting) planScaling(pass)
  planHistoryCleanup(pass)
  planSteps(pass)
  finishStatus(pass)

  const requeueAfterMs = pass.requeue.length > 0 ? Math.max(0, Math.min(...pass.requeue)) : undefined
  const plan: RolloutPlan = { actions: pass.actions, status, events }
  if (requeueAfterMs !== undefined) plan.requeueAfterMs = requeueAfterMs
  return plan
}

// ---------------------------------------------------------------------------------------------------
// 1-2. Invalid spec, and the start of an update

/**
 * How long a Rollout whose only problems are missing references keeps waiting for them quietly (ms;
 * 0 when it should report them). The grace runs from the later of the creation time and
 * `specSeenAt`; a Rollout already reported invalid gets none (its status stays as it is).
 *   created 2 s ago, Service missing, grace 5 s            → 3000
 *   created 1 h ago, spec seen 1 s ago, VirtualService missing → 4000
 *   created 2 s ago, Service missing and a bad setWeight     → 0 (not only missing references)
 */
function missingReferenceGraceLeft(observed: ObservedRollout, errors: readonly FieldError[], now: Date, options: Required<PlanOptions>): number {
  if (!errors.every((e) => e.kind === 'not-found')) return 0
  if (getCondition(observed.rollout.status ?? {}, 'InvalidSpec')) return 0
  const created = Date.parse(observed.rollout.metadata.creationTimestamp ?? '')
  const start = Math.max(Number.isNaN(created) ? 0 : created, observed.specSeenAt?.getTime() ?? 0)
  return Math.max(0, start + options.missingReferenceGraceMs - now.getTime())
}

function invalidPlan(rollout: Rollout, status: RolloutStatus, errors: FieldError[], now: Date, options: Required<PlanOptions>): RolloutPlan {
  const first = formatFieldError(errors[0] as FieldError)
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more: ${errors.slice(1).map(formatFieldError).join('; ')})` : ''
  const message = `The Rollout "${rollout.metadata.name}" is invalid: ${first}${more}`
  const previous = getCondition(status, 'InvalidSpec')
  setCondition(status, now, { type: 'InvalidSpec', status: 'True', reason: 'InvalidSpec', message })
  status.phase = 'Degraded'
  status.message = `InvalidSpec: ${message}`
  const events: RolloutEvent[] =
    previous?.message === message ? [] : errors.map((e) => ({ type: 'Warning' as const, reason: 'InvalidSpec', message: formatFieldError(e) }))
  return { actions: [], status, events, requeueAfterMs: options.invalidSpecRetryMs }
}

/**
 * The ReplicaSet the Rollout's own status names as current, when that status is current: written for
 * this very spec (`status.observedGeneration` = `metadata.generation`, as both Sluice and Argo
 * Rollouts record it) and naming a ReplicaSet the Rollout owns. This is how a Rollout left by Argo
 * Rollouts (whose hash of the same template differs from Sluice's) keeps its ReplicaSets, its step
 * and its pause, instead of being deployed again.
 */
function recordedReplicaSet(observed: ObservedRollout): ObservedReplicaSet | undefined {
  const { rollout } = observed
  const recorded = rollout.status?.currentPodHash
  if (!recorded || rollout.status?.observedGeneration !== String(rollout.metadata.generation ?? 0)) return undefined
  return observed.replicaSets.find((rs) => rs.podTemplateHash === recorded)
}

function nextRevision(replicaSets: readonly ObservedReplicaSet[]): number {
  return Math.max(0, ...replicaSets.map((rs) => rs.revision)) + 1
}

/** A new template or new steps: the update starts over from the first step (spec §2.6). */
function startUpdate(
  observed: ObservedRollout,
  status: RolloutStatus,
  events: RolloutEvent[],
  now: Date,
  input: { currentHash: string; currentStepsHash: string; newRS: ObservedReplicaSet | undefined; steps: CanaryStep[]; replicas: number },
): RolloutPlan {
  const rollout = observed.rollout
  const templateChanged = status.currentPodHash !== input.currentHash
  status.currentPodHash = input.currentHash
  status.currentStepHash = input.currentStepsHash
  status.pauseConditions = []
  status.controllerPause = false
  delete status.abort
  delete status.abortedAt
  delete status.promoteFull
  if (rollout.spec.restartAt) status.restartedAt = rollout.spec.restartAt
  if (input.steps.length > 0) status.currentStepIndex = 0
  else delete status.currentStepIndex
  if (status.stableRS === input.currentHash && input.steps.length > 0) {
    status.currentStepIndex = input.steps.length
    events.push({ type: 'Normal', reason: 'SkipSteps', message: 'Rollback to stable ReplicaSets' })
  }
  const actions: RolloutAction[] = []
  const revision = input.newRS?.revision ?? nextRevision(observed.replicaSets)
  if (!input.newRS) {
    const replicaSet = buildReplicaSet(rollout, input.currentHash, revision)
    actions.push({ type: 'createReplicaSet', replicaSet })
    events.push({ type: 'Normal', reason: 'NewReplicaSetCreated', message: `Created ReplicaSet ${replicaSet.metadata.name} (revision ${revision})` })
  }
  if (templateChanged) {
    events.push({ type: 'Normal', reason: 'RolloutUpdated', message: `Rollout updated to revision ${revision}` })
  } else {
    events.push({ type: 'Normal', reason: 'RolloutStepsUpdated', message: 'Rollout steps changed: the update restarts from the first step' })
  }
  setCondition(status, now, { type: 'Progressing', status: 'True', reason: 'RolloutUpdated', message: `Rollout is updating to revision ${revision}` }, true)
  const completed = status.stableRS === input.currentHash
  setCondition(status, now, { type: 'Completed', status: completed ? 'True' : 'False', reason: 'RolloutCompleted', message: 'RolloutCompleted' })
  status.phase = 'Progressing'
  status.message = 'more replicas need to be updated'
  return { actions, status, events }
}

// ---------------------------------------------------------------------------------------------------
// Flags: abort, promoteFull, retry

function isFullyPromoted(pass: Pass): boolean {
  return pass.status.stableRS === pass.currentHash
}

function settleFlags(pass: Pass): void {
  const { status, now, events } = pass
  if (isFullyPromoted(pass)) {
    if (status.abort) events.push({ type: 'Normal', reason: 'AbortIgnored', message: 'The Rollout is fully promoted: nothing to abort' })
    delete status.abort
    delete status.abortedAt
    delete status.promoteFull
  }
  if (status.abort) {
    if (!status.abortedAt) {
      status.abortedAt = now.toISOString()
      events.push({ type: 'Warning', reason: 'RolloutAborted', message: `Rollout aborted update to revision ${pass.newRS.revision}` })
    }
    status.pauseConditions = []
    status.controllerPause = false
    delete status.promoteFull
  } else if (status.abortedAt) {
    // abortedAt outlives abort only when someone cleared abort: a retry.
    delete status.abortedAt
    events.push({ type: 'Normal', reason: 'RolloutRetry', message: 'Retrying Rollout after abort' })
    setCondition(status, now, { type: 'Progressing', status: 'Unknown', reason: 'RolloutRetry', message: 'Retrying Rollout after abort' }, true)
  }
  if (status.promoteFull) {
    status.pauseConditions = []
    status.controllerPause = false
  }
}

const isAborted = (pass: Pass) => pass.status.abort === true

// ---------------------------------------------------------------------------------------------------
// 3. Restart

/** Evicts pods created before spec.restartAt, at most max(maxUnavailable, 1) at a time. Returns true while pods are being evicted. */
function planRestart(pass: Pass): boolean {
  const restartAt = pass.rollout.spec.restartAt
  if (!restartAt || restartAt === pass.status.restartedAt) return false
  const at = Date.parse(restartAt)
  if (at > pass.now.getTime()) {
    pass.requeue.push(at - pass.now.getTime())
    return false
  }
  const pods = pass.observed.pods ?? []
  const stale = pods.filter((p) => !p.terminating && Date.parse(p.createdAt) < at).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  const terminating = pods.filter((p) => p.terminating).length
  if (stale.length === 0) {
    if (terminating === 0) {
      pass.status.restartedAt = restartAt
      pass.events.push({ type: 'Normal', reason: 'RolloutRestarted', message: `Restarted every pod created before ${restartAt}` })
    } else {
      pass.requeue.push(pass.options.restartRetryMs)
    }
    return false
  }
  const all = pass.observed.replicaSets
  const available = all.reduce((n, rs) => n + rs.availableReplicas, 0)
  const specTotal = all.reduce((n, rs) => n + rs.replicas, 0)
  const concurrency = Math.max(pass.maxUnavailable, 1)
  const budget = Math.min(concurrency - terminating, available - (Math.max(pass.replicas, specTotal) - concurrency))
  for (const pod of stale.slice(0, Math.max(0, budget))) pass.actions.push({ type: 'evictPod', name: pod.name })
  pass.requeue.push(pass.options.restartRetryMs)
  return true
}

// ---------------------------------------------------------------------------------------------------
// 4. Services (spec §4.2): the target of each Service is decided once per pass.

function planServices(pass: Pass): void {
  const { canary } = pass
  if (canary.stableService && pass.stableRS) switchService(pass, canary.stableService, pass.stableRS, true)
  if (!canary.canaryService) return
  const target = canaryServiceTarget(pass)
  if (target) switchService(pass, canary.canaryService, target.rs, target.checkAvailability)
}

function canaryServiceTarget(pass: Pass): { rs: ObservedReplicaSet; checkAvailability: boolean } | undefined {
  if (isAborted(pass)) {
    if (!pass.stableRS) return undefined
    if (!pass.trafficRouted) return { rs: pass.stableRS, checkAvailability: true }
    // With traffic routing the canary Service goes back to stable pods without waiting for their
    // availability (readiness gates on stable pods must not block the way back), except that with
    // dynamicStableScale the stable may still be undersized: it waits until the abort leaves no weight
    // on the canary, as Argo Rollouts does. Before, Sluice never switched it back in that case.
    if (pass.dynamic && abortCanaryWeight(pass) > 0) return undefined
    return { rs: pass.stableRS, checkAvailability: false }
  }
  if (isHoldingPreviousCanary(pass)) return undefined
  return { rs: pass.newRS, checkAvailability: true }
}

function switchService(pass: Pass, name: string, rs: ObservedReplicaSet, checkAvailability: boolean): void {
  const service = pass.observed.services.find((s) => s.name === name)
  if (!service) return
  const current = service.selector[POD_TEMPLATE_HASH_LABEL]
  const managed = service.annotations[MANAGED_BY_ANNOTATION] === pass.rollout.metadata.name
  if (current === rs.podTemplateHash && managed) return
  if (pass.actions.some((a) => a.type === 'switchService' && a.service === name)) return
  if (checkAvailability) {
    if (rs.availableReplicas === 0) return // never point a Service at a ReplicaSet with no ready pod
    if (!managed && current !== rs.podTemplateHash && !isFullyAvailable(rs)) return // adopting: wait for the whole set
  }
  pass.actions.push({ type: 'switchService', service: name, from: current, podTemplateHash: rs.podTemplateHash })
  if (current !== rs.podTemplateHash) {
    pass.events.push({
      type: 'Normal',
      reason: 'SwitchService',
      message: `Switched selector for service '${name}' from '${current ?? ''}' to '${rs.podTemplateHash}'`,
    })
  }
}

function isFullyAvailable(rs: ObservedReplicaSet): boolean {
  return rs.replicas > 0 && rs.availableReplicas > 0 && rs.replicas <= rs.availableReplicas
}

/**
 * Rolling back to the stable revision with dynamicStableScale: the stable ReplicaSet was scaled down,
 * so the previous canary keeps its traffic (and the canary Service keeps pointing at it) until the
 * stable has all its pods again (Argo issue #3020).
 */
function isHoldingPreviousCanary(pass: Pass): boolean {
  const recorded = pass.recorded
  return (
    isFullyPromoted(pass) &&
    pass.trafficRouted &&
    pass.dynamic &&
    recorded !== undefined &&
    recorded.canary.weight > 0 &&
    recorded.canary.podTemplateHash !== undefined &&
    recorded.canary.podTemplateHash !== pass.currentHash &&
    pass.newRS.availableReplicas < pass.replicas
  )
}

// ---------------------------------------------------------------------------------------------------
// 5. Traffic (spec §5.1, §8.1)

interface TrafficDecision {
  canaryWeight: number
  canaryHash: string
  routes: { headerRoutes: HeaderRoute[]; mirrorRoutes: MirrorRoute[] }
}

function decideTraffic(pass: Pass): TrafficDecision {
  const { newRS, maxWeight, steps, status } = pass
  const none = { headerRoutes: [], mirrorRoutes: [] }
  if (isHoldingPreviousCanary(pass)) {
    const hash = pass.recorded?.canary.podTemplateHash ?? pass.currentHash
    const previous = pass.observed.replicaSets.find((rs) => rs.podTemplateHash === hash)
    // Never weight a canary with no ready pod, whatever else holds the weight (also during an abort:
    // availability gates must never block the way back to stable, Argo issue #4128).
    const weight = (previous?.availableReplicas ?? 0) > 0 ? (pass.recorded?.canary.weight ?? 0) : 0
    return { canaryWeight: weight, canaryHash: hash, routes: none }
  }
  if (isFullyPromoted(pass)) return { canaryWeight: 0, canaryHash: pass.currentHash, routes: none }
  if (isAborted(pass)) return { canaryWeight: abortCanaryWeight(pass), canaryHash: pass.currentHash, routes: none }
  if (newRS.availableReplicas === 0) return { canaryWeight: 0, canaryHash: pass.currentHash, routes: none }
  if (status.promoteFull) {
    // Move all traffic to the canary only once it has every pod; the stable Service switches after.
    const weight = pass.dynamic
      ? Math.min(maxWeight, Math.floor((maxWeight * newRS.availableReplicas) / pass.replicas))
      : newRS.availableReplicas >= pass.replicas
        ? maxWeight
        : Math.min(recordedCanaryWeight(pass), setWeightAt(steps, status.currentStepIndex ?? steps.length, maxWeight))
    return { canaryWeight: weight, canaryHash: pass.currentHash, routes: none }
  }
  const index = status.currentStepIndex ?? steps.length
  const reached = isAtStepReplicaCounts(pass)
  let weight: number
  if (!reached) {
    // Keep the previous step's weight while this step's pods come up; but never raise the weight
    // (say, back after the canary lost its pods) beyond what the available canary pods can carry.
    const previous = setWeightBefore(steps, index)
    const current = recordedCanaryWeight(pass)
    const carried = newRS.availableReplicas >= podsForWeight(previous, pass.replicas, maxWeight)
    weight = previous <= current || carried ? previous : current
  } else if (index < steps.length) weight = setWeightAt(steps, index, maxWeight)
  else weight = maxWeight // every step done (or no steps): all traffic to the canary before promotion
  const routes = managedRoutesAt(steps, index, managedRouteNames(pass))
  return { canaryWeight: weight, canaryHash: pass.currentHash, routes }
}

/** The canary weight the routers carry for *this* canary (weight recorded for other pods, e.g. before the hash moved, is not). */
function recordedCanaryWeight(pass: Pass): number {
  const recorded = pass.recorded
  return recorded && recorded.canary.podTemplateHash === pass.currentHash ? recorded.canary.weight : 0
}

function managedRouteNames(pass: Pass): string[] {
  return (pass.canary.trafficRouting?.managedRoutes ?? []).map((r) => r.name)
}

/** The canary's weight during an abort: none without an available canary pod, else as `abortWeight` decides. */
function abortCanaryWeight(pass: Pass): number {
  if (pass.newRS.availableReplicas === 0) return 0
  return abortWeight({
    replicas: pass.replicas,
    maxWeight: pass.maxWeight,
    steps: pass.steps,
    dynamicStableScale: pass.dynamic,
    canaryAvailable: pass.newRS.availableReplicas,
    stableAvailable: pass.stableRS?.availableReplicas,
    recordedCanaryWeight: pass.recorded === undefined ? undefined : recordedCanaryWeight(pass),
  })
}

function planTraffic(pass: Pass): void {
  const { stableRS, maxWeight, replicas } = pass
  const decision = decideTraffic(pass)
  let canaryWeight = Math.max(0, Math.min(maxWeight, decision.canaryWeight))
  let routes = decision.routes

  if (!stableRS) return
  const fault = canaryServiceFault(pass)
  if (fault) {
    // Whatever the step asks, nothing goes to a Service that is gone or has no ready endpoint: all
    // of it fails there. The stable capacity gate does not apply: an undersized stable (under
    // dynamicStableScale) serves some of that traffic, the missing canary none of it.
    pass.canaryFault = fault
    const heldRoutes = routes.headerRoutes.length + routes.mirrorRoutes.length
    if (canaryWeight > 0 || heldRoutes > 0) {
      const held = canaryWeight > 0 ? `canary weight ${canaryWeight} comes` : 'the managed routes come'
      pass.events.push({
        type: 'Warning',
        reason: 'CanaryServiceUnavailable',
        message: `Canary Service ${fault.service} ${fault.problem}: all traffic goes to the stable; ${held} back when the Service can take traffic again`,
      })
    }
    canaryWeight = 0
    routes = { headerRoutes: [], mirrorRoutes: [] }
  }

  // Stable capacity gate: the stable must have the pods for the traffic it is about to carry.
  const stableNeeds = Math.floor(((maxWeight - canaryWeight) * replicas) / maxWeight)
  if (!fault && stableRS.availableReplicas < stableNeeds && !stableProgressMet(pass, stableNeeds)) {
    pass.events.push({
      type: 'Normal',
      reason: 'TrafficHeld',
      message: `Holding traffic: the stable ReplicaSet ${stableRS.name} has ${stableRS.availableReplicas} available pods, ${stableNeeds} are needed for ${maxWeight - canaryWeight}/${maxWeight} of the traffic`,
    })
    return
  }
  // Routers that split by pod labels only (no Services): move a hash only onto a fully available ReplicaSet.
  if (!pass.canary.canaryService && !pass.canary.stableService) {
    const moving = [
      [decision.canaryHash, pass.recorded?.canary.podTemplateHash],
      [stableRS.podTemplateHash, pass.recorded?.stable.podTemplateHash],
    ] as const
    for (const [hash, before] of moving) {
      if (hash === before) continue
      const rs = pass.observed.replicaSets.find((r) => r.podTemplateHash === hash)
      if (rs && rs.replicas > 0 && !isFullyAvailable(rs) && !(isAborted(pass) && rs === pass.newRS)) return
    }
  }

  const desired: DesiredTraffic = {
    canary: { weight: canaryWeight, podTemplateHash: decision.canaryHash, ...(pass.canary.canaryService ? { serviceName: pass.canary.canaryService } : {}) },
    stable: { weight: maxWeight - canaryWeight, podTemplateHash: stableRS.podTemplateHash, ...(pass.canary.stableService ? { serviceName: pass.canary.stableService } : {}) },
    additional: [],
    maxWeight,
    headerRoutes: routes.headerRoutes,
    mirrorRoutes: routes.mirrorRoutes,
  }
  pass.actions.push({ type: 'setTraffic', desired })
  pass.trafficWritten = true

  const next: TrafficWeights = { canary: { ...desired.canary }, stable: { ...desired.stable } }
  const previous = pass.recorded
  const sameWeights =
    previous !== undefined &&
    previous.canary.weight === next.canary.weight &&
    previous.canary.podTemplateHash === next.canary.podTemplateHash &&
    previous.stable.weight === next.stable.weight &&
    previous.stable.podTemplateHash === next.stable.podTemplateHash
  if (hasVerifier(pass)) {
    const answer = pass.observed.weightVerification
    next.verified = sameWeights && answer !== undefined && answer.canaryWeight === next.canary.weight ? answer.verified : false
    if (!next.verified) pass.requeue.push(pass.options.verifyRetryMs)
    if (sameWeights && answer && !answer.verified) {
      // Once per distinct reason: the status message carries the current one (see computePhase).
      const message = verificationMessage(next.canary.weight, answer.reason)
      if (pass.prev.message !== message) pass.events.push({ type: 'Normal', reason: 'WeightNotVerified', message })
    }
    if (sameWeights && answer?.verified && previous?.verified !== true) {
      pass.events.push({ type: 'Normal', reason: 'WeightVerified', message: `Canary weight ${next.canary.weight} verified in the data plane` })
    }
  }
  if (!sameWeights && previous?.canary.weight !== next.canary.weight) {
    pass.events.push({
      type: 'Normal',
      reason: 'TrafficWeightUpdated',
      message: previous ? `Traffic weight updated from ${previous.canary.weight} to ${next.canary.weight}` : `Traffic weight updated to ${next.canary.weight}`,
    })
  }
  pass.weights = next
  pass.status.canary = { ...(pass.status.canary ?? {}), weights: next }
}

/** Why the canary Service cannot take traffic; `problem` finishes "canary Service web-canary …". */
interface CanaryServiceFault {
  service: string
  problem: 'not found' | 'has no ready endpoints'
}

/**
 * The canary Service's fault, if it has one now: it is gone, or it exists and its EndpointSlices
 * list no ready endpoint (known only when the application observed them: `readyEndpoints`).
 */
function canaryServiceFault(pass: Pass): CanaryServiceFault | undefined {
  const name = pass.canary.canaryService
  if (!name) return undefined
  const service = pass.observed.services.find((s) => s.name === name)
  if (!service) return { service: name, problem: 'not found' }
  if (service.readyEndpoints === 0) return { service: name, problem: 'has no ready endpoints' }
  return undefined
}

/**
 * True when `error` is a missing canary Service that the traffic phase handles instead of
 * validation: with traffic routing, once the Rollout has a stable ReplicaSet (the routers were
 * written, and may send weight to that Service), a canary Service that disappears moves the traffic
 * to the stable at once and brings it back when the Service returns. Missing before the first
 * deploy, or without traffic routing, it stays an invalid spec (after the grace).
 */
function isCanaryServiceFault(rollout: Rollout, error: FieldError): boolean {
  return (
    error.kind === 'not-found' &&
    error.path === 'spec.strategy.canary.canaryService' &&
    rollout.spec.strategy?.canary?.trafficRouting !== undefined &&
    Boolean(rollout.status?.stableRS)
  )
}

/** What the rollout waits for while a router has not confirmed its weight. */
function verificationMessage(weight: number, reason: string | undefined): string {
  return `waiting for canary weight ${weight} to be in effect: ${reason ?? 'the data plane does not show it yet'}`
}

function hasVerifier(pass: Pass): boolean {
  return configuredRouters(pass.rollout).some((name) => pass.observed.routerCapabilities[name]?.weightVerification === true)
}

function stableProgressMet(pass: Pass, needed: number): boolean {
  const threshold = pass.canary.replicaProgressThreshold
  if (!threshold || !pass.stableRS) return false
  return isCanaryProgressMet(pass.stableRS.availableReplicas, needed, needed, threshold)
}

// ---------------------------------------------------------------------------------------------------
// 6. ReplicaSet scaling (spec §3, §8.2, §8.3)

/**
 * The weight (or explicit count) the canary ReplicaSet is sized for (spec §3.1), and the traffic
 * weight the stable is sized against under dynamicStableScale. A setCanaryScale changes the canary's
 * pods, never the traffic, so it never shrinks the stable (Argo sizes the stable from the scale weight).
 */
function canarySizing(pass: Pass): { weight: number; explicit?: number; trafficWeight?: number } {
  const { status, steps, maxWeight } = pass
  if (status.promoteFull || !pass.stableRS || isFullyPromoted(pass)) return { weight: maxWeight }
  const aborted = isAborted(pass)
  if (pass.trafficRouted && !aborted) {
    const scale = canaryScaleAt(steps, status.currentStepIndex)
    const trafficWeight = setWeightAt(steps, status.currentStepIndex ?? steps.length, maxWeight)
    if (scale?.replicas !== undefined) return { weight: 0, explicit: scale.replicas, trafficWeight }
    if (scale?.weight !== undefined) return { weight: scale.weight, trafficWeight }
  }
  if (aborted) {
    if (pass.dynamic && pass.stableRS) {
      return {
        weight: gradualAbortWeight({
          replicas: pass.replicas,
          maxWeight,
          steps,
          dynamicStableScale: true,
                canaryAvailable: pass.newRS.availableReplicas,
          stableAvailable: pass.stableRS.availableReplicas,
          recordedCanaryWeight: pass.weights?.canary.weight,
        }),
      }
    }
    return { weight: 0 }
  }
  return { weight: setWeightAt(steps, status.currentStepIndex ?? steps.length, maxWeight) }
}

/** The counts the canary and stable ReplicaSets should have now; `weights` are those the routers carry. */
function desiredCounts(pass: Pass, weights: TrafficWeights | undefined): { canary: number; stable: number } {
  const sizing = canarySizing(pass)
  if (!pass.stableRS || isFullyPromoted(pass)) return { canary: pass.replicas, stable: 0 }
  if (pass.trafficRouted) {
    return trafficRoutedReplicas({
      replicas: pass.replicas,
      weight: sizing.weight,
      maxWeight: pass.maxWeight,
      ...(sizing.explicit !== undefined ? { explicitCanaryReplicas: sizing.explicit } : {}),
      ...(sizing.trafficWeight !== undefined ? { trafficWeight: sizing.trafficWeight } : {}),
      ...(pass.canary.minPodsPerReplicaSet !== undefined ? { minPodsPerReplicaSet: pass.canary.minPodsPerReplicaSet } : {}),
      dynamicStableScale: pass.dynamic,
      aborted: isAborted(pass),
      ...(weights ? { recorded: { canary: weights.canary.weight, stable: weights.stable.weight } } : {}),
    })
  }
  return basicCanaryReplicas({
    replicas: pass.replicas,
    weight: sizing.weight,
    maxWeight: pass.maxWeight,
    maxSurge: pass.maxSurge,
    maxUnavailable: pass.maxUnavailable,
    canary: counts(pass.newRS),
    stable: counts(pass.stableRS),
    otherReplicas: pass.older.reduce((n, rs) => n + rs.replicas, 0),
  })
}

const counts = (rs: ObservedReplicaSet | undefined): ReplicaCounts | undefined => (rs ? { replicas: rs.replicas, available: rs.availableReplicas } : undefined)

/**
 * "Has the current step's pod count been reached?" (spec §3.4): the canary has exactly its desired
 * pods, all available (or the progress threshold is met), and the stable has its pods created.
 */
function isAtStepReplicaCounts(pass: Pass): boolean {
  const desired = desiredCounts(pass, undefined)
  const { newRS, stableRS } = pass
  if (!isCanaryProgressMet(newRS.availableReplicas, desired.canary, newRS.replicas, pass.canary.replicaProgressThreshold)) return false
  if (!pass.trafficRouted || !pass.dynamic) {
    const stableReplicas = stableRS?.replicas ?? 0
    const stableCurrent = stableRS?.currentReplicas ?? 0
    if (stableRS && (stableReplicas !== desired.stable || stableCurrent !== desired.stable)) return false
  }
  if (!pass.trafficRouted && pass.older.some((rs) => rs.availableReplicas > 0)) return false
  return true
}

function scale(pass: Pass, rs: ObservedReplicaSet, replicas: number, why?: string): void {
  pass.actions.push({ type: 'scaleReplicaSet', name: rs.name, from: rs.replicas, replicas, rolloutReplicas: pass.replicas, ...(why ? { why } : {}) })
  const direction = replicas > rs.replicas ? 'up' : 'down'
  pass.events.push({
    type: 'Normal',
    reason: 'ScalingReplicaSet',
    message: `Scaled ${direction} ReplicaSet ${rs.name} (revision ${rs.revision}) from ${rs.replicas} to ${replicas}`,
  })
}

function planScaling(pass: Pass): void {
  if (pass.rollout.spec.paused && !isAborted(pass)) return // manual pause halts scaling (not an abort)
  const { newRS, stableRS } = pass

  // Stable: sized from the weights recorded before this pass, so it shrinks only after the routers
  // took traffic off it (and, with weight verification, only after the data plane confirmed it).
  if (stableRS && !isFullyPromoted(pass)) {
    let stableTarget = desiredCounts(pass, pass.recorded).stable
    if (pass.trafficRouted && pass.dynamic && pass.recorded?.verified === false) stableTarget = Math.max(stableTarget, stableRS.replicas)
    if (stableTarget !== stableRS.replicas) {
      scale(pass, stableRS, stableTarget)
      return
    }
  }

  // Canary: sized from the weights of this pass.
  if (isAborted(pass) && pass.trafficRouted) {
    if (planAbortedCanary(pass)) return
  } else {
    const canaryTarget = desiredCounts(pass, pass.weights).canary
    if (canaryTarget !== newRS.replicas) {
      scale(pass, newRS, canaryTarget)
      return
    }
    if (newRS.scaleDownDeadline) pass.actions.push({ type: 'setScaleDownDeadline', name: newRS.name, deadline: null })
  }
  planOlderReplicaSets(pass)
}

/**
 * The canary of an aborted update keeps its pods until no traffic is left on it and the stable has
 * all its pods, then for abortScaleDownDelaySeconds (default 30 s; 0 keeps them), and only then goes
 * to 0. With dynamicStableScale and no explicit delay it shrinks as traffic leaves it instead.
 * Returns true when it acted on the canary.
 */
function planAbortedCanary(pass: Pass): boolean {
  const { newRS, stableRS, now } = pass
  const canaryWeight = pass.weights?.canary.weight ?? 0
  const explicitDelay = pass.canary.abortScaleDownDelaySeconds
  if (pass.dynamic && explicitDelay === undefined) {
    const target = desiredCounts(pass, pass.weights).canary
    if (target < newRS.replicas && podsForWeight(canaryWeight, pass.replicas, pass.maxWeight) > target) return false
    if (target !== newRS.replicas) {
      scale(pass, newRS, target, 'update aborted')
      return true
    }
    return false
  }
  if (explicitDelay === 0 || newRS.replicas === 0) return false
  if (canaryWeight > 0 || !stableRS || stableRS.availableReplicas < pass.replicas) return false
  const delaySeconds = explicitDelay ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS
  if (!newRS.scaleDownDeadline) {
    const deadline = new Date(now.getTime() + delaySeconds * 1000).toISOString()
    pass.actions.push({ type: 'setScaleDownDeadline', name: newRS.name, deadline })
    pass.requeue.push(delaySeconds * 1000)
    return true
  }
  const left = Date.parse(newRS.scaleDownDeadline) - now.getTime()
  if (left > 0) {
    pass.requeue.push(left)
    return false
  }
  scale(pass, newRS, 0, 'update aborted, scale-down delay passed')
  pass.actions.push({ type: 'setScaleDownDeadline', name: newRS.name, deadline: null })
  return true
}

/** The hashes still in use: never scale those ReplicaSets down (spec §8.3.3). */
function referencedHashes(pass: Pass): Set<string> {
  const hashes = new Set<string>([pass.currentHash])
  if (pass.status.stableRS) hashes.add(pass.status.stableRS)
  for (const w of [pass.recorded, pass.weights]) {
    if (w?.canary.podTemplateHash && w.canary.weight > 0) hashes.add(w.canary.podTemplateHash)
    if (w?.stable.podTemplateHash && w.stable.weight > 0) hashes.add(w.stable.podTemplateHash)
  }
  for (const service of pass.observed.services) {
    const hash = service.selector[POD_TEMPLATE_HASH_LABEL]
    if (hash && isServiceOfRollout(pass, service)) hashes.add(hash)
  }
  return hashes
}

function isServiceOfRollout(pass: Pass, service: ObservedService): boolean {
  return service.name === pass.canary.canaryService || service.name === pass.canary.stableService
}

function planOlderReplicaSets(pass: Pass): void {
  const older = pass.older.filter((rs) => rs.replicas > 0).sort((a, b) => b.revision - a.revision)
  if (older.length === 0) return
  const referenced = referencedHashes(pass)

  if (!pass.trafficRouted) {
    // Basic canary: drain older sets (newest first) as far as availability allows; no delay, since the
    // pod ratio is the traffic split.
    const all = pass.observed.replicaSets
    const available = all.reduce((n, rs) => n + rs.availableReplicas, 0)
    const budget = available - (pass.replicas - pass.maxUnavailable)
    for (const rs of older) {
      if (referenced.has(rs.podTemplateHash)) continue
      const unavailable = rs.replicas - rs.availableReplicas
      if (unavailable > 0) {
        scale(pass, rs, rs.availableReplicas, 'removing pods that are not available')
        return
      }
      if (budget <= 0) return
      const target = Math.max(0, rs.replicas - budget)
      scale(pass, rs, target)
      return
    }
    return
  }

  // Traffic routing: an older ReplicaSet may still receive traffic while the mesh converges, so it
  // keeps its pods for scaleDownDelaySeconds (Argo gives that delay to the previous stable only and
  // drops an intermediate canary at once, issue #4534; we give it to every older set that served).
  if (pass.weights?.verified === false) return // the data plane has not confirmed the split yet
  const newRS = pass.newRS
  if (newRS.availableReplicas < Math.min(pass.replicas, newRS.replicas) && isFullyPromoted(pass)) return
  const delaySeconds = pass.canary.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS
  const limit = pass.canary.scaleDownDelayRevisionLimit
  let waiting = 0
  for (const rs of older) {
    if (referenced.has(rs.podTemplateHash)) continue
    if (pass.dynamic || delaySeconds === 0 || (limit !== undefined && waiting >= limit)) {
      scale(pass, rs, 0, pass.dynamic ? 'no traffic left (dynamicStableScale)' : 'beyond scaleDownDelayRevisionLimit')
      return
    }
    waiting += 1
    if (!rs.scaleDownDeadline) {
      const deadline = new Date(pass.now.getTime() + delaySeconds * 1000).toISOString()
      pass.actions.push({ type: 'setScaleDownDeadline', name: rs.name, deadline })
      pass.requeue.push(delaySeconds * 1000)
      continue
    }
    const left = Date.parse(rs.scaleDownDeadline) - pass.now.getTime()
    if (left > 0) {
      pass.requeue.push(left)
      continue
    }
    scale(pass, rs, 0, 'scale-down delay passed')
    pass.actions.push({ type: 'setScaleDownDeadline', name: rs.name, deadline: null })
    return
  }
}

// ---------------------------------------------------------------------------------------------------
// 7. Pauses, step progress, promotion, abort

function planSteps(pass: Pass): void {
  const { status, steps, now, events } = pass
  if (isAborted(pass)) {
    status.currentStepIndex = steps.length > 0 ? 0 : undefined
    if (status.currentStepIndex === undefined) delete status.currentStepIndex
    return
  }

  const promotion = promotionReason(pass)
  if (promotion) {
    promote(pass, promotion)
    return
  }
  if (pass.rollout.spec.paused || steps.length === 0) return
  const index = status.currentStepIndex ?? 0
  const step = currentStep(steps, index)
  if (!step) return

  if (step.pause) {
    const condition = (status.pauseConditions ?? []).find((c) => c.reason === 'CanaryPauseStep')
    if (!condition && !status.controllerPause) {
      status.pauseConditions = [...(status.pauseConditions ?? []), { reason: 'CanaryPauseStep', startTime: now.toISOString() }]
      status.controllerPause = true
      events.push({ type: 'Normal', reason: 'RolloutPaused', message: 'Rollout is paused (CanaryPauseStep)' })
      const ms = step.pause.duration === undefined ? undefined : parseDuration(step.pause.duration)
      if (ms !== undefined) pass.requeue.push(ms)
      return
    }
    if (condition) {
      const ms = step.pause.duration === undefined ? undefined : parseDuration(step.pause.duration)
      if (ms === undefined) return // indefinite: waits for promote
      const left = Date.parse(condition.startTime) + ms - now.getTime()
      if (left > 0) {
        pass.requeue.push(left)
        return
      }
    }
    // The pause elapsed, or a user removed the pause condition (promote).
    completeStep(pass, index, step)
    return
  }
  if (step.setWeight !== undefined) {
    if (!isAtStepReplicaCounts(pass)) return
    if (pass.trafficRouted && pass.replicas > 0) {
      if (!pass.trafficWritten || pass.weights?.canary.weight !== step.setWeight) return
      if (pass.weights.verified === false) return
    }
    completeStep(pass, index, step)
    return
  }
  if (step.setCanaryScale) {
    if (isAtStepReplicaCounts(pass)) completeStep(pass, index, step)
    return
  }
  if (step.setHeaderRoute || step.setMirrorRoute) {
    // The route is part of the traffic state written this pass; the step is done once it was
    // written (not while a canary Service fault keeps the routes out).
    if (pass.trafficWritten && !pass.canaryFault) completeStep(pass, index, step)
    return
  }
  // Unsupported step kinds never get here: validation rejects them.
}

function completeStep(pass: Pass, index: number, step: CanaryStep): void {
  const { status, steps } = pass
  status.currentStepIndex = Math.min(index + 1, steps.length)
  status.pauseConditions = (status.pauseConditions ?? []).filter((c) => c.reason !== 'CanaryPauseStep')
  status.controllerPause = false
  pass.events.push({ type: 'Normal', reason: 'RolloutStepCompleted', message: `Rollout step ${index + 1}/${steps.length} completed (${argoStepString(step)})` })
}

/** Why the update is promoted now, or undefined (spec §2.4). */
function promotionReason(pass: Pass): string | undefined {
  const { status, steps, newRS } = pass
  if (isFullyPromoted(pass)) return undefined
  if (!status.stableRS) return 'Initial deploy'
  if (pass.rollout.spec.paused) return undefined
  const index = status.currentStepIndex ?? steps.length
  if (!status.promoteFull && index < steps.length) return undefined
  if (newRS.availableReplicas < pass.replicas) return undefined
  if (pass.trafficRouted) {
    // All traffic must be on the canary (and confirmed, where a router verifies) before the stable
    // Service switches to it (Argo issues #1718, #3333).
    if (!pass.trafficWritten || pass.weights?.canary.weight !== pass.maxWeight) return undefined
    if (pass.weights.verified === false) return undefined
  }
  return status.promoteFull ? 'Full promotion requested' : `Completed all ${steps.length} canary steps`
}

function promote(pass: Pass, reason: string): void {
  const { status, steps } = pass
  status.stableRS = pass.currentHash
  status.pauseConditions = []
  status.controllerPause = false
  delete status.promoteFull
  if (steps.length > 0) status.currentStepIndex = steps.length
  else delete status.currentStepIndex
  pass.events.push({
    type: 'Normal',
    reason: 'RolloutCompleted',
    message: `Rollout completed update to revision ${pass.newRS.revision} (${pass.currentHash}): ${reason}`,
  })
}

// ---------------------------------------------------------------------------------------------------
// 8. Counts, conditions and phase (spec §6)

function finishStatus(pass: Pass): void {
  const { status, prev, now, rollout, newRS, replicas } = pass
  const all = pass.observed.replicaSets
  status.replicas = all.reduce((n, rs) => n + rs.currentReplicas, 0)
  status.updatedReplicas = newRS.currentReplicas
  status.readyReplicas = all.reduce((n, rs) => n + rs.readyReplicas, 0)
  status.availableReplicas = all.reduce((n, rs) => n + rs.availableReplicas, 0)
  status.HPAReplicas = status.replicas
  status.selector = Object.entries(rollout.spec.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  if ((status.pauseConditions ?? []).length === 0) delete status.pauseConditions
  if (!status.controllerPause) delete status.controllerPause
  if (status.canary && Object.keys(status.canary).length === 0) delete status.canary

  const completed = status.stableRS === pass.currentHash
  const paused = rollout.spec.paused === true || (status.pauseConditions ?? []).length > 0
  const aborted = isAborted(pass)

  setCondition(status, now, { type: 'Completed', status: completed ? 'True' : 'False', reason: 'RolloutCompleted', message: 'RolloutCompleted' })
  // Paused, as Argo Rollouts keeps it: added at the first pause, then following the pause, and left as
  // it was while the update is aborted (an abort during a pause step leaves Paused=True).
  if (!aborted && (paused || getCondition(status, 'Paused'))) {
    setCondition(status, now, {
      type: 'Paused',
      status: paused ? 'True' : 'False',
      reason: 'RolloutPaused',
      message: paused ? 'Rollout is paused' : 'Rollout is not paused',
    })
  }
  const available = (status.availableReplicas ?? 0) >= replicas
  setCondition(status, now, {
    type: 'Available',
    status: available ? 'True' : 'False',
    reason: 'AvailableReason',
    message: available ? 'Rollout has minimum availability' : 'Rollout does not have minimum availability',
  })

  const progressed =
    prev.currentStepIndex !== status.currentStepIndex ||
    prev.stableRS !== status.stableRS ||
    prev.updatedReplicas !== status.updatedReplicas ||
    prev.availableReplicas !== status.availableReplicas ||
    prev.readyReplicas !== status.readyReplicas
  // Healthy: promoted, every pod of the new revision available, traffic settled on it (and confirmed
  // where a router verifies). Without traffic routing the pod ratio is the split, so older pods must
  // be gone too; with it, older pods waiting for their scale-down delay carry no traffic.
  const weights = status.canary?.weights
  const trafficSettled =
    !pass.trafficRouted || (weights !== undefined && weights.canary.weight === 0 && weights.stable.podTemplateHash === pass.currentHash && weights.verified !== false)
  const healthy =
    !paused &&
    completed &&
    status.updatedReplicas === replicas &&
    newRS.currentReplicas === replicas &&
    newRS.availableReplicas === replicas &&
    (pass.trafficRouted || status.replicas === replicas) &&
    trafficSettled

  const progressing = getCondition(status, 'Progressing')
  if (aborted) {
    setCondition(status, now, { type: 'Progressing', status: 'False', reason: 'RolloutAborted', message: `Rollout aborted update to revision ${newRS.revision}` })
  } else if (paused && !getCondition(status, 'InvalidSpec')) {
    setCondition(status, now, { type: 'Progressing', status: 'Unknown', reason: 'RolloutPaused', message: 'Rollout is paused' })
  } else if (completed && healthy) {
    setCondition(status, now, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS.name}" has successfully progressed.` })
  } else if (progressed || !progressing || progressing.reason === 'RolloutPaused' || progressing.reason === 'RolloutAborted' || progressing.reason === 'NewReplicaSetAvailable') {
    setCondition(status, now, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS.name}" is progressing.` }, true)
  } else if (progressing.reason !== 'RolloutRetry') {
    const deadlineSeconds = rollout.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS
    const since = Date.parse(progressing.lastUpdateTime)
    const waitingOnDelay = pass.older.some((rs) => rs.replicas > 0 && rs.scaleDownDeadline)
    if (!completed && !waitingOnDelay && now.getTime() - since > deadlineSeconds * 1000) {
      if (progressing.reason !== 'ProgressDeadlineExceeded') {
        pass.events.push({ type: 'Warning', reason: 'RolloutTimedOut', message: `ReplicaSet "${newRS.name}" has timed out progressing.` })
      }
      setCondition(status, now, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${newRS.name}" has timed out progressing.` })
      if (rollout.spec.progressDeadlineAbort && !completed) {
        status.abort = true
        status.abortedAt = now.toISOString()
        pass.events.push({ type: 'Warning', reason: 'RolloutAborted', message: `Rollout aborted update to revision ${newRS.revision}: progress deadline exceeded` })
      }
    } else if (!completed && !waitingOnDelay) {
      pass.requeue.push(since + deadlineSeconds * 1000 - now.getTime() + 1000)
    }
  }
  const isHealthyNow = healthy && !aborted
  setCondition(status, now, {
    type: 'Healthy',
    status: isHealthyNow ? 'True' : 'False',
    reason: 'RolloutHealthy',
    message: isHealthyNow ? 'Rollout is healthy' : 'Rollout is not healthy',
  })

  const phase = computePhase(pass)
  status.phase = phase.phase
  status.message = phase.message
}

function computePhase(pass: Pass): { phase: NonNullable<RolloutStatus['phase']>; message: string } {
  const { status, rollout, replicas, newRS } = pass
  const progressing = getCondition(status, 'Progressing')
  if (progressing && (progressing.reason === 'RolloutAborted' || progressing.reason === 'ProgressDeadlineExceeded')) {
    return { phase: 'Degraded', message: `${progressing.reason}: ${progressing.message}` }
  }
  if (rollout.spec.paused) return { phase: 'Paused', message: 'manually paused' }
  const pause = status.pauseConditions?.[0]
  if (pause) return { phase: 'Paused', message: pause.reason }
  if (pass.canaryFault && !isFullyPromoted(pass)) {
    return { phase: 'Progressing', message: `canary Service ${pass.canaryFault.service} ${pass.canaryFault.problem}: traffic held on the stable` }
  }
  const weights = status.canary?.weights
  if (pass.trafficRouted && weights?.verified === false) {
    const answer = pass.observed.weightVerification
    return { phase: 'Progressing', message: verificationMessage(weights.canary.weight, answer?.canaryWeight === weights.canary.weight ? answer.reason : undefined) }
  }
  if (rollout.spec.restartAt && rollout.spec.restartAt !== status.restartedAt && Date.parse(rollout.spec.restartAt) <= pass.now.getTime()) {
    return { phase: 'Progressing', message: 'rollout is restarting' }
  }
  if ((status.updatedReplicas ?? 0) < replicas) return { phase: 'Progressing', message: 'more replicas need to be updated' }
  if (newRS.availableReplicas < (status.updatedReplicas ?? 0)) return { phase: 'Progressing', message: 'updated replicas are still becoming available' }
  if (!pass.trafficRouted && (status.replicas ?? 0) > (status.updatedReplicas ?? 0)) return { phase: 'Progressing', message: 'old replicas are pending termination' }
  if (!status.stableRS || status.stableRS !== status.currentPodHash) return { phase: 'Progressing', message: 'waiting for all steps to complete' }
  // Promoted, but the routers still send traffic through the canary destination: Healthy only once
  // it is back on the stable one (and the stable Service selects the new pods), so that a pipeline
  // waiting for Healthy sees the final traffic state.
  if (pass.trafficRouted && (!weights || weights.canary.weight !== 0 || weights.stable.podTemplateHash !== status.currentPodHash)) {
    return { phase: 'Progressing', message: 'waiting for the traffic to settle on the new stable' }
  }
  return { phase: 'Healthy', message: '' }
}

/**
 * Old revisions are kept as ReplicaSets scaled to 0, so that `undo` can return to them, up to
 * spec.revisionHistoryLimit (default 10) besides the canary and the stable; beyond it the oldest
 * ones are deleted (spec §8 step 5.5). Only ReplicaSets with no pod wanted and none left go, and
 * none this pass writes to, so nothing that serves or drains traffic is touched.
 */
function planHistoryCleanup(pass: Pass): void {
  const limit = pass.rollout.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT
  const excess = pass.older.length - limit
  if (excess <= 0) return
  // The newest `limit` revisions always stay; of the older ones, those still busy wait for a later pass.
  const touched = new Set(pass.actions.flatMap((a) => ('name' in a ? [a.name] : [])))
  const oldest = [...pass.older].sort((a, b) => a.revision - b.revision || a.name.localeCompare(b.name)).slice(0, excess)
  for (const rs of oldest) {
    if (rs.replicas === 0 && rs.currentReplicas === 0 && !touched.has(rs.name)) pass.actions.push({ type: 'deleteReplicaSet', name: rs.name })
  }
}

/** For tests and tools: a plan's actions without the noise of full objects. */
export function summarizeActions(actions: readonly RolloutAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'createReplicaSet':
        return `create ${a.replicaSet.metadata.name}`
      case 'scaleReplicaSet':
        return `scale ${a.name} ${a.from}→${a.replicas}`
      case 'setScaleDownDeadline':
        return a.deadline ? `deadline ${a.name} ${a.deadline}` : `clear deadline ${a.name}`
      case 'switchService':
        return `service ${a.service} → ${a.podTemplateHash}`
      case 'setTraffic':
        return `traffic ${a.desired.canary.weight}/${a.desired.stable.weight}${a.desired.headerRoutes.length + a.desired.mirrorRoutes.length > 0 ? ` routes ${[...a.desired.headerRoutes, ...a.desired.mirrorRoutes].map((r) => r.name).join(',')}` : ''}`
      case 'evictPod':
        return `evict ${a.name}`
      case 'deleteReplicaSet':
        return `delete ${a.name}`
    }
  })
}

/** True when two statuses differ in anything but the timestamps of unchanged conditions. */
export function statusChanged(before: RolloutStatus | undefined, after: RolloutStatus): boolean {
  return !jsonEqual(JSON.parse(canonicalJson(before ?? {})), JSON.parse(canonicalJson(after)))
}
