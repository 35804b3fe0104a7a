/**
 * The traffic routers this controller drives: name → how to build one for a Rollout, as explicit
 * data (STYLE principle 7). Controller-wide settings (API versions) are bound here, once.
 */
import { ambassadorCapabilities, createAmbassadorRouter } from '@sluice/ambassador'
import type { AmbassadorApiVersion } from '@sluice/ambassador'
import { configuredRouters, routerTargetOf } from '@sluice/core'
import type { KubeApi, Rollout, RouterCapabilities, RouterCapabilityMap, TrafficRouter, TrafficRouterName } from '@sluice/core'
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

export function createRouterRegistry(config: Pick<ControllerConfig, 'trafficSplitApiVersion' | 'ambassadorApiVersion'>): RouterRegistry {
  const routing = (rollout: Rollout) => rollout.spec.strategy?.canary?.trafficRouting ?? {}
  return {
    istio: {
      capabilities: istioCapabilities,
      create: (rollout, kube) => createIstioRouter({ target: routerTargetOf(rollout), config: routing(rollout).istio ?? {} }, { kube }),
    },
    nginx: {
      capabilities: nginxCapabilities,
      create: (rollout, kube) => createNginxRouter({ target: routerTargetOf(rollout), config: routing(rollout).nginx ?? {} }, { kube }),
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
