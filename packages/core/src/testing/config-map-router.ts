/**
 * A reference traffic router that keeps the traffic state in a ConfigMap it owns
 * (`<rollout>-traffic`). It routes nothing; it exists to test the engine and the conformance suite,
 * and as the smallest example of the contract for adapter authors.
 */
import { ensureOwned } from '../kube/ensure.ts'
import { describeObject } from '../kube/owner-refs.ts'
import type { KubeObject } from '../api/kube-object.ts'
import type { RouterCapabilities, TrafficRouter, TrafficRouterFactory } from '../traffic/traffic-router.ts'

export interface ConfigMapRouterConfig {
  /** Override what the router declares it can do (default: everything but verification). */
  capabilities?: Partial<RouterCapabilities>
}

export const configMapRouterCapabilities: RouterCapabilities = {
  headerRouting: { matchTypes: ['exact', 'prefix', 'regex'] },
  mirroring: true,
  maxTrafficWeight: true,
  weightVerification: false,
  additionalDestinations: false,
}

export const createConfigMapRouter: TrafficRouterFactory<ConfigMapRouterConfig> = ({ target, config }, { kube }): TrafficRouter => {
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: target.rollout.namespace, name: `${target.rollout.name}-traffic` }
  const capabilities = { ...configMapRouterCapabilities, ...(config.capabilities ?? {}) }
  return {
    name: 'configmap',
    capabilities,
    async validate() {
      return []
    },
    async apply(desired) {
      const object: KubeObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ref.name, namespace: ref.namespace },
        data: {
          canaryWeight: String(desired.canary.weight),
          stableWeight: String(desired.stable.weight),
          canaryHash: desired.canary.podTemplateHash ?? '',
          stableHash: desired.stable.podTemplateHash ?? '',
          headerRoutes: JSON.stringify(desired.headerRoutes.map((r) => r.name)),
          mirrorRoutes: JSON.stringify(desired.mirrorRoutes.map((r) => r.name)),
        },
      }
      const result = await ensureOwned(kube, object, { adapter: 'configmap', fieldManager: 'sluice-configmap', owner: target.rollout })
      return [{ object: describeObject(object), result, detail: `canary weight ${desired.canary.weight}` }]
    },
    async observe() {
      const cm = await kube.get(ref)
      const data = (cm?.data ?? {}) as Record<string, string>
      return {
        canaryWeight: data.canaryWeight === undefined ? undefined : Number(data.canaryWeight),
        headerRoutes: JSON.parse(data.headerRoutes ?? '[]') as string[],
        mirrorRoutes: JSON.parse(data.mirrorRoutes ?? '[]') as string[],
      }
    },
  }
}
