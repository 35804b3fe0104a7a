/**
 * @sluice/reconcile: one reconcile pass of a Rollout over any `KubeApi`, with the routers of a
 * registry. `observeRollout` reads what the engine needs, `planRollout` (@sluice/core) decides,
 * `executePlan` carries the actions out in order. The controller runs it over the API server's
 * caches, `sluice lint` observes with it, and `sluice plan` simulates a whole update with it over the
 * in-memory API: what `plan` previews is the code the controller runs (docs/adr/0008).
 */
export { observeRollout, readServices, validateRouters } from './observe-rollout.ts'
export type { ObserveInput } from './observe-rollout.ts'
export { executeAction } from './execute-action.ts'
export type { ActionResult, ExecuteDeps } from './execute-action.ts'
export { executePlan, terminalFieldError } from './execute-plan.ts'
export type { ExecutedPlan } from './execute-plan.ts'
export { endpointReadiness, observePod, observeReplicaSet, observeService, readyEndpoints, SERVICE_NAME_LABEL } from './observe-objects.ts'
export { simulateRollout, SimulationError } from './simulate/simulate-rollout.ts'
export type { SimulationInput, SimulationResult, SimulatedState, SimulatedPass } from './simulate/simulate-rollout.ts'
