/**
 * What the application observed and hands to `planRollout`. Field names follow the glossary in
 * packages/core/README.md: the *canary* (new) ReplicaSet runs the Rollout's current template, the
 * *stable* one is named by `status.stableRS`, every other owned ReplicaSet is *older*.
 */
import type { RouterCapabilityMap } from '../traffic/traffic-router.ts'
import type { FieldError } from '../api/field-error.ts'
import type { PodTemplateSpec, Rollout } from '../api/rollout.ts'

/** One ReplicaSet owned by the Rollout. */
export interface ObservedReplicaSet {
  name: string
  /** Its `rollouts-pod-template-hash` label. */
  podTemplateHash: string
  /** The `rollout.argoproj.io/revision` annotation (0 when absent). */
  revision: number
  /** spec.replicas: the pods it should have. */
  replicas: number
  /** status.replicas: the pods it has. */
  currentReplicas: number
  /** status.readyReplicas */
  readyReplicas: number
  /** status.availableReplicas: ready for at least minReadySeconds. */
  availableReplicas: number
  /** The `scale-down-deadline` annotation (RFC 3339), when set. */
  scaleDownDeadline?: string
  /** Its pod template, to recognise a ReplicaSet whose hash was computed differently (e.g. by Argo Rollouts). */
  template?: PodTemplateSpec
}

/** A Service the Rollout references (canaryService or stableService) that exists. */
export interface ObservedService {
  name: string
  selector: Record<string, string>
  annotations: Record<string, string>
  /**
   * Ready endpoints in the Service's EndpointSlices, when the application observes them (undefined:
   * not known, not checked). A canary Service with 0 gets no traffic.
   */
  readyEndpoints?: number
}

/** A pod of one of the Rollout's ReplicaSets (needed only for `spec.restartAt`). */
export interface ObservedPod {
  name: string
  podTemplateHash: string
  /** metadata.creationTimestamp */
  createdAt: string
  /** True when the pod is being deleted already. */
  terminating?: boolean
}

/** What the routers that verify weights answered for the weights recorded in status.canary.weights. */
export interface ObservedWeightVerification {
  /** The canary weight that was checked. */
  canaryWeight: number
  verified: boolean
  /** Why not, in words a person can act on. */
  reason?: string
}

export interface ObservedRollout {
  /** The Rollout as read (spec and status). */
  rollout: Rollout
  /** Every ReplicaSet the Rollout controls. */
  replicaSets: readonly ObservedReplicaSet[]
  /** The referenced Services that exist (missing ones are simply absent). */
  services: readonly ObservedService[]
  /** Pods of the Rollout's ReplicaSets; only consulted while a restart is pending. */
  pods?: readonly ObservedPod[]
  /** Problems the traffic routers found with their objects (`TrafficRouter.validate`). */
  routerErrors?: readonly FieldError[]
  /** The verification answer for the recorded weights, when a configured router verifies weights. */
  weightVerification?: ObservedWeightVerification
  /** Capabilities of the traffic routers the application can drive, by name. */
  routerCapabilities: RouterCapabilityMap
  /**
   * When the controller first saw the Rollout's current spec (generation); with the creation time,
   * it starts the grace during which a missing reference is waited for quietly.
   */
  specSeenAt?: Date
}
