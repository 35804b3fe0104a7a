/**
 * @sluice/routers: the traffic routers built into Sluice, as one registry shared by the controller
 * and the `sluice` CLI. Registration is data in this one file: a router added to Sluice is one line
 * in `builtinRouters` (plus its config type in core's Rollout API and the chart's RBAC).
 *
 * A host resolves the routers' cluster-wide settings once (`createRouterRegistry`), then asks the
 * registry what to watch, which objects a Rollout reads, what each router can do, and for the
 * routers of one Rollout.
 */
import { albRouter } from '@sluice/alb'
import { ambassadorRouter } from '@sluice/ambassador'
import { configuredRouters, fieldError, resolveRouterSettings, routerConfigOf, routerConfigPath, routerTargetOf } from '@sluice/core'
import type {
  AnyTrafficRouterDefinition,
  FieldError,
  KindRef,
  KubeApi,
  ObjectRef,
  Rollout,
  RouterCapabilityMap,
  RouterSettingsOf,
  RouterTarget,
  TrafficRouter,
  TrafficRouterName,
} from '@sluice/core'
import { istioRouter } from '@sluice/istio'
import { nginxRouter } from '@sluice/nginx'
import { smiRouter } from '@sluice/smi'

/** The routers built into Sluice, by their `trafficRouting` key. */
export const builtinRouters = {
  alb: albRouter,
  ambassador: ambassadorRouter,
  istio: istioRouter,
  nginx: nginxRouter,
  smi: smiRouter,
} satisfies Record<TrafficRouterName, AnyTrafficRouterDefinition>

export type BuiltinRouterName = keyof typeof builtinRouters

/** The cluster-wide settings a host gives, per router; each one left out takes its default. */
export type RouterSettingsInput = { [K in BuiltinRouterName]?: Partial<RouterSettingsOf<(typeof builtinRouters)[K]>> }

/**
 * The command-line flags (and their environment variables in the controller) that set a router
 * setting, named as Argo Rollouts' controller flags: `--traffic-split-api-version` → smi.apiVersion.
 */
export const ROUTER_SETTING_FLAGS = {
  'traffic-split-api-version': { router: 'smi', setting: 'apiVersion' },
  'ambassador-api-version': { router: 'ambassador', setting: 'apiVersion' },
} as const satisfies Record<string, { router: BuiltinRouterName; setting: string }>

export type RouterSettingFlag = keyof typeof ROUTER_SETTING_FLAGS

/** The settings the flags give (`undefined` for a flag not given). */
export function routerSettingsFromFlags(flags: Partial<Record<RouterSettingFlag, string | undefined>>): RouterSettingsInput {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [flag, { router, setting }] of Object.entries(ROUTER_SETTING_FLAGS)) {
    const value = flags[flag as RouterSettingFlag]
    if (value !== undefined) out[router] = { ...out[router], [setting]: value }
  }
  return out as RouterSettingsInput
}

/** The routers of one Rollout, and the blocks whose router refused its configuration. */
export interface RoutersOfRollout {
  routers: TrafficRouter[]
  /** At `spec.strategy.canary.trafficRouting.<name>`: the router could not be built. */
  errors: FieldError[]
}

/** The routers a host drives, with their settings resolved once. */
export class RouterRegistry {
  readonly #definitions: ReadonlyMap<string, AnyTrafficRouterDefinition>
  readonly #settings: ReadonlyMap<string, object>
  readonly #capabilities: RouterCapabilityMap

  /** Throws `RouterSettingsError` (naming the router, the setting and the allowed values) for a setting a router refuses. */
  constructor(definitions: Readonly<Record<string, AnyTrafficRouterDefinition>>, given: Readonly<Record<string, object | undefined>> = {}) {
    for (const name of Object.keys(given)) {
      if (!(name in definitions)) throw new RangeError(`settings given for "${name}", which is not a router of this registry (${Object.keys(definitions).join(', ')})`)
    }
    this.#definitions = new Map(Object.entries(definitions))
    this.#settings = new Map(Object.entries(definitions).map(([name, d]) => [name, resolveRouterSettings(d, given[name] as Record<string, unknown> | undefined)]))
    this.#capabilities = Object.freeze(Object.fromEntries([...this.#definitions].map(([name, d]) => [name, Object.freeze(d.capabilities(this.#settings.get(name)))])))
  }

  /** The router names, sorted. */
  get names(): string[] {
    return [...this.#definitions.keys()].sort()
  }

  /** The resolved settings of `name`. */
  settingsOf(name: string): object | undefined {
    return this.#settings.get(name)
  }

  /** What each router can do, for `validateRollout` and the planner (computed once: the settings are fixed). */
  capabilities(): RouterCapabilityMap {
    return this.#capabilities
  }

  /** Every kind some router watches, once each, in router-name order. */
  watches(): KindRef[] {
    const out = new Map<string, KindRef>()
    for (const name of this.names) {
      for (const kind of this.#definition(name).watches(this.#settings.get(name))) out.set(`${kind.apiVersion}/${kind.kind}`, { apiVersion: kind.apiVersion, kind: kind.kind })
    }
    return [...out.values()]
  }

  /**
   * The objects a Rollout reads, so that a change to one wakes it: its canary and stable Services,
   * then the objects each configured router's block names. Blocks of unknown routers name nothing.
   */
  references(rollout: Rollout): ObjectRef[] {
    const target = routerTargetOf(rollout)
    const namespace = target.rollout.namespace
    const out: ObjectRef[] = []
    for (const name of [target.canaryService, target.stableService]) if (name) out.push({ apiVersion: 'v1', kind: 'Service', namespace, name })
    for (const name of configuredRouters(rollout)) {
      const definition = this.#definitions.get(name)
      const config = routerConfigOf(rollout, name)
      if (!definition || config === undefined) continue
      try {
        out.push(...definition.references(target, config, this.#settings.get(name)))
      } catch {
        // A block too malformed to read names nothing; validation reports it.
      }
    }
    return out
  }

  /**
   * Builds the routers the Rollout configures, over `kube`, in configuration order. Blocks of routers
   * this registry does not know are left out (`validateRollout` reports them); a router that refuses
   * its block becomes an error at `trafficRouting.<name>` (`trafficRouting.plugins["org/name"]`). `target` defaults to the Rollout's own
   * (`routerTargetOf`); a simulation passes the one of its copy.
   */
  create(rollout: Rollout, kube: KubeApi, target: RouterTarget = routerTargetOf(rollout)): RoutersOfRollout {
    const out: RoutersOfRollout = { routers: [], errors: [] }
    for (const name of configuredRouters(rollout)) {
      const definition = this.#definitions.get(name)
      const config = routerConfigOf(rollout, name)
      if (!definition || config === undefined) continue
      try {
        out.routers.push(definition.create({ target, config, settings: this.#settings.get(name) }, { kube }))
      } catch (error) {
        out.errors.push(fieldError('invalid', routerConfigPath(name), error instanceof Error ? error.message : String(error)))
      }
    }
    return out
  }

  #definition(name: string): AnyTrafficRouterDefinition {
    const definition = this.#definitions.get(name)
    if (!definition) throw new RangeError(`no router "${name}"`)
    return definition
  }
}

/** The registry of the built-in routers with these settings (`RouterSettingsError` for a refused one). */
export function createRouterRegistry(settings: RouterSettingsInput = {}): RouterRegistry {
  return new RouterRegistry(builtinRouters, settings)
}
