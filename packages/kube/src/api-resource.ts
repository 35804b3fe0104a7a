/**
 * Where an object lives in the REST API: its resource (plural) name and scope, found by discovery
 * (`GET /api/v1`, `GET /apis/<group>/<version>`) and turned into request paths.
 */

export interface ApiResource {
  apiVersion: string
  kind: string
  /** The resource name in URLs (`replicasets`). */
  plural: string
  namespaced: boolean
}

/** Kinds whose resource names never change, so common requests need no discovery round trip. */
export const WELL_KNOWN_RESOURCES: readonly ApiResource[] = [
  ['v1', 'Pod', 'pods', true],
  ['v1', 'Service', 'services', true],
  ['v1', 'ConfigMap', 'configmaps', true],
  ['v1', 'Secret', 'secrets', true],
  ['v1', 'Event', 'events', true],
  ['v1', 'ServiceAccount', 'serviceaccounts', true],
  ['v1', 'Endpoints', 'endpoints', true],
  ['v1', 'Namespace', 'namespaces', false],
  ['v1', 'Node', 'nodes', false],
  ['apps/v1', 'ReplicaSet', 'replicasets', true],
  ['apps/v1', 'Deployment', 'deployments', true],
  ['apps/v1', 'StatefulSet', 'statefulsets', true],
  ['apps/v1', 'DaemonSet', 'daemonsets', true],
  ['coordination.k8s.io/v1', 'Lease', 'leases', true],
  ['events.k8s.io/v1', 'Event', 'events', true],
  ['discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices', true],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', false],
].map(([apiVersion, kind, plural, namespaced]) => ({ apiVersion, kind, plural, namespaced }) as ApiResource)

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
}

/**
 * The collection path: all namespaces when `namespace` is undefined.
 *   collectionPath(replicasets, 'prod') → /apis/apps/v1/namespaces/prod/replicasets
 *   collectionPath(replicasets)         → /apis/apps/v1/replicasets
 *   collectionPath(nodes)               → /api/v1/nodes
 */
export function collectionPath(resource: ApiResource, namespace?: string): string {
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `${groupVersionPath(resource.apiVersion)}${ns}/${resource.plural}`
}

/**
 * The path of one object, optionally a subresource of it.
 *   objectPath(rollouts, 'prod', 'web', 'status') → /apis/argoproj.io/v1alpha1/namespaces/prod/rollouts/web/status
 * Throws when a namespaced kind gets no namespace: requests never fall back to a default namespace.
 */
export function objectPath(resource: ApiResource, namespace: string | undefined, name: string, subresource?: string): string {
  if (!name) throw new Error(`[kube] ${resource.kind}: metadata.name is required`)
  if (resource.namespaced && !namespace) throw new Error(`[kube] ${resource.kind} ${name}: a namespaced kind needs a namespace`)
  const sub = subresource ? `/${subresource}` : ''
  return `${collectionPath(resource, namespace)}/${encodeURIComponent(name)}${sub}`
}
