import { defineTrafficRouter, describeObject, ensureOwned, fieldError, isControlledBy } from '@sluice/core'
import type {
  DesiredTraffic,
  FieldError,
  ObservedTraffic,
  RouterCapabilities,
  RouterChange,
  RouterDeps,
  SmiTrafficRouting,
  TrafficRouter,
  TrafficRouterOptions,
} from '@sluice/core'
import { buildTrafficSplit, readCanaryWeight, TRAFFIC_SPLIT_API_VERSIONS } from './traffic-split.ts'
import type { SmiApiVersion, TrafficSplit } from './traffic-split.ts'

const ADAPTER = 'smi'
const CONFIG_PATH = 'spec.strategy.canary.trafficRouting.smi'

/** What the SMI router can do: weights between two Services, nothing else. */
export const smiCapabilities: RouterCapabilities = {
  headerRouting: false,
  mirroring: false,
  maxTrafficWeight: false,
  weightVerification: false,
  additionalDestinations: false,
}

export interface SmiRouterOptions extends TrafficRouterOptions<SmiTrafficRouting> {
  /**
   * The TrafficSplit API version to read and write (a controller-wide setting: the one the mesh
   * serves). Default `split.smi-spec.io/v1alpha1`, the version Linkerd's SMI extension stores.
   */
  apiVersion?: SmiApiVersion
}

/**
 * Routes a rollout's traffic with one SMI TrafficSplit it owns: named `trafficSplitName` (default the
 * Rollout's name), for the root Service `rootService` (default the stable Service), with the canary
 * and stable Services as weighted backends. Creates the TrafficSplit when missing and refuses to touch
 * one of that name the Rollout does not control.
 */
export function createSmiRouter(options: SmiRouterOptions, deps: RouterDeps): TrafficRouter {
  const { target, config } = options
  const apiVersion = options.apiVersion ?? 'split.smi-spec.io/v1alpha1'
  if (!TRAFFIC_SPLIT_API_VERSIONS.includes(apiVersion)) {
    throw new Error(`[${ADAPTER}] unsupported TrafficSplit API version "${apiVersion}"; use one of ${TRAFFIC_SPLIT_API_VERSIONS.join(', ')}`)
  }
  const { kube } = deps
  const namespace = target.rollout.namespace
  const rootService = config?.rootService || target.stableService
  const ref = { apiVersion, kind: 'TrafficSplit', namespace, name: config?.trafficSplitName || target.rollout.name }

  return {
    name: ADAPTER,
    capabilities: smiCapabilities,

    async validate(): Promise<FieldError[]> {
      if (!config?.rootService || config.rootService === target.stableService) return []
      const service = await kube.get({ apiVersion: 'v1', kind: 'Service', namespace, name: config.rootService })
      return service ? [] : [fieldError('not-found', `${CONFIG_PATH}.rootService`, `service "${config.rootService}" not found`, config.rootService)]
    },

    async apply(desired: DesiredTraffic): Promise<RouterChange[]> {
      const split = buildTrafficSplit({
        apiVersion,
        name: ref.name,
        namespace,
        rootService,
        canaryService: target.canaryService,
        stableService: target.stableService,
        canaryWeight: desired.canary.weight,
        maxWeight: desired.maxWeight,
      })
      const before = await kube.get<TrafficSplit>(ref)
      const result = await ensureOwned(kube, split, { adapter: ADAPTER, fieldManager: `sluice-${ADAPTER}`, owner: target.rollout })
      const previous = before ? readCanaryWeight(before, target.canaryService) : undefined
      const weight = (desired.canary.weight * 100) / desired.maxWeight
      const detail =
        result === 'created' ? `canary weight ${weight}` : previous === weight ? 'root Service or backends restored' : `canary weight ${previous ?? '?'} → ${weight}`
      return [result === 'unchanged' ? { object: describeObject(split), result } : { object: describeObject(split), result, detail }]
    },

    async observe(): Promise<ObservedTraffic> {
      const split = await kube.get<TrafficSplit>(ref)
      // A TrafficSplit of that name that the Rollout does not control is not this router's: apply refuses it.
      const canaryWeight = split && isControlledBy(split, target.rollout) ? readCanaryWeight(split, target.canaryService) : undefined
      return { canaryWeight, headerRoutes: [], mirrorRoutes: [] }
    },
  }
}

/** The cluster-wide settings of the SMI router. */
export interface SmiRouterSettings {
  /** The TrafficSplit version the mesh serves. */
  apiVersion: SmiApiVersion
}

/** The SMI router, as hosts register it under `trafficRouting.smi`. */
export const smiRouter = defineTrafficRouter<SmiTrafficRouting, SmiRouterSettings>({
  name: ADAPTER,
  settings: { apiVersion: { description: 'the SMI TrafficSplit version the mesh serves', values: TRAFFIC_SPLIT_API_VERSIONS, default: 'split.smi-spec.io/v1alpha1' } },
  capabilities: () => smiCapabilities,
  watches: ({ apiVersion }) => [{ apiVersion, kind: 'TrafficSplit' }],
  references: (target, config, { apiVersion }) => [{ apiVersion, kind: 'TrafficSplit', namespace: target.rollout.namespace, name: config.trafficSplitName || target.rollout.name }],
  create: ({ settings, ...options }, deps) => createSmiRouter({ ...options, apiVersion: settings.apiVersion }, deps),
})
