/**
 * Reading `spec.strategy.canary.trafficRouting.nginx`: which stable Ingresses, under which field
 * path, and the checks that need no cluster.
 */
import { fieldError } from '@sluice/core'
import type { FieldError, NginxTrafficRouting } from '@sluice/core'

/** The field path of the router's configuration block. */
export const NGINX_FIELD = 'spec.strategy.canary.trafficRouting.nginx'
/** The annotation prefix ingress-nginx reads unless started with another `--annotations-prefix`. */
export const DEFAULT_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io'

/** A stable Ingress named by the configuration, with the path of the field that names it. */
export interface StableIngressRef {
  name: string
  /** `spec.strategy.canary.trafficRouting.nginx.stableIngress` or `...stableIngresses[1]`. */
  field: string
}

/**
 * The stable Ingresses in configuration order: `stableIngress`, or every entry of `stableIngresses`.
 * Empty when the configuration names none (`checkNginxConfig` reports that).
 */
export function stableIngressRefs(config: NginxTrafficRouting): StableIngressRef[] {
  if (config.stableIngress !== undefined) return [{ name: config.stableIngress, field: `${NGINX_FIELD}.stableIngress` }]
  return (config.stableIngresses ?? []).map((name, i) => ({ name, field: `${NGINX_FIELD}.stableIngresses[${i}]` }))
}

/** The annotation prefix in effect. */
export function annotationPrefixOf(config: NginxTrafficRouting): string {
  return config.annotationPrefix || DEFAULT_ANNOTATION_PREFIX
}

/** Problems visible in the configuration block alone: exactly one of `stableIngress` / `stableIngresses`, no empty or repeated names. */
export function checkNginxConfig(config: NginxTrafficRouting): FieldError[] {
  const single = config.stableIngress !== undefined
  const several = config.stableIngresses !== undefined
  if (single && several) {
    return [fieldError('invalid', NGINX_FIELD, 'exactly one of stableIngress and stableIngresses must be set, not both')]
  }
  if (!single && (!several || config.stableIngresses?.length === 0)) {
    return [fieldError('required', NGINX_FIELD, 'one of stableIngress and stableIngresses (non-empty) must be set')]
  }
  const errors: FieldError[] = []
  const seen = new Set<string>()
  for (const ref of stableIngressRefs(config)) {
    if (ref.name === '') errors.push(fieldError('required', ref.field, 'an Ingress name is required'))
    else if (seen.has(ref.name)) errors.push(fieldError('invalid', ref.field, 'the Ingress is listed twice', ref.name))
    seen.add(ref.name)
  }
  return errors
}
