/**
 * The annotations the AWS Load Balancer Controller turns into listener rules, as pure functions:
 * - `<prefix>/actions.<service>`: a forward action that splits traffic between target groups by weight;
 * - `<prefix>/conditions.<route>`: extra conditions (here `http-header`) for the rule of the path
 *   whose backend is `<route>`;
 * - `rollouts.argoproj.io/managed-alb-annotations`: which of those annotations each Rollout manages
 *   (Argo Rollouts' bookkeeping, shared with it and between Rollouts on one Ingress).
 */
import { canonicalJson, jsonEqual } from '@sluice/core'
import type { HeaderRoute } from '@sluice/core'

export const MANAGED_ANNOTATIONS = 'rollouts.argoproj.io/managed-alb-annotations'

export interface TargetGroupTuple {
  ServiceName: string
  ServicePort: string
  Weight: number
}

export interface ForwardAction {
  Type: 'forward'
  ForwardConfig: {
    TargetGroups: TargetGroupTuple[]
    TargetGroupStickinessConfig?: { Enabled: boolean; DurationSeconds?: number }
  }
}

export interface HeaderCondition {
  field: 'http-header'
  httpHeaderConfig: { httpHeaderName: string; values: string[] }
}

export interface ForwardInput {
  canaryService: string
  stableService: string
  servicePort: number
  stickiness: { Enabled: true; DurationSeconds: number } | undefined
}

export function actionKey(prefix: string, name: string): string {
  return `${prefix}/actions.${name}`
}

export function conditionsKey(prefix: string, route: string): string {
  return `${prefix}/conditions.${route}`
}

/**
 * The weighted forward action: canary first, then stable, at `servicePort` (a string, as the controller
 * expects), with the stickiness block when it is enabled.
 *   canaryWeight 20 → TargetGroups [{web-canary, "80", 20}, {web-stable, "80", 80}]
 */
export function weightedForwardAction(input: ForwardInput, canaryWeight: number): ForwardAction {
  return forward(
    [
      { ServiceName: input.canaryService, ServicePort: String(input.servicePort), Weight: canaryWeight },
      { ServiceName: input.stableService, ServicePort: String(input.servicePort), Weight: 100 - canaryWeight },
    ],
    input.stickiness,
  )
}

/** The action of a header route: everything to the canary. */
export function canaryForwardAction(input: ForwardInput): ForwardAction {
  return forward([{ ServiceName: input.canaryService, ServicePort: String(input.servicePort), Weight: 100 }], input.stickiness)
}

function forward(targetGroups: TargetGroupTuple[], stickiness: ForwardInput['stickiness']): ForwardAction {
  const action: ForwardAction = { Type: 'forward', ForwardConfig: { TargetGroups: targetGroups } }
  if (stickiness) action.ForwardConfig.TargetGroupStickinessConfig = stickiness
  return action
}

export type HeaderConditions = { ok: true; conditions: HeaderCondition[] } | { ok: false; problem: string }

/**
 * The `http-header` condition of a header route. ALB compares header names case-insensitively and
 * ORs the values of one condition, but ANDs separate conditions; a route's matches are ORed, so they
 * must all name one header (their values are merged). ALB also reads `*` and `?` in a value as
 * wildcards, which an exact match cannot have.
 */
export function headerConditions(route: HeaderRoute): HeaderConditions {
  const first = route.match[0]
  if (!first) return { ok: false, problem: `header route "${route.name}" has no match` }
  const values: string[] = []
  for (const match of route.match) {
    if (match.headerName.toLowerCase() !== first.headerName.toLowerCase()) {
      return {
        ok: false,
        problem:
          `header route "${route.name}" matches the headers "${first.headerName}" and "${match.headerName}": an ALB rule would require ` +
          'both (its conditions are ANDed), while the matches of a route are alternatives; use one header per route',
      }
    }
    const value = match.headerValue.exact
    if (value === undefined) return { ok: false, problem: `header route "${route.name}": ALB header routes support exact values only` }
    if (/[*?]/.test(value)) {
      return { ok: false, problem: `header route "${route.name}": the exact value "${value}" contains * or ?, which ALB reads as wildcards` }
    }
    if (!values.includes(value)) values.push(value)
  }
  return { ok: true, conditions: [{ field: 'http-header', httpHeaderConfig: { httpHeaderName: first.headerName, values } }] }
}

/** The weight of `serviceName` in a forward action annotation; undefined when absent or unreadable. */
export function readWeight(annotation: string | undefined, serviceName: string): number | undefined {
  const action = parseJson(annotation) as Partial<ForwardAction> | undefined
  const tuple = action?.ForwardConfig?.TargetGroups?.find((tg) => tg.ServiceName === serviceName)
  return typeof tuple?.Weight === 'number' ? tuple.Weight : undefined
}

/** True when the annotation holds the same JSON value as `wanted` (formatting aside). */
export function holdsJson(annotation: string | undefined, wanted: unknown): boolean {
  return annotation !== undefined && jsonEqual(parseJson(annotation), wanted)
}

export type ManagedAnnotations = { ok: true; byRollout: Record<string, string[]> } | { ok: false; problem: string }

/** Parses the bookkeeping annotation (absent = nobody manages anything). */
export function parseManagedAnnotations(annotation: string | undefined): ManagedAnnotations {
  if (annotation === undefined || annotation.trim() === '') return { ok: true, byRollout: {} }
  const value = parseJson(annotation)
  const isMap =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((keys) => Array.isArray(keys) && keys.every((k) => typeof k === 'string'))
  if (!isMap) return { ok: false, problem: `annotation ${MANAGED_ANNOTATIONS} is not a JSON object of annotation-key lists; fix or remove it` }
  return { ok: true, byRollout: value as Record<string, string[]> }
}

/** The bookkeeping annotation with `rollout`'s entry replaced by `keys` (sorted); other Rollouts' entries are kept. Keys are sorted like Go's encoder does. */
export function formatManagedAnnotations(byRollout: Record<string, string[]>, rollout: string, keys: readonly string[]): string {
  return canonicalJson({ ...byRollout, [rollout]: [...keys].sort() })
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    // Not JSON: the caller treats it as "not what we want" and overwrites or reports it.
    return undefined
  }
}
