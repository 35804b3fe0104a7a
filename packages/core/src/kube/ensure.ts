import { AdapterError } from '../api/errors.ts'
import { isJsonSubset } from './json.ts'
import { controllerRefTo, describeObject, isControlledBy, refOf } from './owner-refs.ts'
import type { KubeApi, KubeObject, WriteResult } from '../api/kube-object.ts'

export interface EnsureOwnedOptions<T extends KubeObject> {
  /** Adapter name for errors (`my-mesh`). */
  adapter: string
  /** Server-side apply field manager (`sluice-my-mesh`). */
  fieldManager: string
  /** The object that owns `desired` (the Rollout); it becomes its controller owner reference. */
  owner: { apiVersion: string; kind: string; name: string; namespace: string; uid: string }
  /**
   * True when `existing` already carries everything `desired` says. Default: every field set in
   * `desired` (besides metadata.ownerReferences) has the same value in `existing`. Give your own
   * when removing a field you set before must count as a change.
   */
  isUpToDate?: (existing: T, desired: T) => boolean
  /**
   * True for an object of that name that `owner` does not control but that was left for it by
   * another controller in the very shape this adapter writes (Argo Rollouts' canary Mappings carry
   * no owner reference). It is taken over: written once with the owner reference added.
   */
  adopt?: (existing: T) => boolean
}

/**
 * Makes an object the controller owns match `desired`: creates it (owned by `owner`) when missing,
 * applies `desired` with server-side apply when it differs, and refuses to touch an object of that
 * name that `owner` does not control (a terminal `AdapterError`: Sluice never overwrites a foreign object).
 */
export async function ensureOwned<T extends KubeObject>(kube: KubeApi, desired: T, options: EnsureOwnedOptions<T>): Promise<WriteResult> {
  const owned: T = {
    ...desired,
    metadata: { ...desired.metadata, ownerReferences: [controllerRefTo(options.owner)] },
  }
  const existing = await kube.get<T>(refOf(desired))
  if (existing) {
    const adopting = !isControlledBy(existing, options.owner) && options.adopt?.(existing) === true
    if (!isControlledBy(existing, options.owner) && !adopting) {
      throw new AdapterError(
        options.adapter,
        describeObject(existing),
        `exists and is not controlled by ${options.owner.kind} ${options.owner.namespace}/${options.owner.name}; Sluice will not overwrite it (delete or rename it)`,
        { terminal: true },
      )
    }
    const upToDate = options.isUpToDate ?? defaultIsUpToDate
    if (!adopting && upToDate(existing, owned)) return 'unchanged'
  }
  await kube.apply(owned, { fieldManager: options.fieldManager, force: true })
  return existing ? 'updated' : 'created'
}

function defaultIsUpToDate(existing: KubeObject, desired: KubeObject): boolean {
  const { ownerReferences: _o, ...meta } = desired.metadata
  return isJsonSubset({ ...desired, metadata: meta }, existing)
}
