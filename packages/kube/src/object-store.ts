/**
 * The informer's store: objects by key (`namespace/name`), with indexes kept up to date on every
 * change. Built-in indexes: by namespace, by controller owner uid, by label value; more can be given
 * as functions from an object to its index values.
 */
import type { KubeObject } from '@sluice/core'
import { objectKey } from './object-key.ts'

/** Returns the values under which an object is indexed (none: not indexed). */
export type IndexFunction<T extends KubeObject> = (object: T) => readonly string[]

/** Read access to a store: what handlers and the cached KubeApi see. Returned objects are the stored ones: do not mutate them. */
export interface StoreReader<T extends KubeObject> {
  /** The object with this key, if stored. */
  get(key: string): T | undefined
  /** Every stored object. */
  list(): T[]
  /** Stored keys. */
  keys(): string[]
  readonly size: number
  /** Objects in `namespace`. */
  byNamespace(namespace: string): T[]
  /** Objects whose controller owner reference (`controller: true`) has this uid. */
  byControllerUid(uid: string): T[]
  /** Objects whose label `key` has `value`. */
  byLabel(key: string, value: string): T[]
  /** Objects under `value` in the custom index `name`. */
  byIndex(name: string, value: string): T[]
}

const NAMESPACE = 'namespace'
const CONTROLLER = 'controller-uid'
const LABEL = 'label'

export class ObjectStore<T extends KubeObject> implements StoreReader<T> {
  readonly #objects = new Map<string, T>()
  readonly #indexers = new Map<string, IndexFunction<T>>()
  /** index name → value → keys. */
  readonly #indexes = new Map<string, Map<string, Set<string>>>()

  constructor(indexers: Readonly<Record<string, IndexFunction<T>>> = {}) {
    this.#indexers.set(NAMESPACE, (o) => (o.metadata.namespace ? [o.metadata.namespace] : []))
    this.#indexers.set(CONTROLLER, (o) => (o.metadata.ownerReferences ?? []).filter((r) => r.controller === true).map((r) => r.uid))
    this.#indexers.set(LABEL, (o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => labelIndexValue(k, v)))
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.#indexers.has(name)) throw new Error(`[kube] index ${name} is built in`)
      this.#indexers.set(name, fn)
    }
    for (const name of this.#indexers.keys()) this.#indexes.set(name, new Map())
  }

  get size(): number {
    return this.#objects.size
  }

  get(key: string): T | undefined {
    return this.#objects.get(key)
  }

  list(): T[] {
    return [...this.#objects.values()]
  }

  keys(): string[] {
    return [...this.#objects.keys()]
  }

  byNamespace(namespace: string): T[] {
    return this.#lookup(NAMESPACE, namespace)
  }

  byControllerUid(uid: string): T[] {
    return this.#lookup(CONTROLLER, uid)
  }

  byLabel(key: string, value: string): T[] {
    return this.#lookup(LABEL, labelIndexValue(key, value))
  }

  byIndex(name: string, value: string): T[] {
    if (!this.#indexes.has(name)) throw new Error(`[kube] no index named ${name}`)
    return this.#lookup(name, value)
  }

  /** Stores `object` under its key; returns the object it replaced. */
  upsert(object: T): T | undefined {
    const key = objectKey(object)
    const previous = this.#objects.get(key)
    if (previous) this.#unindex(key, previous)
    this.#objects.set(key, object)
    this.#index(key, object)
    return previous
  }

  /** Removes the object with `key`; returns it. */
  delete(key: string): T | undefined {
    const previous = this.#objects.get(key)
    if (!previous) return undefined
    this.#unindex(key, previous)
    this.#objects.delete(key)
    return previous
  }

  /** Replaces the whole content (a relist). */
  replace(objects: readonly T[]): void {
    this.#objects.clear()
    for (const index of this.#indexes.values()) index.clear()
    for (const object of objects) this.upsert(object)
  }

  #lookup(name: string, value: string): T[] {
    const keys = this.#indexes.get(name)?.get(value)
    if (!keys) return []
    const out: T[] = []
    for (const key of keys) {
      const object = this.#objects.get(key)
      if (object) out.push(object)
    }
    return out
  }

  #index(key: string, object: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name)!
      for (const value of fn(object)) {
        let keys = index.get(value)
        if (!keys) index.set(value, (keys = new Set()))
        keys.add(key)
      }
    }
  }

  #unindex(key: string, object: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indexes.get(name)!
      for (const value of fn(object)) {
        const keys = index.get(value)
        keys?.delete(key)
        if (keys?.size === 0) index.delete(value)
      }
    }
  }
}

function labelIndexValue(key: string, value: string): string {
  return `${key}\u0000${value}`
}
