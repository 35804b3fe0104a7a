/**
 * One kind of traffic router, as a host (the controller, `sluice lint`, `sluice plan`, a third
 * party's tool) needs to know it without building one: its name, its cluster-wide settings as data,
 * what it can do, which kinds it watches and which objects a Rollout's block of it names. Each
 * adapter package exports one definition; a host keeps a registry of them (docs/adr/0007).
 *
 * `defineTrafficRouter` fills in the settings' defaults, checks given values against the allowed
 * ones, and wraps `create` so that every router refuses, with a terminal `AdapterError`, a traffic
 * state its capabilities exclude, before the adapter's `apply` runs: one guard for all adapters.
 */
import { AdapterError } from '../api/errors.ts'
import type { ObjectRef } from '../api/kube-object.ts'
import { describeObject } from '../kube/owner-refs.ts'
import type { DesiredTraffic, RouterCapabilities, RouterDeps, RouterTarget, TrafficRouter, TrafficRouterOptions } from './traffic-router.ts'

/** A kind of object, without a name: what a host lists and watches. */
export interface KindRef {
  apiVersion: string
  kind: string
}

/** One cluster-wide setting of a kind of router (an API version the cluster serves, a client for a load balancer's API). */
export interface RouterSetting<T> {
  /** One line for flag help and error messages. */
  readonly description: string
  /** The values allowed; absent when any value of the type will do. */
  readonly values?: readonly T[]
  /** The value when none is given; absent for a setting that is off unless given. */
  readonly default?: T
}

/** The declared settings of a router whose settings have the type `S`. */
export type RouterSettingsSpec<S> = { readonly [K in keyof S]-?: RouterSetting<NonNullable<S[K]>> }

export interface TrafficRouterDefinition<Config = unknown, Settings extends object = Record<never, never>> {
  /** The `trafficRouting` key, and the router's id in logs, Events and errors (`my-mesh`). */
  readonly name: string
  /** The cluster-wide settings, as data (allowed values, defaults). */
  readonly settings: RouterSettingsSpec<Settings>
  /** What routers built with `settings` can do; read without a cluster (validation, `sluice lint`). */
  capabilities(settings: Settings): RouterCapabilities
  /** The kinds a host watches so that a change to one of them wakes the Rollouts that read it. */
  watches(settings: Settings): readonly KindRef[]
  /** The objects a Rollout's block of this router names (namespaced), for a host's "reads" index. */
  references(target: RouterTarget, config: Config, settings: Settings): readonly ObjectRef[]
  /** Builds the router of one Rollout; `config` is its `trafficRouting.<name>` block. */
  create(options: TrafficRouterOptions<Config> & { settings: Settings }, deps: RouterDeps): TrafficRouter
}

/** The settings type of a definition. */
export type RouterSettingsOf<D> = D extends TrafficRouterDefinition<never, infer S> ? S : never

/** A definition as a registry holds it: config and settings erased. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds definitions of every config and settings type
export type AnyTrafficRouterDefinition = TrafficRouterDefinition<any, any>

/** A setting given that the router does not accept: the message names the router, the setting and the allowed values. */
export class RouterSettingsError extends Error {
  override name = 'RouterSettingsError'
}

/**
 * The settings `given` (unknown keys refused, `undefined` meaning "not given") checked against the
 * definition's allowed values, with the defaults filled in:
 *   a router `kong` with apiVersion: { values: ['k/v1', 'k/v2'], default: 'k/v1' }:
 *   {}                      → { apiVersion: 'k/v1' }
 *   { apiVersion: 'k/v9' }  → RouterSettingsError: the kong router's apiVersion "k/v9" is not one of k/v1, k/v2 (...)
 *   { version: 'k/v2' }     → RouterSettingsError: the kong router has no setting "version" (its settings: apiVersion)
 */
export function resolveRouterSettings<S extends object>(definition: TrafficRouterDefinition<never, S>, given: Partial<Record<string, unknown>> = {}): S {
  const specs = definition.settings as Record<string, RouterSetting<unknown>>
  for (const key of Object.keys(given)) {
    if (given[key] !== undefined && !(key in specs)) {
      const known = Object.keys(specs)
      throw new RouterSettingsError(`the ${definition.name} router has no setting "${key}" (${known.length > 0 ? `its settings: ${known.join(', ')}` : 'it has none'})`)
    }
  }
  const out: Record<string, unknown> = {}
  for (const [key, spec] of Object.entries(specs)) {
    const value = given[key] ?? spec.default
    if (value === undefined) continue
    if (spec.values && !spec.values.includes(value)) {
      throw new RouterSettingsError(`the ${definition.name} router's ${key} ${JSON.stringify(value)} is not one of ${spec.values.join(', ')} (${spec.description})`)
    }
    out[key] = value
  }
  return out as S
}

/**
 * What `desired` asks that `capabilities` exclude, in words, or undefined. The engine never plans
 * such a state for a router (validation refuses the Rollout); this is the last line of defence.
 */
export function unsupportedTraffic(desired: DesiredTraffic, capabilities: RouterCapabilities): string | undefined {
  const refused: string[] = []
  if (desired.maxWeight !== 100 && !capabilities.maxTrafficWeight) refused.push(`a weight scale of ${desired.maxWeight} (weights are percentages)`)
  if (desired.additional.length > 0 && !capabilities.additionalDestinations) refused.push('additional weighted destinations (experiments)')
  if (desired.mirrorRoutes.length > 0 && !capabilities.mirroring) refused.push('mirror routes')
  if (desired.headerRoutes.length > 0 && !capabilities.headerRouting) refused.push('header routes')
  return refused.length > 0 ? `not supported by this router: ${refused.join(', ')}` : undefined
}

/**
 * A definition whose `create` resolves the settings it is given (defaults filled in, values checked)
 * and returns a router that refuses what its capabilities exclude (terminal `AdapterError`).
 */
export function defineTrafficRouter<Config, Settings extends object = Record<never, never>>(
  definition: TrafficRouterDefinition<Config, Settings>,
): TrafficRouterDefinition<Config, Settings> {
  return {
    ...definition,
    create(options, deps) {
      const settings = resolveRouterSettings(definition as TrafficRouterDefinition<never, Settings>, options.settings as Record<string, unknown>)
      const router = definition.create({ ...options, settings }, deps)
      const apply = router.apply.bind(router)
      return {
        ...bindAll(router),
        async apply(desired) {
          const refused = unsupportedTraffic(desired, router.capabilities)
          if (refused) throw new AdapterError(definition.name, describeObject(options.target.rollout), refused, { terminal: true })
          return apply(desired)
        },
      }
    },
  }
}

/** The router's members with their methods bound, so that spreading it keeps `this` for class-based routers. */
function bindAll(router: TrafficRouter): TrafficRouter {
  const out: TrafficRouter = {
    name: router.name,
    capabilities: router.capabilities,
    validate: router.validate.bind(router),
    apply: router.apply.bind(router),
    observe: router.observe.bind(router),
  }
  if (router.verify) out.verify = router.verify.bind(router)
  return out
}
