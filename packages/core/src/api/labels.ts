/**
 * The names Sluice shares with Argo Rollouts and the cluster: the Rollout's API version and kind,
 * the labels and annotations it writes, and the traffic routers it ships.
 */
export const ROLLOUT_API_VERSION = 'argoproj.io/v1alpha1'
export const ROLLOUT_KIND = 'Rollout'

/** Label carrying the pod-template hash on ReplicaSets, their pods and Service selectors. */
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash'
/** Service annotation naming the Rollout that manages its selector. */
export const MANAGED_BY_ANNOTATION = 'argo-rollouts.argoproj.io/managed-by-rollouts'
/** ReplicaSet annotation: the revision number of its template (1, 2, ...). */
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision'
/** ReplicaSet annotation: `spec.replicas` of the Rollout when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'rollout.argoproj.io/desired-replicas'
/** ReplicaSet annotation: RFC 3339 time after which an old or aborted ReplicaSet is scaled to 0. */
export const SCALE_DOWN_DEADLINE_ANNOTATION = 'scale-down-deadline'

