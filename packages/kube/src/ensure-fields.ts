/**
 * `ensureFields`: makes an existing object carry the fields a controller owns, and touches nothing
 * else. The desired fields are compared with the live object first, field by field, and only the
 * fields given count: API-server defaults and other managers' fields never cause a write, so a
 * steady-state reconcile writes nothing. When something differs, the fields are written with
 * server-side apply under `fieldManager`, which also removes fields this manager set before and
 * no longer gives (for atomic lists and maps, such as a Service's selector, the whole value is
 * replaced).
 */
import { describeObject, isJsonSubset, KubeApiError } from '@sluice/core'
import type { KubeApi, KubeObject, ObjectRef, WriteResult } from '@sluice/core'

export interface EnsureFieldsOptions {
  /** Server-side apply field manager, e.g. `sluice-controller`. */
  fieldManager: string
  /** Take fields over from other managers (default true: the controller owns what it sets). */
  force?: boolean
  /**
   * What the write insists on: `'uid'` (default) that the object is still the one read;
   * `'resourceVersion'` that nobody changed it since (a 409 otherwise: re-read and retry).
   */
  precondition?: 'uid' | 'resourceVersion'
}

/**
 * The fields to own, as a partial object: `{ spec: { selector: { app: 'web', hash: 'abc' } } }` or
 * `{ metadata: { annotations: { ... } } }`. apiVersion, kind, name and namespace come from `ref`.
 */
export type DesiredFields = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>

/**
 * Returns `'unchanged'` when the live object already carries every desired field, `'updated'` after
 * writing them. Throws `KubeApiError` 404 when the object does not exist (this helper never creates
 * one: use `ensureOwned` from @sluice/core for objects the controller creates).
 */
export async function ensureFields(kube: KubeApi, ref: ObjectRef, desired: DesiredFields, options: EnsureFieldsOptions): Promise<WriteResult> {
  const live = await kube.get(ref)
  if (!live) throw new KubeApiError(404, 'NotFound', `${describeObject(ref)} not found`)
  if (isJsonSubset(desired, live)) return 'unchanged'
  const metadata: KubeObject['metadata'] = { ...(desired.metadata ?? {}), name: ref.name }
  if (ref.namespace) metadata.namespace = ref.namespace
  if (live.metadata.uid) metadata.uid = live.metadata.uid
  if (options.precondition === 'resourceVersion' && live.metadata.resourceVersion) metadata.resourceVersion = live.metadata.resourceVersion
  await kube.apply({ ...desired, apiVersion: ref.apiVersion, kind: ref.kind, metadata }, { fieldManager: options.fieldManager, force: options.force ?? true })
  return 'updated'
}
