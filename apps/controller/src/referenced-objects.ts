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

/** The index key of an object a Rollout reads: `Service/apps/web`. */
export function referenceKey(object: ObjectName): string {
  return `${object.kind}/${object.namespace}/${object.name}`
}

/**
 * Index function for the Rollout informer: the keys of the objects a Rollout reads, so that the
 * Rollouts reading a changed object are one index lookup away (instead of evaluating every Rollout
 * of the namespace on every event).
 */
export function referenceKeys(rollout: Rollout): string[] {
  return [...new Set(referencedObjects(rollout).map(referenceKey))]
}

/**
 * `name.namespace` (an Istio reference) → [name, namespace], the way the Istio router reads it: a
 * trailing `.svc.cluster.local` or `.cluster.local` is dropped, and the namespace is after the LAST
 * dot (namespaces have no dots; names may: `web.internal.apps` is `web.internal` in `apps`).
 */
function splitNamespaced(reference: string, fallback: string): [string, string] {
  const bare = reference.replace(/\.svc\.cluster\.local$|\.cluster\.local$/, '')
  const dot = bare.lastIndexOf('.')
  if (dot <= 0 || dot === bare.length - 1) return [bare, fallback]
  return [bare.slice(0, dot), bare.slice(dot + 1)]
}
