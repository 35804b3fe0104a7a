// ---------------------------------------------------------------------------------------------------
// 1-2. Invalid spec, and the start of an update

import type { FieldError } from '../api/field-error.ts'
import { formatFieldError } from '../api/field-error.ts'
import type { CanaryStep, Rollout, RolloutStatus } from '../api/rollout.ts'
import type { RolloutAction, RolloutEvent, RolloutPlan } from './actions.ts'
import { getCondition, setCondition } from './conditions.ts'
import type { ObservedReplicaSet, ObservedRollout } from './observed.ts'
import type { Pass, PlanOptions } from './pass.ts'
import { isFullyPromoted } from './pass.ts'
import { buildReplicaSet } from './replica-sets.ts'

/**
 * How long a Rollout whose only problems are missing references keeps waiting for them quietly (ms;
 * 0 when it should report them). The grace runs from the later of the creation time and
 * `specSeenAt`; a Rollout already reported invalid gets none (its status stays as it is).
 *   created 2 s ago, Service missing, grace 5 s            → 3000
 *   created 1 h ago, spec seen 1 s ago, VirtualService missing → 4000
 *   created 2 s ago, Service missing and a bad setWeight     → 0 (not only missing references)
 */
export function missingReferenceGraceLeft(observed: ObservedRollout, errors: readonly FieldError[], now: Date, options: Required<PlanOptions>): number {
  if (!errors.every((e) => e.kind === 'not-found')) return 0
  if (getCondition(observed.rollout.status ?? {}, 'InvalidSpec')) return 0
  const created = Date.parse(observed.rollout.metadata.creationTimestamp ?? '')
  const start = Math.max(Number.isNaN(created) ? 0 : created, observed.specSeenAt?.getTime() ?? 0)
  return Math.max(0, start + options.missingReferenceGraceMs - now.getTime())
}

export function invalidPlan(rollout: Rollout, status: RolloutStatus, errors: FieldError[], now: Date, options: Required<PlanOptions>): RolloutPlan {
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
export function recordedReplicaSet(observed: ObservedRollout): ObservedReplicaSet | undefined {
  const { rollout } = observed
  const recorded = rollout.status?.currentPodHash
  if (!recorded || rollout.status?.observedGeneration !== String(rollout.metadata.generation ?? 0)) return undefined
  return observed.replicaSets.find((rs) => rs.podTemplateHash === recorded)
}

export function nextRevision(replicaSets: readonly ObservedReplicaSet[]): number {
  return Math.max(0, ...replicaSets.map((rs) => rs.revision)) + 1
}

/** A new template or new steps: the update starts over from the first step (spec §2.6). */
export function startUpdate(
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

export function settleFlags(pass: Pass): void {
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
