/**
 * Field-level differences between two states of the same objects, for `sluice plan`'s text output:
 * `VirtualService default/web: spec.http[0].route[0].weight 100 → 80`. Pure; rendering is elsewhere.
 */
import { describeObject, jsonEqual } from '@sluice/core'
import type { KubeObject } from '@sluice/core'

/** One leaf that differs; `before`/`after` are absent when the field did not exist on that side. */
export interface FieldChange {
  path: string
  before?: unknown
  after?: unknown
}

export type ObjectChange =
  | { object: string; change: 'created'; fields: FieldChange[]; owner: string | undefined }
  | { object: string; change: 'deleted' }
  | { object: string; change: 'updated'; fields: FieldChange[] }

/**
 * What happened to each object between two states (objects are matched by apiVersion, kind,
 * namespace and name), in the order of `after`, deleted objects last. Unchanged objects are left out.
 */
export function diffObjects(before: readonly KubeObject[], after: readonly KubeObject[]): ObjectChange[] {
  const previous = new Map(before.map((o) => [identity(o), o]))
  const changes: ObjectChange[] = []
  for (const object of after) {
    const old = previous.get(identity(object))
    previous.delete(identity(object))
    if (!old) {
      const { apiVersion: _a, kind: _k, metadata, ...rest } = object
      const { name: _n, namespace: _ns, ownerReferences, ...shownMetadata } = metadata
      const owner = ownerReferences?.find((r) => r.controller) ?? ownerReferences?.[0]
      changes.push({
        object: describeObject(object),
        change: 'created',
        fields: diffFields(undefined, { metadata: shownMetadata, ...rest }),
        owner: owner ? `${owner.kind} ${owner.name}` : undefined,
      })
      continue
    }
    const fields = diffFields(old, object)
    if (fields.length > 0) changes.push({ object: describeObject(object), change: 'updated', fields })
  }
  for (const old of previous.values()) changes.push({ object: describeObject(old), change: 'deleted' })
  return changes
}

function identity(o: KubeObject): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name ?? ''}`
}

/**
 * The differing leaves of two JSON values. Maps are compared key by key; lists of objects that all
 * carry a distinct `name` (routes, backends, ports) are matched by name, so inserting a managed route
 * in front does not show every later route as changed; other lists are compared index by index.
 */
export function diffFields(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (jsonEqual(before, after)) return []
  if (isRecord(before) || isRecord(after)) {
    if ((before === undefined || isRecord(before)) && (after === undefined || isRecord(after))) {
      const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])]
      return keys.flatMap((key) => diffFields(before?.[key], after?.[key], `${path}${keySegment(key, path)}`))
    }
  } else if (Array.isArray(before) || Array.isArray(after)) {
    if ((before === undefined || Array.isArray(before)) && (after === undefined || Array.isArray(after))) return diffLists(before ?? [], after ?? [], path)
  }
  return [{ path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) }]
}

function diffLists(before: readonly unknown[], after: readonly unknown[], path: string): FieldChange[] {
  const byName = (list: readonly unknown[]) => {
    const names = list.map((e) => (isRecord(e) && typeof e.name === 'string' ? e.name : undefined))
    return names.every((n) => n !== undefined) && new Set(names).size === names.length ? (names as string[]) : undefined
  }
  const beforeNames = byName(before)
  const afterNames = byName(after)
  if (beforeNames && afterNames && before.length > 0 && after.length > 0) {
    // An element added or removed as a whole is one change (its value names it); indexes are those of `after`, or of `before` for removed ones.
    const changes: FieldChange[] = []
    afterNames.forEach((name, i) => {
      const old = beforeNames.indexOf(name)
      changes.push(...(old === -1 ? [{ path: `${path}[${i}]`, after: after[i] }] : diffFields(before[old], after[i], `${path}[${i}]`)))
    })
    beforeNames.forEach((name, i) => {
      if (!afterNames.includes(name)) changes.push({ path: `${path}[${i}]`, before: before[i] })
    })
    return changes
  }
  const length = Math.max(before.length, after.length)
  return Array.from({ length }, (_, i) => diffFields(before[i], after[i], `${path}[${i}]`)).flat()
}

/** `.name` for plain keys, `["argo-rollouts.argoproj.io/managed-by-rollouts"]` for the rest. */
function keySegment(key: string, path: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === '' ? key : `.${key}`
  return `[${JSON.stringify(key)}]`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
