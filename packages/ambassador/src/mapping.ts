/**
 * Emissary-ingress (Ambassador) Mappings, built and checked purely.
 *
 * Emissary splits the traffic of Mappings that share a route by their `weight` (a percentage); a
 * Mapping without one gets what is left. So a canary is a second Mapping, a clone of the user's base
 * Mapping pointed at the canary Service, with `weight` = the canary weight: the base keeps the rest.
 * The API versions differ only in their apiVersion and kind, kept in `MAPPING_KINDS`.
 */
import { isJsonSubset, jsonEqual } from '@sluice/core'
import type { KubeObject } from '@sluice/core'
import { swapServiceName } from './service-reference.ts'
import type { ServiceSwap } from './service-reference.ts'

/** The kind of a Mapping in each API version Sluice speaks. */
export const MAPPING_KINDS = {
  'getambassador.io/v2': 'Mapping',
  'getambassador.io/v3alpha1': 'Mapping',
  'x.getambassador.io/v3alpha1': 'AmbassadorMapping',
} as const

/** The Mapping API version Sluice reads and writes. */
export type AmbassadorApiVersion = keyof typeof MAPPING_KINDS

/**
 * The version used when the controller is not told one: Argo Rollouts' default
 * (`--ambassador-api-version`), so that a cluster Argo Rollouts managed keeps its Mappings.
 */
export const DEFAULT_MAPPING_API_VERSION: AmbassadorApiVersion = 'getambassador.io/v2'

export interface Mapping extends KubeObject {
  spec?: { service?: string; weight?: number; [field: string]: unknown }
}

const CANARY_SUFFIX = '-canary'
/** Longest Kubernetes object name (a DNS subdomain). */
const MAX_NAME_LENGTH = 253

/**
 * `<base>-canary`, with the base name cut so the result is still a valid name: at most 253
 * characters, and no `.` before the suffix (`a.-canary` is not a DNS subdomain).
 *   'web'             → 'web-canary'
 *   'x'.repeat(300)   → 'x'.repeat(246) + '-canary'
 */
export function canaryMappingName(base: string): string {
  return base.slice(0, MAX_NAME_LENGTH - CANARY_SUFFIX.length).replace(/\.+$/, '') + CANARY_SUFFIX
}

/**
 * Why `base` cannot be the base of a canary Mapping, or undefined when it can: it must not set a
 * weight (its share is what the canary leaves) and it must route to the stable Service.
 */
export function baseMappingProblem(base: Mapping, swap: ServiceSwap): string | undefined {
  const name = base.metadata.name ?? ''
  const spec = base.spec ?? {}
  if (spec.weight !== undefined && spec.weight !== null) return `Ambassador mapping "${name}" can not define weight`
  if (typeof spec.service !== 'string' || swapServiceName(spec.service, swap) === undefined) {
    return `Ambassador mapping "${name}" must route to the stable Service "${swap.from}", but its spec.service is ${JSON.stringify(spec.service ?? null)}`
  }
  return undefined
}

export interface CanaryMappingInput {
  /** The base Mapping (checked with `baseMappingProblem`). */
  base: Mapping
  swap: ServiceSwap
  /** The canary weight, 1..100. */
  weight: number
}

/**
 * The canary Mapping of `base`: its whole `spec` (so every user field, such as `prefix`, `hostname`,
 * `rewrite` or timeouts, applies to canary traffic too) with the Service name swapped and `weight` set,
 * and its labels (Emissary may watch Mappings by label); annotations, owner references and the rest of
 * the metadata are not carried over.
 */
export function buildCanaryMapping({ base, swap, weight }: CanaryMappingInput): Mapping {
  const service = swapServiceName(base.spec?.service ?? '', swap)
  if (service === undefined) throw new Error(`buildCanaryMapping: ${baseMappingProblem(base, swap) ?? 'invalid base Mapping'}`)
  const labels = base.metadata.labels
  return {
    apiVersion: base.apiVersion,
    kind: base.kind,
    metadata: {
      name: canaryMappingName(base.metadata.name ?? ''),
      namespace: swap.namespace,
      ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}),
    },
    spec: { ...base.spec, service, weight },
  }
}

/**
 * True when the canary Mapping in the cluster already is `desired`: the same spec exactly (a field
 * removed from the base must go from the canary too) and at least its labels.
 */
export function isCanaryMappingUpToDate(existing: Mapping, desired: Mapping): boolean {
  return jsonEqual(existing.spec, desired.spec) && isJsonSubset(desired.metadata.labels, existing.metadata.labels)
}

/**
 * True when `existing`, a Mapping named after `base`'s canary that no Rollout controls, is the canary
 * Mapping Argo Rollouts writes for `base`: `base`'s spec with the Service swapped, at any weight
 * (Argo Rollouts sets no owner reference and copies no metadata). Such a Mapping carries the
 * canary's traffic and is taken over, not refused.
 */
export function isArgoCanaryMapping(existing: Mapping, base: Mapping, swap: ServiceSwap): boolean {
  if ((existing.metadata.ownerReferences ?? []).some((o) => o.controller === true)) return false
  const service = swapServiceName(base.spec?.service ?? '', swap)
  if (service === undefined) return false
  const { weight: _weight, ...spec } = existing.spec ?? {}
  const { weight: _baseWeight, ...wanted } = { ...base.spec, service }
  return typeof existing.spec?.weight === 'number' && jsonEqual(spec, wanted)
}
