import type { KubeObject, ObjectRef, OwnerReference } from '../api/kube-object.ts'

/** The controller owner reference that makes `owner` garbage-collect `object`. */
export function controllerRefTo(owner: { apiVersion: string; kind: string; name: string; uid: string }): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  }
}

/** True when `object` has a controller owner reference to `owner` (matched by uid, or by kind and name when the uid is unknown). */
export function isControlledBy(object: KubeObject, owner: { kind: string; name: string; uid?: string }): boolean {
  return (object.metadata.ownerReferences ?? []).some(
    (ref) =>
      ref.controller === true &&
      ref.kind === owner.kind &&
      ref.name === owner.name &&
      (owner.uid === undefined || owner.uid === '' || ref.uid === owner.uid),
  )
}

/** `VirtualService default/web`: how messages, Events and logs name an object. */
export function describeObject(object: KubeObject | ObjectRef): string {
  const kind = object.kind
  const namespace = 'metadata' in object ? object.metadata.namespace : object.namespace
  const name = 'metadata' in object ? object.metadata.name : object.name
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`
}

/** The reference that names `object`. */
export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name ?? '' }
  if (object.metadata.namespace !== undefined) ref.namespace = object.metadata.namespace
  return ref
}
