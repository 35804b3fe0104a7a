/**
 * `createAlbRouter`: the traffic-router contract on Ingresses of the AWS Load Balancer Controller.
 * The router writes annotations (and header-route paths) of the user's Ingresses and owns no object;
 * `alb-ingress.ts` computes each write, `target-groups.ts` verifies weights through the ELBv2 API.
 */
import { AdapterError, defineTrafficRouter, describeObject, ROLLOUT_KIND } from '@sluice/core'
import type {
  AlbTrafficRouting,
  DesiredTraffic,
  FieldError,
  ObservedTraffic,
  RouterCapabilities,
  RouterChange,
  RouterDeps,
  TrafficRouter,
  TrafficRouterOptions,
  WeightVerification,
} from '@sluice/core'
import { fieldError } from '@sluice/core'
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { ALB_FIELD, actionServiceOf, annotationPrefixOf, checkAlbConfig, ingressConfigRefs, stickinessOf } from './alb-config.ts'
import { observedHeaderRoutes, observedWeight, planIngressUpdate } from './alb-ingress.ts'
import { ingressRef, loadBalancerHostnames, pathsTo, usesAnnotation } from './ingress.ts'
import type { Ingress } from './ingress.ts'
import { createLoadBalancerReader, RESOURCE_TAG_KEY, verifyIngressWeights } from './target-groups.ts'

const ADAPTER = 'alb'

/**
 * What the ALB router can do, with weight verification available (a router built without
 * `verifyWeights` reports `weightVerification: false`). Header routes: exact values only; several
 * matches in a route must name one header (their values are ORed).
 */
export const albCapabilities: RouterCapabilities = {
  headerRouting: { matchTypes: ['exact'] },
  mirroring: false,
  maxTrafficWeight: false,
  weightVerification: true,
  additionalDestinations: false,
}

export interface AlbWeightVerificationOptions {
  /** An ELBv2 client for the account and region of the cluster's load balancers (AWS SDK for JavaScript v3). */
  client: ElasticLoadBalancingV2Client
  /** The tag naming a target group's Kubernetes resource (the controller's `--alb-tag-key-resource-id`); default `ingress.k8s.aws/resource`. */
  resourceTagKey?: string
}

export interface AlbRouterOptions extends TrafficRouterOptions<AlbTrafficRouting> {
  /** Turns on `verify()`: the controller then waits for the load balancer to carry each weight. Off when absent. */
  verifyWeights?: AlbWeightVerificationOptions
}

/** Builds the ALB router for one Rollout; `config` is its `trafficRouting.alb` block. */
export function createAlbRouter(options: AlbRouterOptions, deps: RouterDeps): TrafficRouter {
  const { target, config, verifyWeights } = options
  const { kube } = deps
  const namespace = target.rollout.namespace
  const prefix = annotationPrefixOf(config)
  const actionService = actionServiceOf(config, target)
  const rolloutName = `${ROLLOUT_KIND} ${namespace}/${target.rollout.name}`
  const forward = {
    canaryService: target.canaryService,
    stableService: target.stableService,
    servicePort: config.servicePort,
    stickiness: stickinessOf(config),
  }

  async function validate(): Promise<FieldError[]> {
    const errors = checkAlbConfig(config, target)
    if (errors.some((e) => e.path === ALB_FIELD)) return errors
    for (const ref of ingressConfigRefs(config)) {
      const ingress = await kube.get<Ingress>(ingressRef(namespace, ref.name))
      if (!ingress) {
        errors.push(fieldError('not-found', ref.field, `Ingress ${namespace}/${ref.name} not found`, ref.name))
        continue
      }
      const paths = pathsTo(ingress, actionService)
      if (paths.length === 0) {
        errors.push(fieldError('invalid', ref.field, `Ingress ${namespace}/${ref.name} has no path whose backend is the Service "${actionService}"`, ref.name))
      } else if (!paths.some(usesAnnotation)) {
        errors.push(
          fieldError(
            'invalid',
            ref.field,
            `the paths of Ingress ${namespace}/${ref.name} to "${actionService}" must use the port name "use-annotation", or the AWS Load Balancer Controller ignores the weights in the actions.${actionService} annotation`,
            ref.name,
          ),
        )
      }
    }
    return errors
  }

  async function apply(desired: DesiredTraffic): Promise<RouterChange[]> {
    const problem = checkAlbConfig(config, target)[0]
    if (problem) throw new AdapterError(ADAPTER, rolloutName, `${problem.path}: ${problem.message}`, { terminal: true })
    if (desired.maxWeight !== 100 || desired.additional.length > 0 || desired.mirrorRoutes.length > 0) {
      throw new AdapterError(ADAPTER, rolloutName, 'ALB actions carry percentages to the canary and stable Services only (no maxTrafficWeight, no additional destinations, no mirror routes)', {
        terminal: true,
      })
    }
    const changes: RouterChange[] = []
    // Every Ingress is visited: one already up to date does not end the loop (Argo Rollouts returns there).
    for (const ref of ingressConfigRefs(config)) {
      const object = ingressRef(namespace, ref.name)
      const ingress = await kube.get<Ingress>(object)
      if (!ingress) throw new AdapterError(ADAPTER, describeObject(object), 'not found', { terminal: true })
      const update = planIngressUpdate(ingress, {
        prefix,
        actionService,
        forward,
        rollout: target.rollout.name,
        managedRoutes: target.managedRoutes,
        desired,
      })
      if (!update.ok) throw new AdapterError(ADAPTER, describeObject(ingress), update.problem, { terminal: true })
      if (!update.patch) {
        changes.push({ object: describeObject(ingress), result: 'unchanged' })
        continue
      }
      await kube.mergePatch(object, update.patch)
      changes.push({ object: describeObject(ingress), result: 'updated', detail: update.detail })
    }
    return changes
  }

  async function observe(): Promise<ObservedTraffic> {
    const first = ingressConfigRefs(config)[0]
    const ingress = first ? await kube.get<Ingress>(ingressRef(namespace, first.name)) : undefined
    if (!ingress) return { canaryWeight: undefined, headerRoutes: [], mirrorRoutes: [] }
    return {
      canaryWeight: observedWeight(ingress, prefix, actionService, target.canaryService),
      headerRoutes: observedHeaderRoutes(ingress, prefix, target.managedRoutes),
      mirrorRoutes: [],
    }
  }

  const router: TrafficRouter = {
    name: ADAPTER,
    capabilities: { ...albCapabilities, weightVerification: verifyWeights !== undefined },
    validate,
    apply,
    observe,
  }
  if (!verifyWeights) return router

  const { client, resourceTagKey = RESOURCE_TAG_KEY } = verifyWeights
  async function verify(desired: DesiredTraffic): Promise<WeightVerification> {
    const reader = createLoadBalancerReader(client)
    for (const ref of ingressConfigRefs(config)) {
      const object = ingressRef(namespace, ref.name)
      const ingress = await kube.get<Ingress>(object)
      if (!ingress) return { verified: false, reason: `${describeObject(object)} not found` }
      try {
        const result = await verifyIngressWeights(
          reader,
          {
            ingress: describeObject(ingress),
            namespace,
            name: ref.name,
            hostnames: loadBalancerHostnames(ingress),
            canaryService: target.canaryService,
            stableService: target.stableService,
            servicePort: config.servicePort,
            canaryWeight: desired.canary.weight,
            stableWeight: desired.stable.weight,
          },
          resourceTagKey,
        )
        if (!result.verified) return result
      } catch (cause) {
        const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
        throw new AdapterError(ADAPTER, describeObject(ingress), `reading its load balancer through the ELBv2 API failed: ${message}`, { cause })
      }
    }
    return { verified: true }
  }
  return { ...router, verify }
}

/** The cluster-wide settings of the ALB router. */
export interface AlbRouterSettings {
  /** Weight verification through the ELBv2 API; off when absent. */
  verifyWeights?: AlbWeightVerificationOptions
}

/**
 * The ALB router, as hosts register it under `trafficRouting.alb`. Its capabilities follow its
 * settings: weights are verified only when the host gave it an ELBv2 client.
 */
export const albRouter = defineTrafficRouter<AlbTrafficRouting, AlbRouterSettings>({
  name: ADAPTER,
  settings: { verifyWeights: { description: 'an ELBv2 client (and the target groups\' resource tag key) to verify weights on the load balancer' } },
  capabilities: ({ verifyWeights }) => ({ ...albCapabilities, weightVerification: verifyWeights !== undefined }),
  watches: () => [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }],
  references: (target, config) =>
    ingressConfigRefs(config).map(({ name }) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: target.rollout.namespace, name })),
  create: ({ settings, ...options }, deps) => createAlbRouter({ ...options, ...(settings.verifyWeights ? { verifyWeights: settings.verifyWeights } : {}) }, deps),
})
