import { AdapterError, defineTrafficRouter, describeObject, ensureOwned, fieldError, isControlledBy, isTerminal } from '@sluice/core'
import type {
  AmbassadorTrafficRouting,
  DesiredTraffic,
  FieldError,
  ObservedTraffic,
  ObjectRef,
  RouterCapabilities,
  RouterChange,
  RouterDeps,
  TrafficRouter,
  TrafficRouterOptions,
} from '@sluice/core'
import { baseMappingProblem, buildCanaryMapping, canaryMappingName, isArgoCanaryMapping, isCanaryMappingUpToDate, MAPPING_KINDS, DEFAULT_MAPPING_API_VERSION } from './mapping.ts'
import type { AmbassadorApiVersion, Mapping } from './mapping.ts'

const ADAPTER = 'ambassador'
const MAPPINGS_PATH = 'spec.strategy.canary.trafficRouting.ambassador.mappings'

/** What the Ambassador router can do: a canary weight per Mapping, nothing else. */
export const ambassadorCapabilities: RouterCapabilities = {
  headerRouting: false,
  mirroring: false,
  maxTrafficWeight: false,
  weightVerification: false,
  additionalDestinations: false,
}

export interface AmbassadorRouterOptions extends TrafficRouterOptions<AmbassadorTrafficRouting> {
  /**
   * The Mapping API version to read and write (a controller-wide setting: the one the cluster serves).
   * Default `getambassador.io/v2`, as Argo Rollouts' (`DEFAULT_MAPPING_API_VERSION`); Emissary-ingress
   * 2.1+ authors `getambassador.io/v3alpha1`, which a controller selects with its flag.
   */
  apiVersion?: AmbassadorApiVersion
}

/**
 * Routes a rollout's traffic through Emissary-ingress (Ambassador) Mappings: for each base Mapping in
 * `mappings` it keeps an owned canary Mapping `<base>-canary` that routes the canary weight to the
 * canary Service, and deletes it when the weight is back at 0. Base Mappings are never written.
 */
export function createAmbassadorRouter(options: AmbassadorRouterOptions, deps: RouterDeps): TrafficRouter {
  const { target, config } = options
  const apiVersion = options.apiVersion ?? DEFAULT_MAPPING_API_VERSION
  const kind = MAPPING_KINDS[apiVersion]
  if (kind === undefined) {
    throw new Error(`[${ADAPTER}] unsupported Mapping API version "${apiVersion}"; use one of ${Object.keys(MAPPING_KINDS).join(', ')}`)
  }
  const { kube } = deps
  const namespace = target.rollout.namespace
  const mappings = config?.mappings ?? []
  const swap = { from: target.stableService, to: target.canaryService, namespace }
  const refTo = (name: string): ObjectRef => ({ apiVersion, kind, namespace, name })

  /** Makes the canary Mapping of one base Mapping carry `weight`. */
  async function applyOne(baseName: string, weight: number): Promise<RouterChange | undefined> {
    const canaryRef = refTo(canaryMappingName(baseName))
    const existing = await kube.get<Mapping>(canaryRef)
    const owned = existing !== undefined && isControlledBy(existing, target.rollout)
    if (weight === 0) {
      // No canary Mapping at all is weight 0: delete it at once (README: "Deleting at weight 0").
      // A foreign Mapping of that name (one Argo Rollouts left at 0 included) is not in the way of
      // weight 0, so it is left alone.
      const previous = owned ? (existing.spec?.weight ?? '?') : 0
      if (!owned || !(await kube.delete(canaryRef))) return undefined
      return { object: describeObject(canaryRef), result: 'deleted', detail: `canary weight ${previous} → 0` }
    }
    const baseRef = refTo(baseName)
    const base = await kube.get<Mapping>(baseRef)
    if (!base) throw new AdapterError(ADAPTER, describeObject(baseRef), `not found (${apiVersion})`)
    const problem = baseMappingProblem(base, swap)
    if (problem) throw new AdapterError(ADAPTER, describeObject(baseRef), problem, { terminal: true })
    const adopted = existing !== undefined && !owned && isArgoCanaryMapping(existing, base, swap)
    const previous = owned || adopted ? (existing.spec?.weight ?? '?') : 0
    const canary = buildCanaryMapping({ base, swap, weight })
    const result = await ensureOwned(kube, canary, {
      adapter: ADAPTER,
      fieldManager: `sluice-${ADAPTER}`,
      owner: target.rollout,
      isUpToDate: isCanaryMappingUpToDate,
      adopt: (m) => isArgoCanaryMapping(m, base, swap),
    })
    const object = describeObject(canary)
    if (result === 'unchanged') return { object, result }
    const weightChange = previous === weight ? `canary weight ${weight}` : `canary weight ${previous} → ${weight}`
    const detail =
      result === 'created' ? `canary weight ${weight}` : adopted ? `taken over from Argo Rollouts, ${weightChange}` : previous === weight ? `cloned again from ${describeObject(base)}` : weightChange
    return { object, result, detail }
  }

  return {
    name: ADAPTER,
    capabilities: ambassadorCapabilities,

    async validate(): Promise<FieldError[]> {
      if (mappings.length === 0) return [fieldError('required', MAPPINGS_PATH, 'must provide at least one mapping')]
      const errors: FieldError[] = []
      const canaryOf = new Map<string, string>()
      for (const [i, name] of mappings.entries()) {
        const path = `${MAPPINGS_PATH}[${i}]`
        const canaryName = canaryMappingName(name)
        const other = canaryOf.get(canaryName)
        if (other !== undefined) {
          const message = other === name ? `Ambassador mapping "${name}" is listed twice` : `Ambassador mappings "${other}" and "${name}" would share the canary mapping "${canaryName}"`
          errors.push(fieldError('invalid', path, message, name))
          continue
        }
        canaryOf.set(canaryName, name)
        const base = await kube.get<Mapping>(refTo(name))
        const problem = base ? baseMappingProblem(base, swap) : `Ambassador mapping "${name}" not found (${apiVersion} ${kind} in namespace ${namespace})`
        if (problem) errors.push(fieldError(base ? 'invalid' : 'not-found', path, problem, name))
      }
      return errors
    },

    async apply(desired: DesiredTraffic): Promise<RouterChange[]> {
      if (desired.maxWeight !== 100) {
        throw new AdapterError(ADAPTER, describeObject(target.rollout), `Mapping weights are percentages; a weight scale of ${desired.maxWeight} is not supported`, {
          terminal: true,
        })
      }
      // Each base Mapping is its own route: one failing does not stop the others from moving.
      const changes: RouterChange[] = []
      const errors: unknown[] = []
      for (const name of mappings) {
        try {
          const change = await applyOne(name, desired.canary.weight)
          if (change) changes.push(change)
        } catch (error) {
          errors.push(error)
        }
      }
      if (errors.length === 1) throw errors[0]
      if (errors.length > 1) {
        const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)))
        throw new AdapterError(ADAPTER, describeObject(target.rollout), `${errors.length} Mappings failed: ${messages.join('; ')}`, {
          terminal: errors.every(isTerminal),
          cause: new AggregateError(errors),
        })
      }
      return changes
    },

    async observe(): Promise<ObservedTraffic> {
      // Per base Mapping: the weight of its owned canary Mapping, 0 when there is none. Mappings that
      // disagree (an apply failed half-way) report the highest: the most traffic the canary may get.
      let canaryWeight: number | undefined
      for (const name of mappings) {
        const canary = await kube.get<Mapping>(refTo(canaryMappingName(name)))
        let owned = canary !== undefined && isControlledBy(canary, target.rollout)
        if (canary !== undefined && !owned) {
          // A canary Mapping Argo Rollouts left carries traffic all the same.
          const base = await kube.get<Mapping>(refTo(name))
          owned = base !== undefined && isArgoCanaryMapping(canary, base, swap)
        }
        const weight = owned ? canary?.spec?.weight : 0
        if (typeof weight !== 'number') return { canaryWeight: undefined, headerRoutes: [], mirrorRoutes: [] }
        canaryWeight = Math.max(canaryWeight ?? 0, weight)
      }
      return { canaryWeight, headerRoutes: [], mirrorRoutes: [] }
    },
  }
}

/** The cluster-wide settings of the Ambassador router. */
export interface AmbassadorRouterSettings {
  /** The Mapping version the cluster serves. */
  apiVersion: AmbassadorApiVersion
}

/**
 * The Ambassador router, as hosts register it under `trafficRouting.ambassador`. It watches the
 * Mapping kind of its version (`x.getambassador.io` calls it AmbassadorMapping); the canary
 * Mappings it creates are owned by the Rollout.
 */
export const ambassadorRouter = defineTrafficRouter<AmbassadorTrafficRouting, AmbassadorRouterSettings>({
  name: ADAPTER,
  settings: {
    apiVersion: { description: 'the Ambassador Mapping version the cluster serves', values: Object.keys(MAPPING_KINDS) as AmbassadorApiVersion[], default: DEFAULT_MAPPING_API_VERSION },
  },
  capabilities: () => ambassadorCapabilities,
  watches: ({ apiVersion }) => [{ apiVersion, kind: MAPPING_KINDS[apiVersion] }],
  references: (target, config, { apiVersion }) =>
    (config.mappings ?? []).map((name) => ({ apiVersion, kind: MAPPING_KINDS[apiVersion], namespace: target.rollout.namespace, name })),
  create: ({ settings, ...options }, deps) => createAmbassadorRouter({ ...options, apiVersion: settings.apiVersion }, deps),
})
