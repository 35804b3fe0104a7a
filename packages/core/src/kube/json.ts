/** Small, exact JSON helpers shared by the engine and the adapters. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Deep equality of JSON values (object key order is ignored, array order is not). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]))
  }
  const ao = a as Record<string, unknown>
  const bo = b as Record<string, unknown>
  const aKeys = Object.keys(ao).filter((k) => ao[k] !== undefined)
  const bKeys = Object.keys(bo).filter((k) => bo[k] !== undefined)
  return aKeys.length === bKeys.length && aKeys.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]))
}

/**
 * True when every field set in `subset` has the same value in `object`: objects are compared field by
 * field (extra fields in `object`, such as API-server defaults, are allowed), arrays and scalars exactly.
 */
export function isJsonSubset(subset: unknown, object: unknown): boolean {
  if (subset === undefined) return true
  if (subset === null || typeof subset !== 'object' || Array.isArray(subset)) return jsonEqual(subset, object)
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return false
  const o = object as Record<string, unknown>
  return Object.entries(subset as Record<string, unknown>).every(([k, v]) => isJsonSubset(v, o[k]))
}

/** JSON with object keys sorted at every level: the canonical form hashed and compared by the engine. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = sortKeys(v)
  }
  return out
}

/** A deep copy of a JSON value. */
export function cloneJson<T>(value: T): T {
  return structuredClone(value)
}
