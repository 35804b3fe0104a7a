/**
 * Carries out one action of a plan against a KubeApi: the API server's, or the in-memory one of a
 * simulation. Each case finishes the sentence "the controller …" in its Event note.
 */
import {
  DESIRED_REPLICAS_ANNOTATION,
  isControlledBy,
  KubeApiError,
  MANAGED_BY_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  SCALE_DOWN_DEADLINE_ANNOTATION,
  TerminalError,
} from '@sluice/core'
import type { KubeApi, KubeObject, Rollout, RolloutAction, RouterChange, TrafficRouter } from '@sluice/core'

export interface ExecuteDeps {
  kube: KubeApi
  routers: readonly TrafficRouter[]
  /** Evicts a pod through the Eviction API (so disruption budgets hold); false when refused for now (429). */
  evict: (namespace: string, name: string) => Promise<boolean>
}

export interface ActionResult {
  /** Objects written (`ReplicaSet default/web-abc`), for freshness checks of the next reconcile. */
  written: { apiVersion: string; kind: string; name: string; resourceVersion?: string }[]
  /** The ReplicaSets as the API server returned them to the writes (for the informer's write-through). */
  replicaSets: KubeObject[]
  /** False when the action turned out to change nothing (the routers already carried the traffic). */
  changed: boolean
  /** What the routers changed, for Events. */
  routerChanges: { router: string; change: RouterChange }[]
}

export async function executeAction(rollout: Rollout, action: RolloutAction, deps: ExecuteDeps): Promise<ActionResult> {
  const namespace = rollout.metadata.namespace ?? 'default'
  const result: ActionResult = { written: [], routerChanges: [], replicaSets: [], changed: true }
  const rsRef = (name: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, name })
  switch (action.type) {
    case 'createReplicaSet': {
      try {
        const created = await deps.kube.create(action.replicaSet)
        result.written.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: created.metadata.name ?? '', ...rv(created) })
        result.replicaSets.push(created)
      } catch (error) {
        if (!(error instanceof KubeApiError) || error.status !== 409) throw error
        // Already there: ours (a lagging cache) is fine; anything else is a name collision.
        const existing = await deps.kube.get(rsRef(action.replicaSet.metadata.name ?? ''))
        if (existing && !isControlledBy(existing, { kind: rollout.kind, name: rollout.metadata.name ?? '', uid: rollout.metadata.uid ?? '' })) {
          throw new TerminalError(
            `ReplicaSet ${namespace}/${action.replicaSet.metadata.name} exists and is not controlled by Rollout ${namespace}/${rollout.metadata.name}; rename or delete it`,
          )
        }
      }
      return result
    }
    case 'scaleReplicaSet': {
      const patched = await deps.kube.mergePatch(rsRef(action.name), {
        metadata: { annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(action.rolloutReplicas) } },
        spec: { replicas: action.replicas },
      })
      result.written.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: action.name, ...rv(patched) })
      result.replicaSets.push(patched)
      return result
    }
    case 'setScaleDownDeadline': {
      const patched = await deps.kube.mergePatch(rsRef(action.name), { metadata: { annotations: { [SCALE_DOWN_DEADLINE_ANNOTATION]: action.deadline } } })
      result.written.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: action.name, ...rv(patched) })
      result.replicaSets.push(patched)
      return result
    }
    case 'switchService': {
      const patched = await deps.kube.mergePatch(
        { apiVersion: 'v1', kind: 'Service', namespace, name: action.service },
        {
          metadata: { annotations: { [MANAGED_BY_ANNOTATION]: rollout.metadata.name ?? '' } },
          spec: { selector: { [POD_TEMPLATE_HASH_LABEL]: action.podTemplateHash } },
        },
      )
      result.written.push({ apiVersion: 'v1', kind: 'Service', name: action.service, ...rv(patched) })
      return result
    }
    case 'setTraffic': {
      for (const router of deps.routers) {
        const changes = await router.apply(action.desired)
        for (const change of changes) if (change.result !== 'unchanged') result.routerChanges.push({ router: router.name, change })
      }
      result.changed = result.routerChanges.length > 0
      return result
    }
    case 'evictPod': {
      result.changed = await deps.evict(namespace, action.name)
      return result
    }
    case 'deleteReplicaSet': {
      // Gone already (someone else, or a lagging cache) is as good.
      result.changed = await deps.kube.delete(rsRef(action.name))
      return result
    }
  }
}

function rv(object: { metadata: { resourceVersion?: string } }): { resourceVersion?: string } {
  return object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}
}
