/**
 * The traffic routers this controller drives: name → how to build one for a Rollout, as explicit
 * data (STYLE principle 7). Controller-wide settings (API versions, the ELBv2 client) are bound here, once.
 */
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { albCapabilities, createAlbRouter } from '@sluice/alb'
import { ambassadorCapabilities, createAmbassadorRouter } from '@sluice/ambassador'
import type { AmbassadorApiVersion } from '@sluice/ambassador'
import { configuredRouters, routerTargetOf } from '@sluice/core'
import type { AlbTrafficRouting, KubeApi, Rollout, RouterCapabilities, RouterCapabilityMap, TrafficRouter, TrafficRouterName } from '@sluice/core'
import { createIstioRouter, istioCapabilities } from '@sluice/istio'
import { createNginxRouter, nginxCapabilities } from '@sluice/nginx'
import { createSmiRouter, smiCapabilities } from '@sluice/smi'
import type { SmiApiVersion } from '@sluice/smi'
import type { ControllerConfig } from './config.ts'

export interface RouterEntry {
  capabilities: RouterCapabilities
  /** Builds the router for one Rollout from its `trafficRouting.<name>` block. */
  create: (rollout: Rollout, kube: KubeApi) => TrafficRouter
}

export type RouterRegistry = Partial<Record<TrafficRouterName, RouterEntry>>

/** Clients the routers share, built once per controller. */
export interface RouterClients {
  /** Set when ALB weight verification is on (`--aws-verify-target-group`). */
  elbv2?: ElasticLoadBalancingV2Client | undefined
}

/**
 * The ELBv2 client of ALB weight verification, or undefined when it is off. Credentials come from the
 * AWS SDK's default chain (environment, web identity / IRSA, profile, container or instance metadata).
 */
export async function createElbv2Client(aws: ControllerConfig['aws']): Promise<ElasticLoadBalancingV2Client | undefined> {
  if (!aws.verifyTargetGroup) return undefined
  // Loaded only when verification is on: the AWS SDK costs tens of MB of memory.
  const { ElasticLoadBalancingV2Client } = await import('@aws-sdk/client-elastic-load-balancing-v2')
  return new ElasticLoadBalancingV2Client({
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
  })
}

export function createRouterRegistry(
  config: Pick<ControllerConfig, 'trafficSplitApiVersion' | 'ambassadorApiVersion'> & { aws?: Pick<ControllerConfig['aws'], 'albTagKeyResourceId'> },
  clients: RouterClients = {},
): RouterRegistry {
  const routing = (rollout: Rollout) => rollout.spec.strategy?.canary?.trafficRouting ?? {}
  const { elbv2 } = clients
  const verifyWeights = elbv2 ? { client: elbv2, ...(config.aws ? { resourceTagKey: config.aws.albTagKeyResourceId } : {}) } : undefined
  return {
    istio: {
      capabilities: istioCapabilities,
      create: (rollout, kube) => createIstioRouter({ target: routerTargetOf(rollout), config: routing(rollout).istio ?? {} }, { kube }),
    },
    nginx: {
      capabilities: nginxCapabilities,
      create: (rollout, kube) => createNginxRouter({ target: routerTargetOf(rollout), config: routing(rollout).nginx ?? {} }, { kube }),
    },
    alb: {
      // The engine waits for verified weights only when this controller can verify them.
      capabilities: { ...albCapabilities, weightVerification: verifyWeights !== undefined },
      create: (rollout, kube) =>
        createAlbRouter(
          {
            target: routerTargetOf(rollout),
            // Validation reports a missing `servicePort`; the router needs some object to validate.
            config: routing(rollout).alb ?? ({} as AlbTrafficRouting),
            ...(verifyWeights ? { verifyWeights } : {}),
          },
          { kube },
        ),
    },
    smi: {
      capabilities: smiCapabilities,
      create: (rollout, kube) =>
        createSmiRouter(
          {
            target: routerTargetOf(rollout),
            config: routing(rollout).smi ?? {},
            ...(config.trafficSplitApiVersion ? { apiVersion: config.trafficSplitApiVersion as SmiApiVersion } : {}),
          },
          { kube },
        ),
    },
    ambassador: {
      capabilities: ambassadorCapabilities,
      create: (rollout, kube) =>
        createAmbassadorRouter(
          {
            target: routerTargetOf(rollout),
            config: routing(rollout).ambassador ?? { mappings: [] },
            ...(config.ambassadorApiVersion ? { apiVersion: config.ambassadorApiVersion as AmbassadorApiVersion } : {}),
          },
          { kube },
        ),
    },
  }
}

export function capabilitiesOf(registry: RouterRegistry): RouterCapabilityMap {
  return Object.fromEntries(Object.entries(registry).map(([name, entry]) => [name, entry.capabilities]))
}

/** The routers a Rollout configures that this controller knows (unknown ones fail validation). */
export function routersFor(registry: RouterRegistry, rollout: Rollout, kube: KubeApi): TrafficRouter[] {
  return configuredRouters(rollout).flatMap((name) => {
    const entry = registry[name as TrafficRouterName]
    return entry ? [entry.create(rollout, kube)] : []
  })
}
