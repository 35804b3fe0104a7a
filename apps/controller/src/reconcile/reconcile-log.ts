/**
 * What a reconcile says in the log: one info line when it changed something (acted on an object,
 * wrote the status, or warned), a debug line when it only looked. With 200 Rollouts a resync is
 * 200 passes that change nothing; at info they were 4,386 lines of noise in which the changes hid.
 */
import { describeStep } from '@sluice/core'
import type { Rollout, RolloutPlan } from '@sluice/core'
import type { Logger } from 'pino'

export interface PassOutcome {
  /** An action changed an object (a ReplicaSet, a Service, a router's object, a pod). */
  acted: boolean
  /** The Rollout's status was written. */
  statusWritten: boolean
  /** What the routers changed, `[my-mesh] HTTPProxy a/web has been updated`, for the log only (the Event is the weight change). */
  routerChanges?: readonly string[]
}

/** Logs one pass: `reconciled` at info when it changed something, else at debug. */
export function logReconcile(log: Pick<Logger, 'info' | 'debug'>, rollout: Rollout, plan: RolloutPlan, outcome: PassOutcome): void {
  const status = plan.status
  const index = status.currentStepIndex
  const steps = rollout.spec.strategy?.canary?.steps ?? []
  const warnings = plan.events.filter((e) => e.type === 'Warning')
  const fields = {
    phase: status.phase,
    step: index === undefined ? null : `${index}/${steps.length}`,
    stepName: index === undefined ? null : describeStep(steps[index]),
    weight: status.canary?.weights?.canary.weight ?? null,
    actions: plan.actions.map((a) => (a.type === 'scaleReplicaSet' && a.why ? `${a.type} (${a.why})` : a.type)),
    statusWritten: outcome.statusWritten,
    requeueAfterMs: plan.requeueAfterMs ?? null,
    ...(plan.events.length > 0 ? { events: plan.events.map((e) => e.reason) } : {}),
    ...(outcome.routerChanges && outcome.routerChanges.length > 0 ? { objects: outcome.routerChanges } : {}),
    ...(status.conditions?.find((c) => c.type === 'InvalidSpec') ? { invalid: status.message } : {}),
    ...(plan.missingReferences ? { waitingFor: plan.missingReferences } : {}),
  }
  if (outcome.acted || outcome.statusWritten || warnings.length > 0) log.info(fields, 'reconciled')
  else log.debug(fields, 'reconciled')
}
