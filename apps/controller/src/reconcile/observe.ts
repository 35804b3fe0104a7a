/** Turns API objects into what the engine observes. */
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, SCALE_DOWN_DEADLINE_ANNOTATION } from '@sluice/core'
import type { KubeObject, ObservedPod, ObservedReplicaSet, ObservedService, PodTemplateSpec } from '@sluice/core'

interface ReplicaSetJson extends KubeObject {
  spec?: { replicas?: number; template?: PodTemplateSpec }
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number }
}

export function observeReplicaSet(object: KubeObject): ObservedReplicaSet {
  const rs = object as ReplicaSetJson
  const annotations = rs.metadata.annotations ?? {}
  const deadline = annotations[SCALE_DOWN_DEADLINE_ANNOTATION]
  const observed: ObservedReplicaSet = {
    name: rs.metadata.name ?? '',
    podTemplateHash: rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '',
    revision: Number(annotations[REVISION_ANNOTATION] ?? '0') || 0,
    replicas: rs.spec?.replicas ?? 1,
    currentReplicas: rs.status?.replicas ?? 0,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    availableReplicas: rs.status?.availableReplicas ?? 0,
  }
  if (deadline) observed.scaleDownDeadline = deadline
  if (rs.spec?.template) observed.template = rs.spec.template
  return observed
}

export function observeService(object: KubeObject): ObservedService {
  const spec = (object.spec ?? {}) as { selector?: Record<string, string> }
  return { name: object.metadata.name ?? '', selector: spec.selector ?? {}, annotations: object.metadata.annotations ?? {} }
}

export function observePod(object: KubeObject): ObservedPod {
  const pod: ObservedPod = {
    name: object.metadata.name ?? '',
    podTemplateHash: object.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? '',
    createdAt: object.metadata.creationTimestamp ?? new Date(0).toISOString(),
  }
  if (object.metadata.deletionTimestamp) pod.terminating = true
  return pod
}
