/**
 * The traffic routers this build of `sluice` knows: name → factory and capabilities, as explicit
 * data (no if-chain, no registration by import). `plan` builds the routers a Rollout configures from
 * here; `lint` and the engine's validation read the capabilities.
 */
import { configuredRouters, createMemoryKube, fieldError, routerTargetOf } from '@sluice/core'
import type { FieldError, KubeApi, KubeObject, RouterCapabilities, RouterCapabilityMap, RouterTarget, Rollout, TrafficRouter, TrafficRouterFactory, TrafficRouterName } from '@sluice/core'
import { albCapabilities, createAlbRouter } from '@sluice/alb'
import { ambassadorCapabilities, createAmbassadorRouter, MAPPING_KINDS } from '@sluice/ambassador'
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
 * The API versions of mesh objects that are a cluster-wide choice rather than a Rollout field (the
 * controller's `--traffic-split-api-version` and `--ambassador-api-version`); each router's default
 * when unset.
 */
export interface RouterApiVersions {
  trafficSplitApiVersion?: string | undefined
  ambassadorApiVersion?: string | undefined
}

/** The flags that set `RouterApiVersions`, named as the controller's. */
export const routerApiVersionFlags = {
  'traffic-split-api-version': { type: 'string' },
  'ambassador-api-version': { type: 'string' },
} as const

export const routerApiVersionFlagsHelp = `      --traffic-split-api-version V   the SMI TrafficSplit version the mesh serves (as the
                                      controller's flag; default split.smi-spec.io/v1alpha1)
      --ambassador-api-version V      the Ambassador Mapping version the cluster serves (as the
                                      controller's flag; default getambassador.io/v2, as Argo
                                      Rollouts')
  Without these flags, plan and lint use the version of the TrafficSplits and Mappings
  the file holds.`

/**
 * The API versions for a file: each flag as given, else the version of the first TrafficSplit or
 * Mapping the file holds (a file written for `getambassador.io/v2` is planned with v2), else unset
 * (the router's default).
 */
export function routerApiVersionsFor(flags: { 'traffic-split-api-version'?: string | undefined; 'ambassador-api-version'?: string | undefined }, objects: readonly KubeObject[]): RouterApiVersions {
  const versionOf = (matches: (o: KubeObject) => boolean) => objects.find(matches)?.apiVersion
  return {
    trafficSplitApiVersion: flags['traffic-split-api-version'] ?? versionOf((o) => o.kind === 'TrafficSplit' && o.apiVersion.startsWith('split.smi-spec.io/')),
    ambassadorApiVersion:
      flags['ambassador-api-version'] ?? versionOf((o) => Object.entries(MAPPING_KINDS).some(([apiVersion, kind]) => o.apiVersion === apiVersion && o.kind === kind)),
  }
}

/** Extra factory options per router name, from the cluster-wide API versions. */
function factoryOptionsFor(name: string, versions: RouterApiVersions): Record<string, unknown> {
  if (name === 'smi' && versions.trafficSplitApiVersion) return { apiVersion: versions.trafficSplitApiVersion }
  if (name === 'ambassador' && versions.ambassadorApiVersion) return { apiVersion: versions.ambassadorApiVersion }
  return {}
}

/**
 * Checks the API version flags against the routers themselves (a router refuses a version it does
 * not speak): the message of the one that refuses, or undefined.
 */
export function checkRouterApiVersions(versions: RouterApiVersions): string | undefined {
  const probe = routerTargetOf({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'probe', namespace: 'default' }, spec: {} })
  for (const name of ['smi', 'ambassador'] as const) {
    const options = factoryOptionsFor(name, versions)
    if (!('apiVersion' in options)) continue
    try {
      trafficRouters[name].factory({ target: probe, config: { mappings: [] } as never, ...options }, { kube: createMemoryKube([]) })
    } catch (error) {
      return (error instanceof Error ? error.message : String(error)).replace(/^\[\w+\] /, '')
    }
  }
  return undefined
}

/**
 * Builds each registered router the Rollout configures, over `kube`. Routers this build does not
 * know are left out: `validateRollout` reports them ("not available in this build").
 */
export function createConfiguredRouters(rollout: Rollout, target: RouterTarget, kube: KubeApi, versions: RouterApiVersions = {}): ConfiguredRouters {
  const routing = rollout.spec?.strategy?.canary?.trafficRouting
  const out: ConfiguredRouters = { routers: [], errors: [] }
  for (const name of configuredRouters(rollout)) {
    const registered = registry[name]
    if (!registered || !routing) continue
    try {
      // The registry erases each factory's config type; the config is the Rollout's own block for that name.
      out.routers.push(registered.factory({ target, config: routing[name as TrafficRouterName] as never, ...factoryOptionsFor(name, versions) }, { kube }))
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      out.errors.push(fieldError('invalid', `spec.strategy.canary.trafficRouting.${name}`, message))
    }
  }
  return out
}
