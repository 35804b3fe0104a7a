// ---------------------------------------------------------------------------------------------------
// 8. Counts, conditions and phase (spec §6)

import type { RolloutStatus } from '../api/rollout.ts'
import { canonicalJson, jsonEqual } from '../kube/json.ts'
import { getCondition, setCondition } from './conditions.ts'
import type { Pass } from './pass.ts'
import { isAborted, isFullyPromoted } from './pass.ts'
import { verificationMessage } from './traffic.ts'

export function finishStatus(pass: Pass): void {
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
    const deadlineSeconds = pass.progressDeadlineSeconds
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

/** True when two statuses differ in anything but the timestamps of unchanged conditions. */
export function statusChanged(before: RolloutStatus | undefined, after: RolloutStatus): boolean {
  return !jsonEqual(JSON.parse(canonicalJson(before ?? {})), JSON.parse(canonicalJson(after)))
}
