/**
 * Reading `spec.strategy.canary.trafficRouting.alb`: the Ingresses with the field paths that name
 * them, the action Service, the annotation prefix, and the checks that need no cluster.
 */
import { fieldError } from '@sluice/core'
import type { AlbTrafficRouting, FieldError, RouterTarget } from '@sluice/core'

export const ALB_FIELD = 'spec.strategy.canary.trafficRouting.alb'
/** The prefix the AWS Load Balancer Controller reads unless started with another `--annotations-prefix`. */
export const DEFAULT_ANNOTATION_PREFIX = 'alb.ingress.kubernetes.io'
/** Target-group stickiness may last 1 s to 7 days. */
export const MAX_STICKINESS_SECONDS = 604_800

/** An Ingress named by the configuration, with the path of the field that names it. */
export interface IngressConfigRef {
  name: string
  /** `spec.strategy.canary.trafficRouting.alb.ingress` or `...alb.ingresses[1]`. */
  field: string
}

/** The Ingresses in configuration order: `ingress`, or every entry of `ingresses`. */
export function ingressConfigRefs(config: AlbTrafficRouting): IngressConfigRef[] {
  if (config.ingress !== undefined) return [{ name: config.ingress, field: `${ALB_FIELD}.ingress` }]
  return (config.ingresses ?? []).map((name, i) => ({ name, field: `${ALB_FIELD}.ingresses[${i}]` }))
}

export function annotationPrefixOf(config: AlbTrafficRouting): string {
  return config.annotationPrefix || DEFAULT_ANNOTATION_PREFIX
}

/** The Service whose `actions.<service>` annotation carries the weights: `rootService`, else the stable Service. */
export function actionServiceOf(config: AlbTrafficRouting, target: RouterTarget): string {
  return config.rootService || target.stableService
}

/** The stickiness block of the forward actions, or undefined when stickiness is off. */
export function stickinessOf(config: AlbTrafficRouting): { Enabled: true; DurationSeconds: number } | undefined {
  const sticky = config.stickinessConfig
  return sticky?.enabled ? { Enabled: true, DurationSeconds: sticky.durationSeconds ?? 0 } : undefined
}

/** A valid Service name (DNS-1035 label): managed route names become backend Service names in the Ingress. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/

/**
 * Problems visible in the Rollout alone: exactly one of `ingress` / `ingresses`, a `servicePort`,
 * a stickiness duration in 1..604800 s, both Services, and managed route names the Ingress can carry.
 */
export function checkAlbConfig(config: AlbTrafficRouting, target: RouterTarget): FieldError[] {
  const errors: FieldError[] = []
  const single = config.ingress !== undefined
  const several = config.ingresses !== undefined
  if (single && several) errors.push(fieldError('invalid', ALB_FIELD, 'exactly one of ingress and ingresses must be set, not both'))
  else if (!single && (!several || config.ingresses?.length === 0)) {
    errors.push(fieldError('required', ALB_FIELD, 'one of ingress and ingresses (non-empty) must be set'))
  } else {
    const seen = new Set<string>()
    for (const ref of ingressConfigRefs(config)) {
      if (ref.name === '') errors.push(fieldError('required', ref.field, 'an Ingress name is required'))
      else if (seen.has(ref.name)) errors.push(fieldError('invalid', ref.field, 'the Ingress is listed twice', ref.name))
      seen.add(ref.name)
    }
  }
  const port = config.servicePort as unknown
  if (port === undefined) errors.push(fieldError('required', `${ALB_FIELD}.servicePort`, 'the Service port of the target groups is required'))
  else if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65_535) {
    errors.push(fieldError('invalid', `${ALB_FIELD}.servicePort`, 'must be a port number between 1 and 65535', port))
  }
  const sticky = config.stickinessConfig
  if (sticky?.enabled) {
    const field = `${ALB_FIELD}.stickinessConfig.durationSeconds`
    const seconds = sticky.durationSeconds
    if (seconds === undefined) errors.push(fieldError('required', field, 'target-group stickiness needs a duration'))
    else if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_STICKINESS_SECONDS) {
      errors.push(fieldError('invalid', field, `must be between 1 and ${MAX_STICKINESS_SECONDS} seconds`, seconds))
    }
  }
  if (target.canaryService === '') errors.push(fieldError('required', 'spec.strategy.canary.canaryService', 'the ALB router needs a canary Service'))
  if (target.stableService === '') errors.push(fieldError('required', 'spec.strategy.canary.stableService', 'the ALB router needs a stable Service'))
  const services = new Set([target.canaryService, target.stableService, actionServiceOf(config, target)])
  target.managedRoutes.forEach((name, i) => {
    const field = `spec.strategy.canary.trafficRouting.managedRoutes[${i}].name`
    if (!DNS_1035_LABEL.test(name)) {
      errors.push(fieldError('invalid', field, 'the ALB router uses the route name as an Ingress backend Service name: it must be a DNS-1035 label (a-z, 0-9, "-", at most 63 characters, starting with a letter)', name))
    } else if (services.has(name)) {
      errors.push(fieldError('invalid', field, 'a managed route must not have the name of the canary, stable or root Service', name))
    }
  })
  return errors
}
