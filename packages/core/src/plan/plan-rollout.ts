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
import type { FieldError } from '../api/field-error.ts'
import { formatFieldError } from '../api/field-error.ts'
import { cloneJson } from '../kube/json.ts'
import { resolveCanary } from '../spec/defaults.ts'
import { legacyStepsHash, podTemplateHash, stepsHash } from '../spec/hash.ts'
import { validateRollout } from '../validation/validate-rollout.ts'
import type { RolloutEvent, RolloutPlan } from './actions.ts'
import { getCondition, removeCondition, setCondition } from './conditions.ts'
import { planHistoryCleanup } from './history.ts'
import type { ObservedRollout } from './observed.ts'
import type { Pass, PlanOptions } from './pass.ts'
import { buildReplicaSet, findReplicaSetFor } from './replica-sets.ts'
import { planRestart } from './restart.ts'
import { planScaling } from './scaling.ts'
import { planServices } from './services.ts'
import { invalidPlan, missingReferenceGraceLeft, nextRevision, recordedReplicaSet, settleFlags, startUpdate } from './start-update.ts'
import { finishStatus } from './status.ts'
import { planSteps } from './step-progress.ts'
import { isCanaryServiceFault, planTraffic } from './traffic.ts'
import { validateServiceReferences } from './validate-references.ts'


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

  const spec = resolveCanary(rollout)
  const { canary, replicas, maxWeight, steps, maxSurge, maxUnavailable } = spec

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
    trafficRouted: spec.trafficRouted,
    dynamic: spec.dynamicStableScale,
    maxSurge,
    maxUnavailable,
    scaleDownDelaySeconds: spec.scaleDownDelaySeconds,
    abortScaleDownDelaySeconds: spec.abortScaleDownDelaySeconds,
    progressDeadlineSeconds: spec.progressDeadlineSeconds,
    revisionHistoryLimit: spec.revisionHistoryLimit,
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
