/**
 * The key of an object in stores and work queues: `namespace/name`, or `name` for a cluster-scoped
 * object (client-go's `MetaNamespaceKeyFunc`).
 */
export function objectKey(object: { metadata: { namespace?: string | undefined; name?: string | undefined } }): string {
  const { namespace, name } = object.metadata
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '')
}

/**
 * Splits a key made by `objectKey`.
 *   parseObjectKey('prod/web') → { namespace: 'prod', name: 'web' }
 *   parseObjectKey('node-1')   → { name: 'node-1' }
 */
export function parseObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/')
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) }
}
