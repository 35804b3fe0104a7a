/** Recognising and creating the ReplicaSets of a Rollout (spec §4.4). */
import { jsonEqual } from '../kube/json.ts'
import { comparablePodTemplate } from '../kube/pod-template-defaults.ts'
import { controllerRefTo } from '../kube/owner-refs.ts'
import type { KubeObject } from '../api/kube-object.ts'
import type { ObservedReplicaSet } from './observed.ts'
import type { PodTemplateSpec, Rollout } from '../api/rollout.ts'
import { DESIRED_REPLICAS_ANNOTATION, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION } from '../api/labels.ts'
import { resolveCanary } from '../spec/defaults.ts'

/** Labels and annotations a controller writes into a ReplicaSet's pod template on top of the Rollout's. */
export interface InjectedPodMetadata {
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

/**
 * The ReplicaSet running `template`: the one labelled with `hash`, else one whose template runs the
 * same pods (see `runsTemplate`), which recognises ReplicaSets whose hash was computed differently,
 * e.g. by Argo Rollouts. Among several matches the newest revision wins.
 */
export function findReplicaSetFor(
  replicaSets: readonly ObservedReplicaSet[],
  hash: string,
  template: PodTemplateSpec | undefined,
  injected: readonly (InjectedPodMetadata | undefined)[] = [],
): ObservedReplicaSet | undefined {
  const byHash = replicaSets.find((rs) => rs.podTemplateHash === hash)
  if (byHash) return byHash
  return [...replicaSets].filter((rs) => runsTemplate(rs.template, template, injected)).sort((a, b) => b.revision - a.revision)[0]
}

/**
 * True when a ReplicaSet's pod template (as stored, with API-server defaults) runs `template`: both
 * are equal once the API server's defaults are applied to both, empty values dropped and quantities
 * put in one unit (`comparablePodTemplate`), ignoring the hash label and the `injected` metadata
 * (canaryMetadata/stableMetadata) a controller adds to the pods. Removing a label, a container or an
 * environment variable is a change; spelling `cpu: 1` as `cpu: 1000m` is not.
 */
export function runsTemplate(
  observed: PodTemplateSpec | undefined,
  template: PodTemplateSpec | undefined,
  injected: readonly (InjectedPodMetadata | undefined)[] = [],
): boolean {
  if (!observed || !template) return false
  const stored = withoutInjectedMetadata(observed, template, injected)
  return jsonEqual(comparablePodTemplate(stored), comparablePodTemplate(template))
}

/** `observed` without the hash label and without injected keys the Rollout's template does not have. */
function withoutInjectedMetadata(observed: PodTemplateSpec, template: PodTemplateSpec, injected: readonly (InjectedPodMetadata | undefined)[]): PodTemplateSpec {
  const strip = (stored: Record<string, string> | undefined, own: Record<string, string> | undefined, extra: string[]) => {
    if (!stored) return undefined
    const out = { ...stored }
    for (const key of extra) if (own?.[key] === undefined) delete out[key]
    return out
  }
  const meta = observed.metadata ?? {}
  const labels = strip(meta.labels, template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL, ...injected.flatMap((m) => Object.keys(m?.labels ?? {}))])
  const annotations = strip(meta.annotations, template.metadata?.annotations, injected.flatMap((m) => Object.keys(m?.annotations ?? {})))
  return { ...observed, metadata: { ...meta, labels, annotations } }
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
        [DESIRED_REPLICAS_ANNOTATION]: String(resolveCanary(rollout).replicas),
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
