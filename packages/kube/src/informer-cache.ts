/**
 * The informers a `KubeApi` may read from instead of the server. An informer answers for its kind
 * in its namespace (or every namespace, when it watches the whole cluster) once it has synced.
 * Only informers without label or field selectors qualify: a filtered store cannot tell "absent"
 * from "filtered out".
 */
import type { KubeObject } from '@sluice/core'
import type { StoreReader } from './object-store.ts'

/** What the cache needs of an informer. */
export interface CacheableInformer {
  readonly apiVersion: string
  readonly kind: string
  /** Undefined: all namespaces. */
  readonly namespace: string | undefined
  /** True when the informer watches with a label or field selector. */
  readonly isFiltered: boolean
  readonly store: StoreReader<KubeObject>
  hasSynced(): boolean
  /** Write-through of this client's own write (see `Informer.observe`). */
  observe(object: KubeObject): void
  /** Write-through of this client's own delete. */
  forget(object: KubeObject): void
}

export class InformerCache {
  readonly #informers = new Set<CacheableInformer>()

  /** Lets `KubeApi` reads use `informer` (once it has synced). Throws for a filtered informer. */
  add(informer: CacheableInformer): void {
    if (informer.isFiltered) {
      throw new Error(`[kube] an informer of ${informer.kind} with a label or field selector cannot back cached reads`)
    }
    this.#informers.add(informer)
  }

  remove(informer: CacheableInformer): void {
    this.#informers.delete(informer)
  }

  /** Records an object the API server returned to a write, in the informer that holds its kind. */
  observe(object: KubeObject): void {
    this.#informerOf(object)?.observe(object)
  }

  /** Drops an object this client deleted from the informer that holds its kind. */
  forget(object: KubeObject): void {
    this.#informerOf(object)?.forget(object)
  }

  #informerOf(object: KubeObject): CacheableInformer | undefined {
    const namespace = object.metadata?.namespace
    for (const informer of this.#informers) {
      if (informer.apiVersion !== object.apiVersion || informer.kind !== object.kind) continue
      if (informer.namespace === undefined || informer.namespace === namespace) return informer
    }
    return undefined
  }

  /** The store of a synced informer that holds every object `ref` may name, if there is one. */
  find(ref: { apiVersion: string; kind: string; namespace?: string | undefined }): StoreReader<KubeObject> | undefined {
    for (const informer of this.#informers) {
      if (informer.apiVersion !== ref.apiVersion || informer.kind !== ref.kind) continue
      const covers = informer.namespace === undefined || informer.namespace === ref.namespace
      if (covers && informer.hasSynced()) return informer.store
    }
    return undefined
  }
}
