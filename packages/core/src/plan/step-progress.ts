// ---------------------------------------------------------------------------------------------------
// 7. Pauses, step progress, promotion, abort

import type { CanaryStep } from '../api/rollout.ts'
import { parseDuration } from '../spec/duration.ts'
import { kindedStep, unhandledStepKind } from '../spec/step-kinds.ts'
import { argoStepString, currentStep } from '../spec/steps.ts'
import type { Pass } from './pass.ts'
import { isAborted, isFullyPromoted } from './pass.ts'
import { isAtStepReplicaCounts } from './scaling.ts'

export function planSteps(pass: Pass): void {
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

  const kinded = kindedStep(step)
  switch (kinded?.kind) {
    case 'pause': {
      const pause = kinded.action
      const condition = (status.pauseConditions ?? []).find((c) => c.reason === 'CanaryPauseStep')
      if (!condition && !status.controllerPause) {
        status.pauseConditions = [...(status.pauseConditions ?? []), { reason: 'CanaryPauseStep', startTime: now.toISOString() }]
        status.controllerPause = true
        events.push({ type: 'Normal', reason: 'RolloutPaused', message: 'Rollout is paused (CanaryPauseStep)' })
        const ms = pause.duration === undefined ? undefined : parseDuration(pause.duration)
        if (ms !== undefined) pass.requeue.push(ms)
        return
      }
      if (condition) {
        const ms = pause.duration === undefined ? undefined : parseDuration(pause.duration)
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
    case 'setWeight':
      if (!isAtStepReplicaCounts(pass)) return
      if (pass.trafficRouted && pass.replicas > 0) {
        if (!pass.trafficWritten || pass.weights?.canary.weight !== kinded.action) return
        if (pass.weights.verified === false) return
      }
      completeStep(pass, index, step)
      return
    case 'setCanaryScale':
      if (isAtStepReplicaCounts(pass)) completeStep(pass, index, step)
      return
    case 'setHeaderRoute':
    case 'setMirrorRoute':
      // The route is part of the traffic state written this pass; the step is done once it was
      // written (not while a canary Service fault keeps the routes out).
      if (pass.trafficWritten && !pass.canaryFault) completeStep(pass, index, step)
      return
    case undefined:
      return // Unsupported step kinds never get here: validation rejects them.
    default:
      unhandledStepKind(kinded)
  }
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
