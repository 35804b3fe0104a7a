/**
 * What `planRollout` asks the application to do, in the order it must be done: Services first,
 * then traffic, then ReplicaSets; the new status is written last, and only if every action succeeded.
 */
import type { KubeObject } from '../api/kube-object.ts'
import type { DesiredTraffic } from '../traffic/traffic-router.ts'
import type { RolloutStatus } from '../api/rollout.ts'

export type RolloutAction =
  /** Create the ReplicaSet of the current template (0 replicas, owned by the Rollout). */
  | { type: 'createReplicaSet'; replicaSet: KubeObject }
  /** Set spec.replicas of a ReplicaSet (and its desired-replicas annotation to `rolloutReplicas`). */
  | { type: 'scaleReplicaSet'; name: string; from: number; replicas: number; rolloutReplicas: number; /** Why, when it is not the step's target ("update aborted"): for logs, not for the Event. */ why?: string }
  /** Set (RFC 3339 time) or remove (null) the scale-down-deadline annotation of a ReplicaSet. */
  | { type: 'setScaleDownDeadline'; name: string; deadline: string | null }
  /** Point a Service's selector at a ReplicaSet's pods (and mark the Service as managed by the Rollout). */
  | { type: 'switchService'; service: string; from: string | undefined; podTemplateHash: string }
  /** Make every configured traffic router carry this. */
  | { type: 'setTraffic'; desired: DesiredTraffic }
  /** Evict a pod created before `spec.restartAt` (Eviction API, so disruption budgets hold). */
  | { type: 'evictPod'; name: string }
  /** Delete an old ReplicaSet without pods, beyond `spec.revisionHistoryLimit`. */
  | { type: 'deleteReplicaSet'; name: string }

export interface RolloutEvent {
  type: 'Normal' | 'Warning'
  /** CamelCase reason, e.g. `RolloutStepCompleted`. */
  reason: string
  message: string
}

export interface RolloutPlan {
  /** To be carried out in order; stop at the first failure and do not write the status. */
  actions: RolloutAction[]
  /** The complete new status (write it if it differs from the one read). */
  status: RolloutStatus
  /** Events for the transitions this plan makes. */
  events: RolloutEvent[]
  /** Look again after this long even if nothing changes (pauses, deadlines, verification). */
  requeueAfterMs?: number
  /** References (Services, mesh objects) missing within the grace: waited for, not yet reported (for logs). */
  missingReferences?: string[]
}

/** For tests and tools: a plan's actions without the noise of full objects. */
export function summarizeActions(actions: readonly RolloutAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'createReplicaSet':
        return `create ${a.replicaSet.metadata.name}`
      case 'scaleReplicaSet':
        return `scale ${a.name} ${a.from}→${a.replicas}`
      case 'setScaleDownDeadline':
        return a.deadline ? `deadline ${a.name} ${a.deadline}` : `clear deadline ${a.name}`
      case 'switchService':
        return `service ${a.service} → ${a.podTemplateHash}`
      case 'setTraffic':
        return `traffic ${a.desired.canary.weight}/${a.desired.stable.weight}${a.desired.headerRoutes.length + a.desired.mirrorRoutes.length > 0 ? ` routes ${[...a.desired.headerRoutes, ...a.desired.mirrorRoutes].map((r) => r.name).join(',')}` : ''}`
      case 'evictPod':
        return `evict ${a.name}`
      case 'deleteReplicaSet':
        return `delete ${a.name}`
    }
  })
}
