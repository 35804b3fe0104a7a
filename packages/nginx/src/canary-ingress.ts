/**
 * The canary Ingress: a second Ingress that ingress-nginx merges into the stable one's server and
 * location blocks, sending `canary-weight` of `canary-weight-total` requests (and every request the
 * `canary-by-header*` annotations match) to the canary Service.
 *
 * Everything here is pure: the desired canary Ingress from the stable Ingress, the router
 * configuration and the desired traffic; and the reverse reads for `observe()`.
 */
import { cloneJson, isJsonSubset, jsonEqual } from '@sluice/core'
import type { DesiredTraffic, NginxTrafficRouting } from '@sluice/core'
import { canaryByHeaderAnnotations, headerAnnotationKeys } from './canary-by-header.ts'
import { INGRESS_API_VERSION, INGRESS_CLASS_ANNOTATION, INGRESS_KIND } from './ingress.ts'
import type { Ingress, IngressRule } from './ingress.ts'
import { annotationPrefixOf } from './nginx-config.ts'

/** Canary Ingress annotation: the managed header routes it carries, comma-separated, in precedence order. */
export const HEADER_ROUTES_ANNOTATION = 'sluice.dev/header-routes'
/**
 * Canary Ingress annotation: every annotation key Sluice set, comma-separated. Annotations added to the
 * canary Ingress by hand are not listed and are kept; listed ones Sluice no longer wants are removed.
 */
export const MANAGED_ANNOTATIONS_ANNOTATION = 'sluice.dev/managed-annotations'

const MAX_NAME_LENGTH = 253
const CANARY_SUFFIX = '-canary'

/**
 * `<rollout>-<stableIngress>-canary`, with the `<rollout>-<stableIngress>` part cut so the whole name
 * fits the 253 characters of an object name (and trailing dots dropped, so it stays a DNS subdomain).
 */
export function canaryIngressName(rolloutName: string, stableIngressName: string): string {
  const prefix = `${rolloutName}-${stableIngressName}`.slice(0, MAX_NAME_LENGTH - CANARY_SUFFIX.length).replace(/\.+$/, '')
  return `${prefix}${CANARY_SUFFIX}`
}

/**
 * The rules of the canary Ingress: of each stable rule only the paths whose backend is the stable
 * Service, pointed at the canary Service; rules left without paths are dropped. (Argo Rollouts copies
 * whole rules, so other applications' paths on the same host show up in the canary Ingress: issue #3541.)
 */
export function canaryRules(stable: Ingress, stableService: string, canaryService: string): IngressRule[] {
  const rules: IngressRule[] = []
  for (const rule of stable.spec?.rules ?? []) {
    const paths = (rule.http?.paths ?? [])
      .filter((p) => p.backend.service?.name === stableService)
      .map((p) => {
        const path = cloneJson(p)
        if (path.backend.service) path.backend.service.name = canaryService
        return path
      })
    if (paths.length > 0) rules.push({ ...cloneJson(rule), http: { ...cloneJson(rule.http), paths } })
  }
  return rules
}

/**
 * The rules Argo Rollouts writes into its canary Ingress: every stable rule that has a path to the
 * stable Service, whole, with those paths pointed at the canary Service. A canary Ingress Argo
 * Rollouts left in this form is adopted as it is (see `buildCanaryIngress`'s `existing`).
 */
export function argoCanaryRules(stable: Ingress, stableService: string, canaryService: string): IngressRule[] {
  const rules: IngressRule[] = []
  for (const rule of stable.spec?.rules ?? []) {
    if (!(rule.http?.paths ?? []).some((p) => p.backend.service?.name === stableService)) continue
    const copy = cloneJson(rule)
    for (const path of copy.http?.paths ?? []) if (path.backend.service?.name === stableService) path.backend.service.name = canaryService
    rules.push(copy)
  }
  return rules
}

export interface CanaryIngressInput {
  /** The stable Ingress as read from the API. */
  stable: Ingress
  /** The canary Ingress name (`canaryIngressName`). */
  name: string
  config: NginxTrafficRouting
  canaryService: string
  stableService: string
  desired: DesiredTraffic
  /**
   * The canary Ingress as it is, if it exists. When its rules are the ones Argo Rollouts derives
   * from the stable Ingress (`argoCanaryRules`), they are kept: taking over from Argo Rollouts
   * rewrites nothing.
   */
  existing?: Ingress
}

export type CanaryIngressResult = { ok: true; ingress: Ingress } | { ok: false; problem: string }

/** The canary Ingress that carries `desired` (without owner references: `ensureOwned` adds them). */
export function buildCanaryIngress(input: CanaryIngressInput): CanaryIngressResult {
  const { stable, config, desired } = input
  const argoRules = argoCanaryRules(stable, input.stableService, input.canaryService)
  const keepArgoRules = input.existing !== undefined && argoRules.length > 0 && jsonEqual(input.existing.spec?.rules, argoRules)
  const rules = keepArgoRules ? argoRules : canaryRules(stable, input.stableService, input.canaryService)
  if (rules.length === 0) {
    return { ok: false, problem: `no path of its rules has the stable Service "${input.stableService}" as backend` }
  }
  const annotations = canaryAnnotations(stable, config, desired)
  if (!annotations.ok) return annotations
  const spec: Ingress['spec'] = {}
  if (stable.spec?.ingressClassName !== undefined) spec.ingressClassName = stable.spec.ingressClassName
  if (stable.spec?.tls !== undefined) spec.tls = cloneJson(stable.spec.tls)
  spec.rules = rules
  const ingress: Ingress = {
    apiVersion: INGRESS_API_VERSION,
    kind: INGRESS_KIND,
    metadata: { name: input.name, namespace: stable.metadata.namespace ?? '', annotations: annotations.annotations },
    spec,
  }
  return { ok: true, ingress }
}

/**
 * The annotations of the canary Ingress, each later group overriding the earlier ones:
 * 1. the stable Ingress' `kubernetes.io/ingress.class`;
 * 2. `additionalIngressAnnotations`, keys prefixed with `<prefix>/` unless they already are;
 * 3. `canaryIngressAnnotations`, keys as written;
 * 4. the `canary-by-header*` annotations of the header routes (an error if 2 or 3 set those too);
 * 5. `canary: "true"`, `canary-weight`, and `canary-weight-total` when the scale is not 100;
 * 6. Sluice's bookkeeping: the header route names and the list of keys it set.
 */
export function canaryAnnotations(
  stable: Ingress,
  config: NginxTrafficRouting,
  desired: DesiredTraffic,
): { ok: true; annotations: Record<string, string> } | { ok: false; problem: string } {
  const prefix = annotationPrefixOf(config)
  const annotations: Record<string, string> = {}
  const ingressClass = stable.metadata.annotations?.[INGRESS_CLASS_ANNOTATION]
  if (ingressClass !== undefined) annotations[INGRESS_CLASS_ANNOTATION] = ingressClass
  for (const [key, value] of Object.entries(config.additionalIngressAnnotations ?? {})) {
    annotations[key.startsWith(`${prefix}/`) ? key : `${prefix}/${key}`] = value
  }
  Object.assign(annotations, config.canaryIngressAnnotations)

  const byHeader = canaryByHeaderAnnotations(desired.headerRoutes, prefix)
  if (!byHeader.ok) return byHeader
  if (desired.headerRoutes.length > 0) {
    const configured = headerAnnotationKeys(prefix).filter((key) => key in annotations)
    if (configured.length > 0) {
      return {
        ok: false,
        problem:
          `header route "${desired.headerRoutes[0]?.name}" needs ${configured.join(', ')}, which the Rollout already sets in ` +
          'additionalIngressAnnotations or canaryIngressAnnotations; remove them there to route by header with setHeaderRoute',
      }
    }
  }
  Object.assign(annotations, byHeader.annotations)

  annotations[`${prefix}/canary`] = 'true'
  annotations[`${prefix}/canary-weight`] = String(desired.canary.weight)
  if (desired.maxWeight !== 100) annotations[`${prefix}/canary-weight-total`] = String(desired.maxWeight)
  if (desired.headerRoutes.length > 0) annotations[HEADER_ROUTES_ANNOTATION] = desired.headerRoutes.map((r) => r.name).join(',')
  annotations[MANAGED_ANNOTATIONS_ANNOTATION] = Object.keys(annotations).sort().join(',')
  return { ok: true, annotations }
}

/**
 * True when `existing` carries everything in `desired` (API-server defaults and annotations added by
 * hand may come on top) and nothing Sluice set before and no longer wants: no annotation listed in
 * its `sluice.dev/managed-annotations` but absent from `desired`, no TLS or class the stable Ingress dropped.
 */
export function isCanaryIngressUpToDate(existing: Ingress, desired: Ingress): boolean {
  const { ownerReferences: _ignored, ...metadata } = desired.metadata
  // An Ingress Sluice never wrote (Argo Rollouts made it) has no bookkeeping yet; it is not a reason to write.
  if (existing.metadata.annotations?.[MANAGED_ANNOTATIONS_ANNOTATION] === undefined && metadata.annotations) {
    const { [MANAGED_ANNOTATIONS_ANNOTATION]: _bookkeeping, ...annotations } = metadata.annotations
    metadata.annotations = annotations
  }
  if (!isJsonSubset({ ...desired, metadata }, existing)) return false
  const wanted = desired.metadata.annotations ?? {}
  const present = existing.metadata.annotations ?? {}
  if (managedAnnotationKeys(existing).some((key) => key in present && !(key in wanted))) return false
  return (['ingressClassName', 'tls'] as const).every((field) => desired.spec?.[field] !== undefined || existing.spec?.[field] === undefined)
}

/** The annotation keys Sluice recorded as set on a canary Ingress. */
export function managedAnnotationKeys(ingress: Ingress): string[] {
  const list = ingress.metadata.annotations?.[MANAGED_ANNOTATIONS_ANNOTATION]
  return list ? [MANAGED_ANNOTATIONS_ANNOTATION, ...list.split(',').filter((k) => k !== '')] : []
}

/** The canary weight a canary Ingress carries; undefined when it has none (or not a number). */
export function readCanaryWeight(ingress: Ingress, prefix: string): number | undefined {
  const text = ingress.metadata.annotations?.[`${prefix}/canary-weight`]
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined
  return Number(text.trim())
}

/** The managed header routes a canary Ingress carries, in precedence order. */
export function readHeaderRoutes(ingress: Ingress): string[] {
  const list = ingress.metadata.annotations?.[HEADER_ROUTES_ANNOTATION]
  return list ? list.split(',').filter((name) => name !== '') : []
}
