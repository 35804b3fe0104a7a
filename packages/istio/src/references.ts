/**
 * The objects a Rollout's `trafficRouting.istio` block names: its VirtualServices (each may name
 * another namespace, as `web.apps` or `web.apps.svc.cluster.local`) and its DestinationRule.
 */
import type { IstioTrafficRouting, ObjectRef, RouterTarget } from '@sluice/core'
import { parseVirtualServiceName } from './virtual-service.ts'

export const ISTIO_API_VERSION = 'networking.istio.io/v1'

export function istioReferences(target: RouterTarget, config: IstioTrafficRouting): ObjectRef[] {
  const namespace = target.rollout.namespace
  const out: ObjectRef[] = []
  for (const vs of [config.virtualService, ...(config.virtualServices ?? [])]) {
    if (!vs?.name) continue
    out.push({ apiVersion: ISTIO_API_VERSION, kind: 'VirtualService', ...parseVirtualServiceName(vs.name, namespace) })
  }
  if (config.destinationRule?.name) out.push({ apiVersion: ISTIO_API_VERSION, kind: 'DestinationRule', namespace, name: config.destinationRule.name })
  return out
}
