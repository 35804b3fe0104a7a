/** Recognising and creating the ReplicaSets of a Rollout (spec §4.4). */
import { isJsonSubset, jsonEqual } from '../kube/json.ts'
import { controllerRefTo } from '../kube/owner-refs.ts'
import type { KubeObject } from '../kube/types.ts'
import type { ObservedReplicaSet } from './observed.ts'
import type { PodTemplateSpec, Rollout } from './types.ts'
import { DESIRED_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from './types.ts'

/**
 * The ReplicaSet running `template`: the one labelled with `hash`, else one whose template runs the
 * same pods (see `runsTemplate`), which recognises ReplicaSets whose hash was computed differently,
 * e.g. by Argo Rollouts. Among several matches the newest revision wins.
 */
export function findReplicaSetFor(
  replicaSets: readonly ObservedReplicaSet[],
  hash: string,
  template: PodTemplateSpec | undefined,
): ObservedReplicaSet | undefined {
  const byHash = replicaSets.find((rs) => rs.podTemplateHash === hash)
  if (byHash) return byHash
  return [...replicaSets].filter((rs) => runsTemplate(rs.template, template)).sort((a, b) => b.revision - a.revision)[0]
}

/**
 * True when a ReplicaSet's pod template (as stored, with API-server defaults) runs `template`: every
 * field of `template` is there with the same value, and the labels, annotations and containers
 * (names and images, in order) are exactly the same, so removing a label or a container is a change.
 */
export function runsTemplate(observed: PodTemplateSpec | undefined, template: PodTemplateSpec | undefined): boolean {
  if (!observed || !template) return false
  const stored = withoutHashLabel(observed) ?? {}
  const containers = (t: PodTemplateSpec) => (t.spec?.containers ?? []).map((c) => [c.name, c.image])
  return (
    isJsonSubset(template, stored) &&
    jsonEqual(template.metadata?.labels ?? {}, stored.metadata?.labels ?? {}) &&
    jsonEqual(template.metadata?.annotations ?? {}, stored.metadata?.annotations ?? {}) &&
    jsonEqual(containers(template), containers(stored))
  )
}

function withoutHashLabel(template: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  if (!template?.metadata?.labels) return template
  const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...labels } = template.metadata.labels
  return { ...template, metadata: { ...template.metadata, labels } }
}

/** `name-hash`, shortened so the name stays a valid object name (≤ 253 characters). */
export function replicaSetName(rolloutName: string, hash: string): string {
  return `${rolloutName.slice(0, 252 - hash.length)}-${hash}`
}

/** The ReplicaSet to create for the Rollout's current template: 0 replicas, owned by the Rollout. */
export function buildReplicaSet(rollout: Rollout, hash: string, revision: number, podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }): KubeObject {
  const template = rollout.spec.template ?? {}
  const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash }
  const podLabels = { ...(podMetadata?.labels ?? {}), ...labels }
  const podAnnotations = { ...(template.metadata?.annotations ?? {}), ...(podMetadata?.annotations ?? {}) }
  const selector = rollout.spec.selector ?? {}
  const spec: Record<string, unknown> = {
    replicas: 0,
    selector: {
      ...selector,
      matchLabels: { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
    },
    template: {
      ...template,
      metadata: {
        ...(template.metadata ?? {}),
        labels: podLabels,
        ...(Object.keys(podAnnotations).length > 0 ? { annotations: podAnnotations } : {}),
      },
    },
  }
  if (rollout.spec.minReadySeconds !== undefined) spec.minReadySeconds = rollout.spec.minReadySeconds
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(rollout.metadata.name ?? '', hash),
      namespace: rollout.metadata.namespace ?? 'default',
      labels,
      annotations: {
        [REVISION_ANNOTATION]: String(revision),
        [DESIRED_REPLICAS_ANNOTATION]: String(rollout.spec.replicas ?? 1),
      },
      ownerReferences: [
        controllerRefTo({
          apiVersion: rollout.apiVersion,
          kind: rollout.kind,
          name: rollout.metadata.name ?? '',
          uid: rollout.metadata.uid ?? '',
        }),
      ],
    },
    spec,
  }
}
