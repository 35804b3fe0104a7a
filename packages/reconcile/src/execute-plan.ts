/**
 * The act half of a reconcile pass: the plan's actions in order, stopping at the first failure.
 * A terminal failure (a foreign object in the way, a route that is not there) cannot be helped by a
 * retry: the Rollout is planned again with it as a router error, so that it is reported like an
 * invalid spec and nothing else is done until something changes. Any other failure is handed back
 * for the host to retry; the status must then not be written (nothing is recorded that did not happen).
 */
import { AdapterError, configuredRouters, fieldError, isTerminal, planRollout, routerConfigPath } from '@sluice/core'
import type { FieldError, KubeObject, ObservedRollout, PlanOptions, RolloutAction, RolloutPlan, RouterChange, Rollout } from '@sluice/core'
import { executeAction } from './execute-action.ts'
import type { ActionResult, ExecuteDeps } from './execute-action.ts'

export interface ExecutedPlan {
  /** The plan carried out: the one given, or the re-plan after a terminal failure. */
  plan: RolloutPlan
  /** True when some action changed something. */
  acted: boolean
  /** Objects written, in order, with the resourceVersion the API server answered. */
  written: ActionResult['written']
  /** The ReplicaSets as written (for a host's write-through cache). */
  replicaSets: KubeObject[]
  /** What the routers changed, in order. */
  routerChanges: { router: string; change: RouterChange }[]
  /** The action that failed and why, when a failure was not terminal (the host retries). */
  failed?: { action: RolloutAction; error: unknown }
}

export async function executePlan(observed: ObservedRollout, plan: RolloutPlan, deps: ExecuteDeps & { now: Date; planOptions?: PlanOptions }): Promise<ExecutedPlan> {
  const { rollout } = observed
  const out: ExecutedPlan = { plan, acted: false, written: [], replicaSets: [], routerChanges: [] }
  for (const action of plan.actions) {
    try {
      const result = await executeAction(rollout, action, deps)
      if (result.changed) out.acted = true
      out.written.push(...result.written)
      out.replicaSets.push(...result.replicaSets)
      out.routerChanges.push(...result.routerChanges)
    } catch (error) {
      if (!isTerminal(error)) {
        out.failed = { action, error }
        return out
      }
      out.plan = planRollout({ ...observed, routerErrors: [...(observed.routerErrors ?? []), terminalFieldError(rollout, action.type, error)] }, deps.now, deps.planOptions)
      return out
    }
  }
  return out
}

/** A terminal failure as the field error it reports: at the router's block for traffic, else at `spec`. */
export function terminalFieldError(rollout: Rollout, action: string, error: unknown): FieldError {
  const router = error instanceof AdapterError ? error.adapter : configuredRouters(rollout)[0]
  const path = action === 'setTraffic' && router ? routerConfigPath(router) : 'spec'
  return fieldError('invalid', path, error instanceof Error ? error.message : String(error))
}
