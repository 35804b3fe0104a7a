/**
 * The observe half of a reconcile pass: what the engine needs to plan one Rollout, read through
 * whatever `KubeApi` the host has (the controller's caches, `sluice lint`'s and `sluice plan`'s
 * in-memory API). The controller, `lint` and `plan` all observe through this function.
 */
import { fieldError, isTerminal, POD_TEMPLATE_HASH_LABEL, resolveCanary, routerConfigPath } from '@sluice/core'
import type { DesiredTraffic, FieldError, KubeApi, KubeObject, ObservedRollout, ObservedService, ObservedWeightVerification, Rollout, RouterCapabilityMap, TrafficRouter } from '@sluice/core'
import { observePod, observeReplicaSet, observeService } from './observe-objects.ts'

export interface ObserveInput {
  rollout: Rollout
  /** The ReplicaSets the Rollout controls, as API objects. */
  replicaSets: readonly KubeObject[]
  kube: KubeApi
  /** The routers the Rollout configures, built by the host's registry. */
  routers: readonly TrafficRouter[]
  /** Errors of the configured routers the registry could not build (at `trafficRouting.<name>`). */
  refused?: readonly FieldError[]
  capabilities: RouterCapabilityMap
  /**
   * The ready endpoints of the canary Service, when the host watches EndpointSlices; undefined
   * otherwise (a missing canary Service is still noticed).
   */
  readyEndpoints?: (namespace: string, service: string) => number | undefined
  /** Told when a router could not check whether the recorded weights are in effect (the step keeps waiting). */
  onVerifyError?: (router: string, error: unknown) => void
}

export async function observeRollout(input: ObserveInput): Promise<ObservedRollout> {
  const { rollout, kube, routers } = input
  const namespace = rollout.metadata.namespace ?? 'default'
  const replicaSets = input.replicaSets.map(observeReplicaSet)
  const services = await readServices(kube, rollout, input.readyEndpoints)
  const routerErrors = [...(input.refused ?? []), ...(await validateRouters(routers))]
  const observed: ObservedRollout = { rollout, replicaSets, services, routerErrors, routerCapabilities: input.capabilities }
  const verification = await verifyRecordedWeights(rollout, routers, input.onVerifyError)
  if (verification) observed.weightVerification = verification

  if (rollout.spec.restartAt && rollout.spec.restartAt !== rollout.status?.restartedAt) {
    const hashes = new Set(replicaSets.map((rs) => rs.podTemplateHash))
    const selector = Object.entries(rollout.spec.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',')
    const pods = await kube.list({ apiVersion: 'v1', kind: 'Pod', namespace }, selector ? { labelSelector: selector } : {})
    observed.pods = pods.filter((p) => hashes.has(p.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '')).map(observePod)
  }
  return observed
}

/** The canary and stable Services (each once; a missing one is left out, validation reports it). */
export async function readServices(kube: KubeApi, rollout: Rollout, readyEndpoints?: ObserveInput['readyEndpoints']): Promise<ObservedService[]> {
  const namespace = rollout.metadata.namespace ?? 'default'
  const canary = rollout.spec?.strategy?.canary
  const services: ObservedService[] = []
  for (const name of new Set([canary?.canaryService, canary?.stableService])) {
    if (!name) continue
    const service = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name })
    if (!service) continue
    const observed = observeService(service)
    // Only for the canary Service (the stable one carries the traffic that has nowhere else to go),
    // and only with a selector: the EndpointSlice controller keeps its slices, and ours is one.
    if (readyEndpoints && name === canary?.canaryService && Object.keys(observed.selector).length > 0) {
      const ready = readyEndpoints(namespace, name)
      if (ready !== undefined) observed.readyEndpoints = ready
    }
    services.push(observed)
  }
  return services
}

/** Every router's own check of its objects; a router that fails terminally becomes an error at its block. */
export async function validateRouters(routers: readonly TrafficRouter[]): Promise<FieldError[]> {
  const errors: FieldError[] = []
  for (const router of routers) {
    try {
      errors.push(...(await router.validate()))
    } catch (error) {
      if (!isTerminal(error)) throw error
      errors.push(fieldError('invalid', routerConfigPath(router.name), error instanceof Error ? error.message : String(error)))
    }
  }
  return errors
}

/** Asks the routers that verify weights whether the recorded weights are in effect. */
async function verifyRecordedWeights(rollout: Rollout, routers: readonly TrafficRouter[], onError: ObserveInput['onVerifyError']): Promise<ObservedWeightVerification | undefined> {
  const weights = rollout.status?.canary?.weights
  const verifiers = routers.filter((r) => r.capabilities.weightVerification && r.verify)
  if (!weights || verifiers.length === 0) return undefined
  const desired: DesiredTraffic = {
    canary: { ...weights.canary },
    stable: { ...weights.stable },
    additional: [],
    maxWeight: resolveCanary(rollout).maxWeight,
    headerRoutes: [],
    mirrorRoutes: [],
  }
  for (const router of verifiers) {
    try {
      const answer = await router.verify?.(desired)
      if (answer && !answer.verified) return { canaryWeight: weights.canary.weight, verified: false, reason: `[${router.name}] ${answer.reason}` }
    } catch (error) {
      // A failed check is not a verified weight: report it and keep the step waiting.
      onError?.(router.name, error)
      return { canaryWeight: weights.canary.weight, verified: false, reason: error instanceof Error ? error.message : String(error) }
    }
  }
  return { canaryWeight: weights.canary.weight, verified: true }
}
