/**
 * An in-memory `KubeApi`: objects keyed by apiVersion/kind/namespace/name, with resourceVersion and
 * generation bookkeeping, 404/409 errors, JSON merge patch and a simplified server-side apply.
 *
 * For adapter unit tests and simulations such as `sluice plan` only: it runs no admission, no
 * defaulting, no schema validation and no garbage collection. Integration tests use a real API server.
 *
 * Server-side apply is simplified: a manager owns leaf fields (objects are merged field by field,
 * arrays are atomic, as for a CRD whose schema declares no list types). Applying removes the fields
 * the manager owned before and left out this time, unless another manager also owns them.
 */
import { cloneJson, describeObject, jsonEqual, KubeApiError } from '@sluice/core'
import type { ApplyOptions, KubeApi, KubeObject, ObjectRef } from '@sluice/core'

type Path = readonly string[]

interface Entry {
  object: KubeObject
  /** manager → owned leaf paths, each joined with '\u0000'. */
  managers: Map<string, Set<string>>
}

export interface MemoryKube extends KubeApi {
  /** Every stored object (copies), sorted by kind, namespace and name. */
  all(): KubeObject[]
  /** Stores objects as they are (no resourceVersion checks), e.g. fixtures. */
  seed(...objects: KubeObject[]): void
  /** How many writes each verb has served (create, replace, mergePatch, apply, delete). */
  readonly writes: Record<'create' | 'replace' | 'mergePatch' | 'apply' | 'delete', number>
}

const UPDATE_MANAGER = 'before-first-apply'
const IDENTITY_FIELDS = new Set(['apiVersion', 'kind', 'metadata\u0000name', 'metadata\u0000namespace'])

export function createMemoryKube(initial: readonly KubeObject[] = []): MemoryKube {
  const store = new Map<string, Entry>()
  let version = 1000
  let uid = 0
  const writes = { create: 0, replace: 0, mergePatch: 0, apply: 0, delete: 0 }

  const keyOf = (ref: ObjectRef) => `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`
  const refOfObject = (o: KubeObject): ObjectRef => {
    const ref: ObjectRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '' }
    if (o.metadata.namespace !== undefined) ref.namespace = o.metadata.namespace
    return ref
  }
  const notFound = (ref: ObjectRef) =>
    new KubeApiError(404, 'NotFound', `${describeObject(ref)} not found`)

  function stamp(object: KubeObject, previous: KubeObject | undefined): KubeObject {
    version += 1
    object.metadata.resourceVersion = String(version)
    if (previous) {
      object.metadata.uid = previous.metadata.uid
      object.metadata.creationTimestamp = previous.metadata.creationTimestamp
      const specChanged = !jsonEqual(withoutMetaAndStatus(previous), withoutMetaAndStatus(object))
      object.metadata.generation = (previous.metadata.generation ?? 1) + (specChanged ? 1 : 0)
    } else {
      uid += 1
      object.metadata.uid ??= `00000000-0000-4000-8000-${String(uid).padStart(12, '0')}`
      object.metadata.creationTimestamp ??= new Date(0).toISOString()
      object.metadata.generation = 1
    }
    return object
  }

  function put(object: KubeObject, previous: Entry | undefined, manager: string, owned?: Set<string>): KubeObject {
    const stored = stamp(cloneJson(object), previous?.object)
    const managers = previous?.managers ?? new Map<string, Set<string>>()
    if (owned) managers.set(manager, owned)
    else {
      const changed = changedLeaves(previous?.object, stored)
      for (const set of managers.values()) for (const p of changed) set.delete(p)
      const mine = managers.get(manager) ?? new Set<string>()
      for (const p of changed) mine.add(p)
      managers.set(manager, mine)
    }
    store.set(keyOf(refOfObject(stored)), { object: stored, managers })
    return cloneJson(stored)
  }

  const kube: MemoryKube = {
    writes,
    async get<T extends KubeObject>(ref: ObjectRef) {
      const entry = store.get(keyOf(ref))
      return entry ? (cloneJson(entry.object) as T) : undefined
    },
    async list<T extends KubeObject>(ref: { apiVersion: string; kind: string; namespace?: string }, options?: { labelSelector?: string }) {
      const wanted = parseSelector(options?.labelSelector)
      return kube
        .all()
        .filter(
          (o) =>
            o.apiVersion === ref.apiVersion &&
            o.kind === ref.kind &&
            (ref.namespace === undefined || o.metadata.namespace === ref.namespace) &&
            wanted.every(([k, v]) => o.metadata.labels?.[k] === v),
        ) as T[]
    },
    async create<T extends KubeObject>(object: T) {
      const ref = refOfObject(object)
      if (!ref.name) throw new KubeApiError(422, 'Invalid', `${object.kind}: metadata.name: Required value`)
      if (store.has(keyOf(ref))) throw new KubeApiError(409, 'AlreadyExists', `${describeObject(ref)} already exists`)
      writes.create += 1
      const fresh = cloneJson(object)
      delete fresh.metadata.resourceVersion
      return put(fresh, undefined, UPDATE_MANAGER) as T
    },
    async replace<T extends KubeObject>(object: T) {
      const ref = refOfObject(object)
      const entry = store.get(keyOf(ref))
      if (!entry) throw notFound(ref)
      const expected = object.metadata.resourceVersion
      if (expected !== undefined && expected !== entry.object.metadata.resourceVersion) {
        throw new KubeApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${describeObject(ref)}: the object has been modified; please apply your changes to the latest version and try again`,
        )
      }
      writes.replace += 1
      return put(object, entry, UPDATE_MANAGER) as T
    },
    async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: Record<string, unknown>) {
      const entry = store.get(keyOf(ref))
      if (!entry) throw notFound(ref)
      const patched = applyMergePatch(cloneJson(entry.object), patch) as KubeObject
      const expected = (patch.metadata as { resourceVersion?: string } | undefined)?.resourceVersion
      if (expected !== undefined && expected !== entry.object.metadata.resourceVersion) {
        throw new KubeApiError(409, 'Conflict', `Operation cannot be fulfilled on ${describeObject(ref)}: the object has been modified`)
      }
      writes.mergePatch += 1
      return put(patched, entry, UPDATE_MANAGER) as T
    },
    async apply<T extends KubeObject>(object: T, options: ApplyOptions) {
      const ref = refOfObject(object)
      const entry = store.get(keyOf(ref))
      const applied = leafPaths(object)
      const mine = new Set([...applied].filter((p) => !IDENTITY_FIELDS.has(p)))
      writes.apply += 1
      if (!entry) return put(cloneJson(object), undefined, options.fieldManager, mine) as T

      const force = options.force ?? true
      const current = cloneJson(entry.object)
      const conflicts: string[] = []
      for (const [manager, owned] of entry.managers) {
        if (manager === options.fieldManager) continue
        for (const p of mine) {
          if (owned.has(p) && !jsonEqual(getPath(current, split(p)), getPath(object, split(p)))) conflicts.push(`${manager}: .${split(p).join('.')}`)
        }
      }
      if (conflicts.length > 0 && !force) {
        throw new KubeApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict(s): ${conflicts.join(', ')}`)
      }
      const previouslyMine = entry.managers.get(options.fieldManager) ?? new Set<string>()
      for (const p of previouslyMine) {
        if (mine.has(p)) continue
        const ownedByOthers = [...entry.managers].some(([m, owned]) => m !== options.fieldManager && owned.has(p))
        if (!ownedByOthers) deletePath(current, split(p))
      }
      const merged = deepMerge(current, cloneJson(object)) as KubeObject
      merged.metadata.resourceVersion = entry.object.metadata.resourceVersion
      if (jsonEqual(merged, entry.object) && sameSet(previouslyMine, mine)) {
        writes.apply -= 1
        return cloneJson(entry.object) as T
      }
      for (const [manager, owned] of entry.managers) {
        if (manager !== options.fieldManager) for (const p of mine) owned.delete(p)
      }
      return put(merged, entry, options.fieldManager, mine) as T
    },
    async delete(ref: ObjectRef) {
      const key = keyOf(ref)
      if (!store.has(key)) return false
      writes.delete += 1
      store.delete(key)
      return true
    },
    all() {
      return [...store.values()]
        .map((e) => cloneJson(e.object))
        .sort((a, b) =>
          `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`),
        )
    },
    seed(...objects: KubeObject[]) {
      for (const object of objects) {
        const previous = store.get(keyOf(refOfObject(object)))
        put(object, previous, UPDATE_MANAGER)
      }
    },
  }
  kube.seed(...initial)
  return kube
}

function withoutMetaAndStatus(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o
  return rest
}

function parseSelector(selector: string | undefined): [string, string][] {
  if (!selector) return []
  return selector.split(',').map((term) => {
    const [k, v] = term.split('=')
    return [(k ?? '').trim(), (v ?? '').trim()]
  })
}

const SEP = '\u0000'
const split = (p: string): Path => p.split(SEP)

/** Leaf paths of a JSON value: objects are descended, arrays, scalars and empty objects are leaves. */
function leafPaths(value: unknown, prefix: Path = []): Set<string> {
  const out = new Set<string>()
  const walk = (v: unknown, path: Path) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) if (child !== undefined) walk(child, [...path, k])
    } else if (path.length > 0) out.add(path.join(SEP))
  }
  walk(value, prefix)
  return out
}

function changedLeaves(before: unknown, after: unknown): Set<string> {
  const out = new Set<string>()
  const a = leafPaths(before ?? {})
  const b = leafPaths(after)
  for (const p of b) if (!a.has(p) || !jsonEqual(getPath(before, split(p)), getPath(after, split(p)))) out.add(p)
  for (const p of a) if (!b.has(p)) out.add(p)
  for (const p of ['metadata\u0000resourceVersion', 'metadata\u0000generation', 'metadata\u0000uid', 'metadata\u0000creationTimestamp']) out.delete(p)
  return out
}

function getPath(value: unknown, path: Path): unknown {
  let v = value
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[k]
  }
  return v
}

function deletePath(value: unknown, path: Path): void {
  let v = value
  for (const k of path.slice(0, -1)) {
    if (v === null || typeof v !== 'object') return
    v = (v as Record<string, unknown>)[k]
  }
  if (v !== null && typeof v === 'object') delete (v as Record<string, unknown>)[path[path.length - 1] ?? '']
}

function deepMerge(target: unknown, source: unknown): unknown {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) return source
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return source
  const out = target as Record<string, unknown>
  for (const [k, v] of Object.entries(source)) {
    if (v !== undefined) out[k] = deepMerge(out[k], v)
  }
  return out
}

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return cloneJson(patch)
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? (target as Record<string, unknown>) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else if (v !== undefined) out[k] = applyMergePatch(out[k], v)
  }
  return out
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x))
}
