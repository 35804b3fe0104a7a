/**
 * What the ALB router changes on one Ingress, as a pure function of the Ingress as read and the desired
 * traffic: a JSON merge patch of its annotations (the weighted action, the header routes' actions and
 * conditions, the bookkeeping) and, only when the header-route paths change, of `spec.rules` with a
 * `resourceVersion` precondition (merge patch replaces a list whole, so a concurrent edit must fail
 * the write rather than be lost).
 */
import { canonicalJson, jsonEqual } from '@sluice/core'
import type { DesiredTraffic } from '@sluice/core'
import {
  MANAGED_ANNOTATIONS,
  actionKey,
  canaryForwardAction,
  conditionsKey,
  formatManagedAnnotations,
  headerConditions,
  holdsJson,
  parseManagedAnnotations,
  readWeight,
  weightedForwardAction,
} from './action-annotations.ts'
import type { ForwardInput } from './action-annotations.ts'
import { withHeaderRoutePaths } from './header-route-paths.ts'
import { usesAnnotation } from './ingress.ts'
import type { Ingress } from './ingress.ts'

export interface IngressUpdateInput {
  prefix: string
  actionService: string
  forward: ForwardInput
  /** The Rollout's name: its key in the bookkeeping annotation. */
  rollout: string
  managedRoutes: readonly string[]
  desired: DesiredTraffic
}

export type IngressUpdate =
  | { ok: true; patch: Record<string, unknown> | undefined; detail: string }
  | { ok: false; problem: string }

/** The merge patch that makes `ingress` carry `desired` (undefined when it already does), and what it changes, in words. */
export function planIngressUpdate(ingress: Ingress, input: IngressUpdateInput): IngressUpdate {
  const { prefix, desired } = input
  const current = ingress.metadata.annotations ?? {}

  const wanted = new Map<string, unknown>([[actionKey(prefix, input.actionService), weightedForwardAction(input.forward, desired.canary.weight)]])
  for (const route of desired.headerRoutes) {
    const conditions = headerConditions(route)
    if (!conditions.ok) return conditions
    wanted.set(actionKey(prefix, route.name), canaryForwardAction(input.forward))
    wanted.set(conditionsKey(prefix, route.name), conditions.conditions)
  }
  const managed = parseManagedAnnotations(current[MANAGED_ANNOTATIONS])
  if (!managed.ok) return managed

  const rulesBefore = ingress.spec?.rules ?? []
  const rules = withHeaderRoutePaths(rulesBefore, {
    actionService: input.actionService,
    managedRoutes: input.managedRoutes,
    routes: desired.headerRoutes.map((r) => r.name),
  })
  const rulesChanged = !jsonEqual(rules, rulesBefore)

  const annotations: Record<string, string | null> = {}
  for (const [key, value] of wanted) {
    if (!holdsJson(current[key], value)) annotations[key] = JSON.stringify(value)
  }
  // An action annotation that a remaining path still reads is never removed: the path would lose its action.
  const stillRead = new Set(rules.flatMap((r) => (r.http?.paths ?? []).filter(usesAnnotation).map((p) => actionKey(prefix, p.backend.service?.name ?? ''))))
  const stale = new Set([
    ...(managed.byRollout[input.rollout] ?? []),
    ...input.managedRoutes.flatMap((route) => [actionKey(prefix, route), conditionsKey(prefix, route)]),
  ])
  for (const key of stale) {
    if (!wanted.has(key) && key in current && !stillRead.has(key)) annotations[key] = null
  }
  const bookkeeping = formatManagedAnnotations(managed.byRollout, input.rollout, [...wanted.keys()])
  if (current[MANAGED_ANNOTATIONS] === undefined || canonicalJson(managed.byRollout) !== bookkeeping) annotations[MANAGED_ANNOTATIONS] = bookkeeping

  const detail = describeUpdate(ingress, input)
  if (Object.keys(annotations).length === 0 && !rulesChanged) return { ok: true, patch: undefined, detail }
  const metadata: Record<string, unknown> = {}
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations
  if (!rulesChanged) return { ok: true, patch: { metadata }, detail }
  metadata.resourceVersion = ingress.metadata.resourceVersion
  return { ok: true, patch: { metadata, spec: { rules } }, detail }
}

/** The canary weight of the Ingress' weighted action; undefined when the action is absent or unreadable. */
export function observedWeight(ingress: Ingress, prefix: string, actionService: string, canaryService: string): number | undefined {
  return readWeight(ingress.metadata.annotations?.[actionKey(prefix, actionService)], canaryService)
}

/** The managed header routes whose action annotation is on the Ingress, in `managedRoutes` order. */
export function observedHeaderRoutes(ingress: Ingress, prefix: string, managedRoutes: readonly string[]): string[] {
  const annotations = ingress.metadata.annotations ?? {}
  return managedRoutes.filter((route) => actionKey(prefix, route) in annotations)
}

/** `canary weight 0 → 20, header routes [] → [header-1]`. */
function describeUpdate(ingress: Ingress, input: IngressUpdateInput): string {
  const parts: string[] = []
  const was = observedWeight(ingress, input.prefix, input.actionService, input.forward.canaryService)
  if (was !== input.desired.canary.weight) parts.push(`canary weight ${was ?? 'unset'} → ${input.desired.canary.weight}`)
  const routesBefore = observedHeaderRoutes(ingress, input.prefix, input.managedRoutes).join(', ')
  const routesAfter = input.desired.headerRoutes.map((r) => r.name).join(', ')
  if (routesBefore !== routesAfter) parts.push(`header routes [${routesBefore}] → [${routesAfter}]`)
  return parts.length > 0 ? parts.join(', ') : 'annotations or paths brought back in line'
}
