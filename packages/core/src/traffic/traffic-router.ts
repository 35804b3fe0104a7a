/**
 * The contract every traffic adapter implements (docs/adr/0001-traffic-router-contract.md).
 *
 * It is declarative: the engine computes the whole traffic state a rollout should have now (weights,
 * pod-template hashes, and exactly which managed header/mirror routes exist) and each router makes its
 * mesh match it. A router keeps no memory between calls; the objects in the cluster are its state.
 * What a router can do is declared as data (`capabilities`), so the engine rejects a step no
 * configured router can perform at validation time instead of skipping it.
 */
import type { KubeApi, WriteResult } from '../api/kube-object.ts'
import type { HeaderRoutingMatch, RouteMatch, TrafficRouterName, WeightDestination } from '../api/rollout.ts'
import type { FieldError } from '../api/field-error.ts'

export type StringMatchType = 'exact' | 'prefix' | 'regex'

/** How far a router supports `setHeaderRoute`. */
export interface HeaderRoutingSupport {
  /** The header value match types it can express. */
  matchTypes: readonly StringMatchType[]
  /** At most this many header matches in one route (absent: no limit). */
  maxMatches?: number
}

/** What a router can do, declared as data. */
export interface RouterCapabilities {
  /** `setHeaderRoute` steps, and which matches; false when not supported. */
  headerRouting: HeaderRoutingSupport | false
  /** `setMirrorRoute` steps. */
  mirroring: boolean
  /** Weights on a scale other than 100 (`trafficRouting.maxTrafficWeight`). */
  maxTrafficWeight: boolean
  /** Can confirm from the data plane that a weight is in effect (`verify`). */
  weightVerification: boolean
  /** Extra weighted destinations besides canary and stable (experiments). */
  additionalDestinations: boolean
}

/** A header route that must exist: matching requests go 100 % to the canary. */
export interface HeaderRoute {
  name: string
  /** ORed; never empty. */
  match: HeaderRoutingMatch[]
}

/** A mirror route that must exist: matching requests keep the current split and are copied to the canary. */
export interface MirrorRoute {
  name: string
  /** ORed entries whose conditions are ANDed; never empty. */
  match: RouteMatch[]
  /** Share of matching requests mirrored, 0..100. */
  percentage: number
}

/** The traffic state a rollout must have now. Weights are on the rollout's scale, 0..`maxWeight`. */
export interface DesiredTraffic {
  /** The canary destination: the canary Service (or subset) of the new ReplicaSet. */
  canary: Required<Pick<WeightDestination, 'weight'>> & WeightDestination
  /** The stable destination. `canary.weight + stable.weight + Σ additional = maxWeight`. */
  stable: Required<Pick<WeightDestination, 'weight'>> & WeightDestination
  /** Extra weighted destinations (only routers with `additionalDestinations`); usually empty. */
  additional: WeightDestination[]
  /** The weight scale: `trafficRouting.maxTrafficWeight`, default 100. */
  maxWeight: number
  /**
   * Exactly the managed header routes that must exist, in `managedRoutes` order (which is their
   * precedence, above every user route). Managed routes not listed here must not exist.
   */
  headerRoutes: HeaderRoute[]
  /** Exactly the managed mirror routes that must exist, in `managedRoutes` order. */
  mirrorRoutes: MirrorRoute[]
}

/** The rollout a router works for. */
export interface RouterTarget {
  rollout: { apiVersion: string; kind: string; name: string; namespace: string; uid: string }
  /** `spec.strategy.canary.canaryService`, '' when not set. */
  canaryService: string
  /** `spec.strategy.canary.stableService`, '' when not set. */
  stableService: string
  /** `trafficRouting.managedRoutes` names, in order. */
  managedRoutes: string[]
}

/** One object a router wrote: "VirtualService default/web has been updated". */
export interface RouterChange {
  /** As `describeObject` prints it: `VirtualService default/web`. */
  object: string
  result: WriteResult
  /** What changed, for Events: `canary weight 0 → 20`. */
  detail?: string
}

/** What the router's objects say now. */
export interface ObservedTraffic {
  /** The canary weight on the rollout's scale; undefined when the router has not written one yet. */
  canaryWeight: number | undefined
  /** Names of the managed header routes that exist, in precedence order. */
  headerRoutes: string[]
  /** Names of the managed mirror routes that exist, in precedence order. */
  mirrorRoutes: string[]
}

export type WeightVerification = { verified: true } | { verified: false; reason: string }

/** A traffic router bound to one rollout. Calls never overlap for one rollout. */
export interface TrafficRouter {
  /** Stable id, the `trafficRouting` key (`my-mesh`); used in logs, Events, metrics and error messages. */
  readonly name: string
  /** What this router can do; the engine never plans a step it cannot perform. */
  readonly capabilities: RouterCapabilities
  /**
   * Checks that the objects the router needs exist and fit its configuration (a VirtualService and
   * its routes, an Ingress with the stable backend, ...). Never writes. Returns every problem, each
   * with the full field path of the Rollout setting that points at the object.
   */
  validate(): Promise<FieldError[]>
  /**
   * Makes the mesh carry `desired`. Idempotent: a second call with the same input writes nothing.
   * Changes only what the router owns (weights of the routes it manages, its managed routes, objects
   * it created); everything else in the user's objects stays as it was. When it moves pod-template
   * hashes and weights together it writes them in the order that never sends traffic to pods of the
   * wrong revision. Throws `AdapterError` (terminal when retrying cannot help).
   */
  apply(desired: DesiredTraffic): Promise<RouterChange[]>
  /** Reads the weights and managed routes in effect now from the router's objects. */
  observe(): Promise<ObservedTraffic>
  /**
   * Asks the data plane (e.g. the AWS load balancer) whether `desired` is in effect. Only called
   * when `capabilities.weightVerification` is true.
   */
  verify?(desired: DesiredTraffic): Promise<WeightVerification>
}

/** Dependencies the application hands a router. */
export interface RouterDeps {
  /** The Kubernetes API (a real client in the controller, `createMemoryKube()` of `@sluice/kube/memory` in tests and `sluice plan`). */
  kube: KubeApi
}

export interface TrafficRouterOptions<Config> {
  target: RouterTarget
  /** The router's block of `spec.strategy.canary.trafficRouting` (e.g. the `my-mesh` object). */
  config: Config
}

/** Every adapter exports one factory of this shape. */
export type TrafficRouterFactory<Config> = (options: TrafficRouterOptions<Config>, deps: RouterDeps) => TrafficRouter

/** The capabilities of each router an application knows, for validation without a cluster. */
export type RouterCapabilityMap = Partial<Record<TrafficRouterName | (string & {}), RouterCapabilities>>
