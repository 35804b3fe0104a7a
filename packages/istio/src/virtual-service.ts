/**
 * Pure functions over an Istio VirtualService spec: which routes a rollout shifts, which destinations
 * are its canary and stable, the desired route lists for a weight and a set of managed routes, and
 * what the lists say now. No I/O: `istio-router.ts` reads and writes the objects.
 *
 * Sluice owns, inside a VirtualService: the weights of the canary and stable destinations of the
 * selected routes, and the HTTP routes named in `managedRoutes`. Every other route, destination and
 * field is returned exactly as it was read.
 */
import { cloneJson } from '@sluice/core'
import type { HeaderRoute, IstioVirtualService, KubeObject, MirrorRoute, StringMatch } from '@sluice/core'

export interface Destination {
  host: string
  subset?: string
  port?: { number?: number }
  [field: string]: unknown
}

export interface RouteDestination {
  destination: Destination
  /** Absent means 0 when a route has several destinations (Istio's rule). */
  weight?: number
  [field: string]: unknown
}

export interface HttpMatchRequest {
  uri?: StringMatch
  method?: StringMatch
  headers?: Record<string, StringMatch>
  [field: string]: unknown
}

export interface HttpRoute {
  name?: string
  match?: HttpMatchRequest[]
  route?: RouteDestination[]
  mirror?: Destination
  mirrorPercentage?: { value: number }
  [field: string]: unknown
}

export interface TlsRoute {
  match?: { port?: number; sniHosts?: string[]; [field: string]: unknown }[]
  route?: RouteDestination[]
  [field: string]: unknown
}

export interface TcpRoute {
  match?: { port?: number; [field: string]: unknown }[]
  route?: RouteDestination[]
  [field: string]: unknown
}

export interface VirtualServiceSpec {
  hosts?: string[]
  http?: HttpRoute[]
  tls?: TlsRoute[]
  tcp?: TcpRoute[]
  [field: string]: unknown
}

export interface VirtualService extends KubeObject {
  spec?: VirtualServiceSpec
}

/** The route lists Sluice may rewrite (every other field of the spec is left alone). */
export type RouteLists = Pick<VirtualServiceSpec, 'http' | 'tls' | 'tcp'>

/**
 * How canary and stable are told apart in route destinations.
 * - `host`: by Service: the destination host's short name (text before the first dot) is the
 *   canary or stable Service.
 * - `subset`: by subset of the DestinationRule's host (`host` undefined while the DestinationRule
 *   cannot be read: then subsets are matched by name alone).
 */
export type TrafficSplit =
  | { level: 'host'; canaryService: string; stableService: string }
  | { level: 'subset'; host: string | undefined; canarySubset: string; stableSubset: string }

export type DestinationRole = 'canary' | 'stable' | 'other'

/** Indexes into `spec.http`, `spec.tls` and `spec.tcp` of the routes whose weights Sluice sets. */
export interface SelectedRoutes {
  http: number[]
  tls: number[]
  tcp: number[]
}

/** The managed routes and weight a VirtualService must carry. */
export interface DesiredRoutes {
  /** Canary weight in percent (0..100). */
  canaryWeight: number
  headerRoutes: readonly HeaderRoute[]
  mirrorRoutes: readonly MirrorRoute[]
  /** `trafficRouting.managedRoutes` names: their order is the precedence of the managed routes. */
  managedRoutes: readonly string[]
}

/** `svc.ns.svc.cluster.local` → `svc`: hosts are compared by short name, as Istio users write them both ways. */
export function shortHost(host: string): string {
  const dot = host.indexOf('.')
  return dot === -1 ? host : host.slice(0, dot)
}

/**
 * Where a `virtualService.name` points: `name` (the rollout's namespace) or `name.namespace`; a
 * trailing `.svc.cluster.local` or `.cluster.local` is ignored.
 *   parseVirtualServiceName('web', 'default')              → { name: 'web', namespace: 'default' }
 *   parseVirtualServiceName('web.mesh', 'default')         → { name: 'web', namespace: 'mesh' }
 *   parseVirtualServiceName('web.mesh.svc.cluster.local', 'default') → { name: 'web', namespace: 'mesh' }
 */
export function parseVirtualServiceName(value: string, defaultNamespace: string): { name: string; namespace: string } {
  const bare = value.replace(/\.svc\.cluster\.local$|\.cluster\.local$/, '')
  const dot = bare.lastIndexOf('.')
  if (dot <= 0 || dot === bare.length - 1) return { name: bare, namespace: defaultNamespace }
  return { name: bare.slice(0, dot), namespace: bare.slice(dot + 1) }
}

export function roleOf(destination: Destination | undefined, split: TrafficSplit): DestinationRole {
  if (!destination || typeof destination.host !== 'string') return 'other'
  const host = shortHost(destination.host)
  if (split.level === 'host') {
    if (host === split.canaryService) return 'canary'
    if (host === split.stableService) return 'stable'
    return 'other'
  }
  if (split.host !== undefined && host !== shortHost(split.host)) return 'other'
  if (destination.subset === split.canarySubset) return 'canary'
  if (destination.subset === split.stableSubset) return 'stable'
  return 'other'
}

/** How messages name a route: `HTTP route "primary"`, or `HTTP route http[1]` when it has no name. */
export function describeRoute(kind: 'http' | 'tls' | 'tcp', index: number, name?: string): string {
  const label = kind.toUpperCase()
  return name ? `${label} route "${name}"` : `${label} route ${kind}[${index}]`
}

/**
 * Picks the routes whose weights the rollout sets, and says what is wrong with the selection.
 * - HTTP: the routes named in `routes`; when `routes` is omitted, the one HTTP route whose name is
 *   not in `managedRoutes` (several, or none, is an error: never a silent no-op). `routes: []`
 *   selects no HTTP route.
 * - TLS: every route matched by a `tlsRoutes` entry (port and SNI host set, each compared only when
 *   the entry gives it); omitted: the only TLS route, if the VirtualService has exactly one.
 * - TCP: the same with `tcpRoutes` (port).
 */
export function selectRoutes(
  spec: VirtualServiceSpec,
  selection: Omit<IstioVirtualService, 'name'>,
  managedRoutes: readonly string[],
): { selected: SelectedRoutes; problems: string[] } {
  const problems: string[] = []
  const http = spec.http ?? []
  const tls = spec.tls ?? []
  const tcp = spec.tcp ?? []
  const selected: SelectedRoutes = { http: [], tls: [], tcp: [] }
  if (http.length === 0 && tls.length === 0 && tcp.length === 0) {
    return { selected, problems: ['has no http, tls or tcp routes'] }
  }
  const managed = new Set(managedRoutes)

  if (selection.routes !== undefined) {
    for (const name of selection.routes) {
      const index = http.findIndex((route) => route.name === name)
      if (index === -1) problems.push(`has no HTTP route "${name}" (named in routes)`)
      else if (managed.has(name)) problems.push(`has HTTP route "${name}" named in both routes and managedRoutes (managed routes are created and deleted by Sluice)`)
      else if (!selected.http.includes(index)) selected.http.push(index)
    }
  } else if (http.length > 0) {
    const candidates = http.flatMap((route, index) => (route.name !== undefined && managed.has(route.name) ? [] : [index]))
    if (candidates.length === 1) selected.http.push(candidates[0] ?? 0)
    else if (candidates.length === 0) problems.push('has no HTTP route outside managedRoutes to shift traffic on')
    else {
      const names = candidates.map((i) => describeRoute('http', i, http[i]?.name)).join(', ')
      problems.push(`has ${candidates.length} HTTP routes outside managedRoutes (${names}): name the ones to shift in routes`)
    }
  }

  selected.tls = selectByPort('tls', tls, selection.tlsRoutes, isTlsMatch, problems)
  selected.tcp = selectByPort('tcp', tcp, selection.tcpRoutes, isTcpMatch, problems)

  for (const list of [selected.http, selected.tls, selected.tcp]) list.sort((a, b) => a - b)
  if (problems.length === 0 && selected.http.length + selected.tls.length + selected.tcp.length === 0) {
    problems.push('has no route selected by routes, tlsRoutes or tcpRoutes')
  }
  return { selected, problems }
}

/** TLS and TCP routes: every route some selector matches; without selectors, the only route (several is a problem). */
function selectByPort<R, S extends { port?: number; sniHosts?: string[] }>(
  kind: 'tls' | 'tcp',
  routes: readonly R[],
  selectors: readonly S[] | undefined,
  isMatch: (route: R, selector: S) => boolean,
  problems: string[],
): number[] {
  const label = kind.toUpperCase()
  const field = `${kind}Routes`
  if (selectors === undefined) {
    if (routes.length > 1) problems.push(`has ${routes.length} ${label} routes: select the ones to shift with ${field} (or ${field}: [] for none)`)
    return routes.length === 1 ? [0] : []
  }
  const selected = new Set<number>()
  selectors.forEach((selector, j) => {
    const matches = routes.flatMap((route, index) => (isMatch(route, selector) ? [index] : []))
    if (matches.length === 0) problems.push(`has no ${label} route matching ${field}[${j}] (${describeSelector(selector)})`)
    for (const index of matches) selected.add(index)
  })
  return [...selected]
}

function isTlsMatch(route: TlsRoute, selector: { port?: number; sniHosts?: string[] }): boolean {
  const matches = route.match ?? []
  if (selector.port !== undefined && !sameSet(matches.map((m) => m.port), [selector.port])) return false
  if (selector.sniHosts !== undefined && selector.sniHosts.length > 0) {
    if (!sameSet(matches.flatMap((m) => m.sniHosts ?? []), selector.sniHosts)) return false
  }
  return true
}

function isTcpMatch(route: TcpRoute, selector: { port?: number }): boolean {
  return selector.port === undefined || sameSet((route.match ?? []).map((m) => m.port), [selector.port])
}

function sameSet<T>(actual: readonly T[], wanted: readonly T[]): boolean {
  const a = new Set(actual)
  const b = new Set(wanted)
  return a.size === b.size && [...a].every((x) => b.has(x))
}

function describeSelector(selector: { port?: number; sniHosts?: string[] }): string {
  const parts = []
  if (selector.port !== undefined) parts.push(`port ${selector.port}`)
  if (selector.sniHosts && selector.sniHosts.length > 0) parts.push(`sniHosts ${selector.sniHosts.join(', ')}`)
  return parts.length > 0 ? parts.join(', ') : 'any'
}

/** Every selected route must carry exactly one canary and one stable destination. */
export function findDestinationProblems(spec: VirtualServiceSpec, selected: SelectedRoutes, split: TrafficSplit): string[] {
  const problems: string[] = []
  const check = (kind: 'http' | 'tls' | 'tcp', index: number, route: { name?: string; route?: RouteDestination[] } | undefined) => {
    const roles = (route?.route ?? []).map((entry) => roleOf(entry.destination, split))
    for (const role of ['canary', 'stable'] as const) {
      const count = roles.filter((r) => r === role).length
      if (count === 1) continue
      const what = describeRole(role, split)
      const routeName = describeRoute(kind, index, route?.name)
      problems.push(count === 0 ? `${routeName} has no destination for ${what}` : `${routeName} has ${count} destinations for ${what}; it needs exactly one`)
    }
  }
  for (const i of selected.http) check('http', i, spec.http?.[i])
  for (const i of selected.tls) check('tls', i, spec.tls?.[i])
  for (const i of selected.tcp) check('tcp', i, spec.tcp?.[i])
  return problems
}

function describeRole(role: 'canary' | 'stable', split: TrafficSplit): string {
  if (split.level === 'host') return `the ${role} Service "${role === 'canary' ? split.canaryService : split.stableService}"`
  const subset = role === 'canary' ? split.canarySubset : split.stableSubset
  return split.host === undefined ? `the ${role} subset "${subset}"` : `the ${role} subset "${subset}" of host "${split.host}"`
}

/**
 * Sets the canary and stable weights of one route's destinations, in percent.
 *
 * Destinations that are neither canary nor stable (other hosts, `additionalSubsetNames` subsets)
 * keep their weights: call their sum `held`. The canary gets `min(canaryWeight, 100 − held)` and the
 * stable the rest, so the route still sums to 100 and no weight is ever negative. (Argo Rollouts
 * deletes such destinations instead.)
 *   [stable 100, canary 0], 20             → [stable 80, canary 20]
 *   [stable 70, canary 0, other 30], 20    → [stable 50, canary 20, other 30]
 *   [stable 70, canary 0, other 30], 100   → [stable 0, canary 70, other 30]   (capped)
 * Entries whose weight does not change are returned as they were (same object).
 */
export function setRouteWeights(route: readonly RouteDestination[], split: TrafficSplit, canaryWeight: number): RouteDestination[] {
  const roles = route.map((entry) => roleOf(entry.destination, split))
  const held = route.reduce((sum, entry, i) => (roles[i] === 'other' ? sum + (entry.weight ?? 0) : sum), 0)
  const room = Math.max(0, 100 - held)
  const canary = Math.min(Math.max(0, canaryWeight), room)
  const stable = room - canary
  return route.map((entry, i) => {
    const role = roles[i]
    if (role === 'other') return entry
    const weight = role === 'canary' ? canary : stable
    return (entry.weight ?? 0) === weight ? entry : { ...entry, weight }
  })
}

/** The destination managed routes send to: the canary destination of `weighted`, with a port if the route has one. */
function canaryDestination(weighted: readonly RouteDestination[], split: TrafficSplit): Destination {
  const canary = weighted.find((entry) => roleOf(entry.destination, split) === 'canary')?.destination
  const destination: Destination = { host: canary?.host ?? '' }
  if (canary?.subset !== undefined) destination.subset = canary.subset
  const port = canary?.port ?? weighted[0]?.destination.port
  if (port !== undefined) destination.port = cloneJson(port)
  return destination
}

function istioStringMatch(match: StringMatch): StringMatch {
  if (match.exact !== undefined) return { exact: match.exact }
  if (match.prefix !== undefined) return { prefix: match.prefix }
  if (match.regex !== undefined) return { regex: match.regex }
  return {}
}

/** Istio wants header names in lower case; HTTP header names are case-insensitive, so nothing is lost. */
function istioHeaders(headers: Record<string, StringMatch>): Record<string, StringMatch> {
  return Object.fromEntries(Object.entries(headers).map(([name, match]) => [name.toLowerCase(), istioStringMatch(match)]))
}

/** A header route: any of its header matches (ORed) sends the request 100 % to the canary. */
export function buildHeaderRoute(route: HeaderRoute, weighted: readonly RouteDestination[], split: TrafficSplit): HttpRoute {
  return {
    name: route.name,
    match: route.match.map((m) => ({ headers: istioHeaders({ [m.headerName]: m.headerValue }) })),
    route: [{ destination: canaryDestination(weighted, split), weight: 100 }],
  }
}

/**
 * A mirror route: matching requests (entries ORed, conditions inside one entry ANDed) keep the
 * current canary/stable split and `percentage` % of them are copied to the canary.
 */
export function buildMirrorRoute(route: MirrorRoute, weighted: readonly RouteDestination[], split: TrafficSplit): HttpRoute {
  return {
    name: route.name,
    match: route.match.map((m) => {
      const match: HttpMatchRequest = {}
      if (m.method) match.method = istioStringMatch(m.method)
      if (m.path) match.uri = istioStringMatch(m.path)
      if (m.headers) match.headers = istioHeaders(m.headers)
      return match
    }),
    route: cloneJson([...weighted]),
    mirror: canaryDestination(weighted, split),
    mirrorPercentage: { value: route.percentage },
  }
}

/**
 * The route lists the VirtualService must have: the selected routes carry `canaryWeight`, the
 * desired managed routes come first in `managedRoutes` order, every other route follows in its
 * existing order, and routes named in `managedRoutes` that are not desired are gone. Managed routes
 * are built from the first selected HTTP route (so mirror routes follow the split); a
 * VirtualService without a selected HTTP route gets none. Lists absent from `spec` stay absent.
 */
export function buildRouteLists(spec: VirtualServiceSpec, selected: SelectedRoutes, split: TrafficSplit, desired: DesiredRoutes): RouteLists {
  const lists: RouteLists = {}
  if (spec.tls) lists.tls = weighRoutes(spec.tls, selected.tls, split, desired.canaryWeight)
  if (spec.tcp) lists.tcp = weighRoutes(spec.tcp, selected.tcp, split, desired.canaryWeight)
  if (!spec.http) return lists

  // A desired route is managed even if `managedRoutes` forgot it: otherwise the next apply would keep it as a user route and add it again.
  const managed = new Set([...desired.managedRoutes, ...desired.headerRoutes.map((r) => r.name), ...desired.mirrorRoutes.map((r) => r.name)])
  const http = weighRoutes(spec.http, selected.http, split, desired.canaryWeight)
  const first = selected.http[0] === undefined ? undefined : http[selected.http[0]]?.route
  const built: HttpRoute[] = []
  if (first) {
    for (const header of desired.headerRoutes) built.push(buildHeaderRoute(header, first, split))
    for (const mirror of desired.mirrorRoutes) built.push(buildMirrorRoute(mirror, first, split))
  }
  const rank = (name: string | undefined) => {
    const i = desired.managedRoutes.indexOf(name ?? '')
    return i === -1 ? desired.managedRoutes.length : i
  }
  built.sort((a, b) => rank(a.name) - rank(b.name))
  lists.http = [...built, ...http.filter((route) => route.name === undefined || !managed.has(route.name))]
  return lists
}

function weighRoutes<R extends { route?: RouteDestination[] }>(routes: readonly R[], indexes: readonly number[], split: TrafficSplit, canaryWeight: number): R[] {
  return routes.map((route, i) => (indexes.includes(i) && route.route ? { ...route, route: setRouteWeights(route.route, split, canaryWeight) } : route))
}

/** The canary and stable weights (percent) of the first selected route: HTTP first, then TLS, then TCP. */
export function readSplitWeights(spec: VirtualServiceSpec, selected: SelectedRoutes, split: TrafficSplit): { canary: number; stable: number } | undefined {
  const first =
    (selected.http[0] !== undefined ? spec.http?.[selected.http[0]] : undefined) ??
    (selected.tls[0] !== undefined ? spec.tls?.[selected.tls[0]] : undefined) ??
    (selected.tcp[0] !== undefined ? spec.tcp?.[selected.tcp[0]] : undefined)
  const weightOf = (role: DestinationRole) => first?.route?.find((entry) => roleOf(entry.destination, split) === role)?.weight ?? 0
  return first?.route ? { canary: weightOf('canary'), stable: weightOf('stable') } : undefined
}

/** The managed routes present, in precedence order: routes with a `mirror` are mirror routes, the others header routes. */
export function readManagedRoutes(spec: VirtualServiceSpec, managedRoutes: readonly string[]): { headerRoutes: string[]; mirrorRoutes: string[] } {
  const managed = new Set(managedRoutes)
  const present = (spec.http ?? []).filter((route) => route.name !== undefined && managed.has(route.name))
  return {
    headerRoutes: present.filter((route) => route.mirror === undefined).map((route) => route.name ?? ''),
    mirrorRoutes: present.filter((route) => route.mirror !== undefined).map((route) => route.name ?? ''),
  }
}
