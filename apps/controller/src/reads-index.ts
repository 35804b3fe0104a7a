/**
 * The Rollout informer's index of the objects each Rollout reads, so that a change to one of them
 * (a user editing a Service selector or a VirtualService, a GitOps tool re-applying one) wakes the
 * Rollouts that depend on it with one index lookup, instead of evaluating every Rollout of the
 * namespace on every event. Which objects a Rollout reads is the router registry's answer.
 */
import type { Rollout } from '@sluice/core'
import type { RouterRegistry } from '@sluice/routers'

export interface ObjectName {
  kind: string
  namespace: string
  name: string
}

/** The index key of an object a Rollout reads: `Service/apps/web`. */
export function referenceKey(object: ObjectName): string {
  return `${object.kind}/${object.namespace}/${object.name}`
}

/** The index function: the keys of the objects a Rollout reads, each once. */
export function readsIndex(registry: RouterRegistry): (rollout: Rollout) => string[] {
  return (rollout) => [...new Set(registry.references(rollout).map((o) => referenceKey({ kind: o.kind, namespace: o.namespace ?? '', name: o.name })))]
}
