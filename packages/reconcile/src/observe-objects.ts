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

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

interface EndpointSliceJson extends KubeObject {
  endpoints?: { conditions?: { ready?: boolean } }[] | null
}

/**
 * Endpoints ready for traffic across a Service's EndpointSlices. `conditions.ready` unset counts as
 * ready, as the EndpointSlice API says it must be read.
 *   one slice, 2 endpoints ready and 1 not → 2;   no slice, or slices with no endpoints → 0
 */
export function readyEndpoints(slices: readonly KubeObject[]): number {
  let ready = 0
  for (const slice of slices as readonly EndpointSliceJson[]) {
    for (const endpoint of slice.endpoints ?? []) if (endpoint.conditions?.ready !== false) ready += 1
  }
  return ready
}

/**
 * What the controller keeps of an EndpointSlice: its identity and labels and each endpoint's
 * readiness, nothing else (addresses, ports, topology), so that watching every Service's slices costs
 * little memory. `readyEndpoints` of the result is that of the slice.
 */
export function endpointReadiness(slice: KubeObject): KubeObject {
  const { name, namespace, labels, resourceVersion, uid } = slice.metadata
  const endpoints = ((slice as EndpointSliceJson).endpoints ?? []).map((e) => ({ conditions: e.conditions?.ready === undefined ? {} : { ready: e.conditions.ready } }))
  return { apiVersion: slice.apiVersion, kind: slice.kind, metadata: { name, namespace, labels, resourceVersion, uid }, endpoints }
}
