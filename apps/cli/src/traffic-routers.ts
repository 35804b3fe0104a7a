/**
 * The traffic routers this build of `sluice` knows: name → factory and capabilities, as explicit
 * data (no if-chain, no registration by import). `plan` builds the routers a Rollout configures from
 * here; `lint` and the engine's validation read the capabilities.
 */
import { configuredRouters, fieldError } from '@sluice/core'
import type { FieldError, KubeApi, RouterCapabilities, RouterCapabilityMap, RouterTarget, Rollout, TrafficRouter, TrafficRouterFactory, TrafficRouterName } from '@sluice/core'
import { albCapabilities, createAlbRouter } from '@sluice/alb'
import { ambassadorCapabilities, createAmbassadorRouter } from '@sluice/ambassador'
import { createIstioRouter, istioCapabilities } from '@sluice/istio'
import { createNginxRouter, nginxCapabilities } from '@sluice/nginx'
import { createSmiRouter, smiCapabilities } from '@sluice/smi'

export interface RegisteredRouter {
  /** Builds the router for one Rollout from its `trafficRouting.<name>` block. */
  factory: TrafficRouterFactory<never>
  /** What it can do, for validation without building it. */
  capabilities: RouterCapabilities
}

export const trafficRouters = {
  alb: { factory: createAlbRouter, capabilities: albCapabilities },
  ambassador: { factory: createAmbassadorRouter, capabilities: ambassadorCapabilities },
  istio: { factory: createIstioRouter, capabilities: istioCapabilities },
  nginx: { factory: createNginxRouter, capabilities: nginxCapabilities },
  smi: { factory: createSmiRouter, capabilities: smiCapabilities },
} satisfies Partial<Record<TrafficRouterName, RegisteredRouter>>

const registry: Partial<Record<string, RegisteredRouter>> = trafficRouters

/** The capabilities of every registered router, for `validateRollout` and `simulateRollout`. */
export const routerCapabilities: RouterCapabilityMap = Object.fromEntries(Object.entries(trafficRouters).map(([name, r]) => [name, r.capabilities]))

export interface ConfiguredRouters {
  routers: TrafficRouter[]
  /** Routers whose factory refused the configuration, at `spec.strategy.canary.trafficRouting.<name>`. */
  errors: FieldError[]
}

/**
 * Builds each registered router the Rollout configures, over `kube`. Routers this build does not
 * know are left out: `validateRollout` reports them ("not available in this build").
 */
export function createConfiguredRouters(rollout: Rollout, target: RouterTarget, kube: KubeApi): ConfiguredRouters {
  const routing = rollout.spec?.strategy?.canary?.trafficRouting
  const out: ConfiguredRouters = { routers: [], errors: [] }
  for (const name of configuredRouters(rollout)) {
    const registered = registry[name]
    if (!registered || !routing) continue
    try {
      // The registry erases each factory's config type; the config is the Rollout's own block for that name.
      out.routers.push(registered.factory({ target, config: routing[name as TrafficRouterName] as never }, { kube }))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      out.errors.push(fieldError('invalid', `spec.strategy.canary.trafficRouting.${name}`, message))
    }
  }
  return out
}
