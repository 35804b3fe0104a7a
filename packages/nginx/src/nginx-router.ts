/**
 * `createNginxRouter`: the traffic-router contract on ingress-nginx canary Ingresses. For each stable
 * Ingress the router owns one canary Ingress (`canary-ingress.ts` builds it); the stable Ingresses are
 * only read.
 */
import { AdapterError, defineTrafficRouter, describeObject, ensureOwned, fieldError, isControlledBy, ROLLOUT_KIND } from '@sluice/core'
import type {
  DesiredTraffic,
  FieldError,
  NginxTrafficRouting,
  ObservedTraffic,
  RouterCapabilities,
  RouterChange,
  RouterDeps,
  TrafficRouter,
  TrafficRouterOptions,
} from '@sluice/core'
import {
  buildCanaryIngress,
  canaryIngressName,
  isCanaryIngressUpToDate,
  readCanaryWeight,
  readHeaderRoutes,
} from './canary-ingress.ts'
import { hasServiceBackend, ingressRef } from './ingress.ts'
import type { Ingress } from './ingress.ts'
import { annotationPrefixOf, checkNginxConfig, stableIngressRefs } from './nginx-config.ts'

const ADAPTER = 'nginx'
const FIELD_MANAGER = 'sluice-nginx'

/**
 * What the NGINX router can do. Header routing: one header name for all active header routes, one
 * match per route (several routes on that header are combined into one pattern); `prefix` and `regex`
 * become an anchored `canary-by-header-pattern`.
 */
export const nginxCapabilities: RouterCapabilities = {
  headerRouting: { matchTypes: ['exact', 'regex', 'prefix'], maxMatches: 1 },
  mirroring: false,
  maxTrafficWeight: true,
  weightVerification: false,
  additionalDestinations: false,
}

export type NginxRouterOptions = TrafficRouterOptions<NginxTrafficRouting>

/** Builds the NGINX router for one Rollout; `config` is its `trafficRouting.nginx` block. */
export function createNginxRouter(options: NginxRouterOptions, deps: RouterDeps): TrafficRouter {
  const { target, config } = options
  const { kube } = deps
  const namespace = target.rollout.namespace
  const prefix = annotationPrefixOf(config)
  const rolloutName = `${ROLLOUT_KIND} ${namespace}/${target.rollout.name}`
  const canaryRef = (stableName: string) => ingressRef(namespace, canaryIngressName(target.rollout.name, stableName))

  async function validate(): Promise<FieldError[]> {
    const errors = checkNginxConfig(config)
    if (errors.length > 0) return errors
    if (target.canaryService === '') {
      errors.push(fieldError('required', 'spec.strategy.canary.canaryService', 'the NGINX router needs a canary Service'))
    }
    if (target.stableService === '') {
      errors.push(fieldError('required', 'spec.strategy.canary.stableService', 'the NGINX router needs a stable Service'))
    }
    const canaryNames = new Map<string, string>()
    for (const ref of stableIngressRefs(config)) {
      const stable = await kube.get<Ingress>(ingressRef(namespace, ref.name))
      if (!stable) {
        errors.push(fieldError('not-found', ref.field, `Ingress ${namespace}/${ref.name} not found`, ref.name))
        continue
      }
      if (target.stableService !== '' && !hasServiceBackend(stable, target.stableService)) {
        errors.push(
          fieldError('invalid', ref.field, `Ingress ${namespace}/${ref.name} has no path whose backend is the stable Service "${target.stableService}"`, ref.name),
        )
      }
      const canary = canaryRef(ref.name)
      const clash = canaryNames.get(canary.name)
      if (clash !== undefined) {
        errors.push(fieldError('invalid', ref.field, `its canary Ingress name ${canary.name} is the same as that of Ingress ${clash}`, ref.name))
      }
      canaryNames.set(canary.name, ref.name)
      const existing = await kube.get<Ingress>(canary)
      if (existing && !isControlledBy(existing, target.rollout)) {
        errors.push(
          fieldError('invalid', ref.field, `${describeObject(existing)} exists and is not controlled by ${rolloutName}; Sluice will not overwrite it (delete or rename it)`, ref.name),
        )
      }
    }
    return errors
  }

  async function apply(desired: DesiredTraffic): Promise<RouterChange[]> {
    const configErrors = checkNginxConfig(config)
    if (configErrors[0]) throw new AdapterError(ADAPTER, rolloutName, `${configErrors[0].path}: ${configErrors[0].message}`, { terminal: true })
    if (desired.additional.length > 0 || desired.mirrorRoutes.length > 0) {
      throw new AdapterError(ADAPTER, rolloutName, 'ingress-nginx has one canary backend per Ingress: no additional weighted destinations, no mirror routes', {
        terminal: true,
      })
    }
    const changes: RouterChange[] = []
    for (const ref of stableIngressRefs(config)) {
      const stableRef = ingressRef(namespace, ref.name)
      const stable = await kube.get<Ingress>(stableRef)
      if (!stable) throw new AdapterError(ADAPTER, describeObject(stableRef), 'not found', { terminal: true })
      const before = await kube.get<Ingress>(canaryRef(ref.name))
      const built = buildCanaryIngress({
        stable,
        name: canaryRef(ref.name).name,
        config,
        canaryService: target.canaryService,
        stableService: target.stableService,
        desired,
        ...(before ? { existing: before } : {}),
      })
      if (!built.ok) throw new AdapterError(ADAPTER, describeObject(stable), built.problem, { terminal: true })
      const result = await ensureOwned(kube, built.ingress, {
        adapter: ADAPTER,
        fieldManager: FIELD_MANAGER,
        owner: target.rollout,
        isUpToDate: isCanaryIngressUpToDate,
      })
      const change: RouterChange = { object: describeObject(built.ingress), result }
      if (result !== 'unchanged') change.detail = describeChange(before, built.ingress)
      changes.push(change)
    }
    return changes
  }

  async function observe(): Promise<ObservedTraffic> {
    const first = stableIngressRefs(config)[0]
    const canary = first ? await kube.get<Ingress>(canaryRef(first.name)) : undefined
    if (!canary) return { canaryWeight: undefined, headerRoutes: [], mirrorRoutes: [] }
    return { canaryWeight: readCanaryWeight(canary, prefix), headerRoutes: readHeaderRoutes(canary), mirrorRoutes: [] }
  }

  /** `canary weight 20 → 50, header routes [] → [header-1]`: what an Event says about one write. */
  function describeChange(before: Ingress | undefined, after: Ingress): string {
    const weight = readCanaryWeight(after, prefix)
    if (!before) return `created with canary weight ${weight}`
    const parts: string[] = []
    const was = readCanaryWeight(before, prefix)
    if (was !== weight) parts.push(`canary weight ${was ?? 'unset'} → ${weight}`)
    const routesBefore = readHeaderRoutes(before).join(', ')
    const routesAfter = readHeaderRoutes(after).join(', ')
    if (routesBefore !== routesAfter) parts.push(`header routes [${routesBefore}] → [${routesAfter}]`)
    return parts.length > 0 ? parts.join(', ') : 'annotations or rules brought back in line with the stable Ingress'
  }

  return { name: ADAPTER, capabilities: nginxCapabilities, validate, apply, observe }
}

/** The ingress-nginx router, as hosts register it under `trafficRouting.nginx`. It has no cluster-wide settings. */
export const nginxRouter = defineTrafficRouter<NginxTrafficRouting>({
  name: ADAPTER,
  settings: {},
  capabilities: () => nginxCapabilities,
  watches: () => [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' }],
  // The canary Ingresses it creates are owned by the Rollout: their changes reach it through the owner.
  references: (target, config) =>
    stableIngressRefs(config).map(({ name }) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: target.rollout.namespace, name })),
  create: createNginxRouter,
})
