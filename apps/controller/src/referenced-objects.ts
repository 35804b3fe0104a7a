/**
 * Which objects a Rollout reads, so that a change to one of them (a user editing a Service selector
 * or a VirtualService, a GitOps tool re-applying one) wakes the Rollouts that depend on it.
 */
import type { Rollout } from '@sluice/core'

export interface ObjectName {
  kind: string
  namespace: string
  name: string
}

export function referencedObjects(rollout: Rollout): ObjectName[] {
  const namespace = rollout.metadata.namespace ?? 'default'
  const canary = rollout.spec?.strategy?.canary
  const tr = canary?.trafficRouting
  const out: ObjectName[] = []
  const add = (kind: string, name: string | undefined, ns = namespace) => {
    if (name) out.push({ kind, namespace: ns, name })
  }
  add('Service', canary?.canaryService)
  add('Service', canary?.stableService)
  for (const vs of [tr?.istio?.virtualService, ...(tr?.istio?.virtualServices ?? [])]) {
    if (!vs?.name) continue
    const [name, ns] = splitNamespaced(vs.name, namespace)
    add('VirtualService', name, ns)
  }
  add('DestinationRule', tr?.istio?.destinationRule?.name)
  for (const ingress of [tr?.nginx?.stableIngress, ...(tr?.nginx?.stableIngresses ?? []), tr?.alb?.ingress, ...(tr?.alb?.ingresses ?? [])]) add('Ingress', ingress)
  if (tr?.smi) add('TrafficSplit', tr.smi.trafficSplitName ?? rollout.metadata.name)
  for (const mapping of tr?.ambassador?.mappings ?? []) add('Mapping', mapping)
  return out
}

/** `name.namespace` (an Istio reference) → [name, namespace]; a trailing `.svc.cluster.local` is ignored. */
function splitNamespaced(reference: string, fallback: string): [string, string] {
  const trimmed = reference.replace(/\.svc\.cluster\.local$/, '').replace(/\.svc$/, '')
  const dot = trimmed.indexOf('.')
  return dot < 0 ? [trimmed, fallback] : [trimmed.slice(0, dot), trimmed.slice(dot + 1)]
}
