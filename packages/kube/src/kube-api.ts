/**
 * `createKubeApi`: core's `KubeApi` against a real API server, plus what a controller needs beyond
 * it: the status subresource, paged lists with their resourceVersion, and watches (for informers).
 *
 * Every API error surfaces as `KubeApiError(status, reason, message)` with the server's message;
 * transport failures as a plain `Error` naming the request. With `{ cache }`, `get` and `list` are
 * answered from a synced informer of that kind and namespace when there is one.
 */
import { describeObject, isNotFound } from '@sluice/core'
import type { ApplyOptions, KubeApi, KubeObject, ObjectRef } from '@sluice/core'
import type { KubeConfig } from '@kubernetes/client-node'
import type { ApiResource } from './api-resource.ts'
import { collectionPath, objectPath } from './api-resource.ts'
import { ResourceDiscovery } from './discovery.ts'
import type { InformerCache } from './informer-cache.ts'
import { matchesLabels, parseLabelSelector } from './label-selector.ts'
import { objectKey } from './object-key.ts'
import { RestClient } from './rest-client.ts'
import type { RestRequest } from './rest-client.ts'
import { openWatch } from './watch.ts'
import type { WatchEvent, WatchHandle, WatchOptions } from './watch.ts'

/** A kind, optionally narrowed to one namespace (all namespaces when omitted). */
export interface KindRef {
  apiVersion: string
  kind: string
  namespace?: string
}

export interface ListPageOptions {
  labelSelector?: string
  fieldSelector?: string
  /** Page size. */
  limit?: number
  /** The continue token of the previous page. */
  continue?: string
  /** Abandons the request. */
  signal?: AbortSignal
}

export interface ListPage<T extends KubeObject> {
  items: T[]
  /** The collection's resourceVersion: watch from here to see every change after this list. */
  resourceVersion: string
  /** Token for the next page, when there is one. */
  continue?: string
}

/** Request counts by verb: how a test proves that cached reads cost no request. */
export interface ApiRequestCounts {
  get: number
  list: number
  create: number
  replace: number
  patch: number
  delete: number
  watch: number
}

export interface ClusterKubeApi extends KubeApi {
  /**
   * Replaces the status subresource (PUT …/status). `metadata.resourceVersion` is required: the
   * write succeeds only if nobody wrote the object since it was read, else `KubeApiError` 409.
   */
  replaceStatus<T extends KubeObject>(object: T): Promise<T>
  /** Applies a JSON merge patch to the status subresource (PATCH …/status). */
  mergePatchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T>
  /** Server-side apply of the status subresource: `object` holds the status fields this manager owns. */
  applyStatus<T extends KubeObject>(object: T, options: ApplyOptions): Promise<T>
  /**
   * Creates a subresource of an object (POST …/{subresource}), e.g. a pod's `eviction`: `body` is the
   * subresource's own object (`policy/v1` Eviction). Answers the server's reply as is.
   */
  createSubresource<T = unknown>(ref: ObjectRef, subresource: string, body: Record<string, unknown>): Promise<T>
  /** One page of a list, with the collection's resourceVersion (always from the server, never the cache). */
  listPage<T extends KubeObject = KubeObject>(ref: KindRef, options?: ListPageOptions): Promise<ListPage<T>>
  /** Opens a watch on a kind (see `WatchHandle`); events arrive through `onEvent`. */
  watch<T extends KubeObject = KubeObject>(ref: KindRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle>
  /** The REST resource of a kind (discovery, cached). */
  resource(apiVersion: string, kind: string): Promise<ApiResource>
  /** Requests sent to the API server so far, by verb (discovery excluded). */
  readonly requests: Readonly<ApiRequestCounts>
}

export interface KubeApiOptions {
  /** Answer `get`/`list` from these informers when one of them covers the kind and namespace and has synced. */
  cache?: InformerCache
  /** Timeout of one request (watches excluded), ms. Default 30 s. */
  requestTimeoutMs?: number
  /** User-Agent header. Default `sluice-kube`. */
  userAgent?: string
  /** Headers sent with every request on top of the kubeconfig's (e.g. `Impersonate-Group`). */
  headers?: Readonly<Record<string, string>>
  /** Resource names to use without discovery (e.g. your CRDs'), on top of the built-in core kinds. */
  resources?: readonly ApiResource[]
  /** Page size of `list`. Default 500. */
  pageSize?: number
}

const MERGE_PATCH = 'application/merge-patch+json'
const APPLY_PATCH = 'application/apply-patch+yaml'

export function createKubeApi(kc: KubeConfig, options: KubeApiOptions = {}): ClusterKubeApi {
  const rest = new RestClient(kc, {
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
    ...(options.headers !== undefined ? { headers: options.headers } : {}),
  })
  const discovery = new ResourceDiscovery(rest, options.resources ? { resources: options.resources } : {})
  const pageSize = options.pageSize ?? 500
  const cache = options.cache
  const requests: ApiRequestCounts = { get: 0, list: 0, create: 0, replace: 0, patch: 0, delete: 0, watch: 0 }

  const send = <T>(verb: keyof ApiRequestCounts, request: RestRequest): Promise<T> => {
    requests[verb] += 1
    return rest.json<T>(request)
  }

  const pathOf = async (ref: ObjectRef, subresource?: string) =>
    objectPath(await discovery.resolve(ref.apiVersion, ref.kind), ref.namespace, ref.name, subresource)

  /** Objects from the server carry their identity; list items of built-in kinds come without it. */
  const withIdentity = <T extends KubeObject>(object: T, ref: { apiVersion: string; kind: string }): T => {
    object.apiVersion ||= ref.apiVersion
    object.kind ||= ref.kind
    return object
  }

  const refOfObject = (object: KubeObject): ObjectRef => {
    const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name ?? '' }
    if (object.metadata?.namespace) ref.namespace = object.metadata.namespace
    return ref
  }

  /**
   * What a write returned, recorded in the informer cache that holds its kind (write-through), so
   * that reads right after the write see it. The cache gets a copy: the caller may change its own.
   */
  const written = <T extends KubeObject>(result: T, ref: { apiVersion: string; kind: string }): T => {
    const object = withIdentity(result, ref)
    cache?.observe(structuredClone(object))
    return object
  }

  const applyTo = async <T extends KubeObject>(object: T, applyOptions: ApplyOptions, subresource?: string): Promise<T> => {
    const ref = refOfObject(object)
    const { managedFields: _managed, ...metadata } = object.metadata
    const body = { ...object, metadata }
    const result = await send<T>('patch', {
      method: 'PATCH',
      path: await pathOf(ref, subresource),
      query: { fieldManager: applyOptions.fieldManager, force: applyOptions.force ?? true, ...(applyOptions.dryRun ? { dryRun: 'All' } : {}) },
      body,
      contentType: APPLY_PATCH,
    })
    return applyOptions.dryRun ? withIdentity(result, ref) : written(result, ref)
  }

  const listPage = async <T extends KubeObject>(ref: KindRef, pageOptions: ListPageOptions = {}): Promise<ListPage<T>> => {
    const resource = await discovery.resolve(ref.apiVersion, ref.kind)
    const list = await send<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>('list', {
      method: 'GET',
      path: collectionPath(resource, ref.namespace),
      query: {
        labelSelector: pageOptions.labelSelector,
        fieldSelector: pageOptions.fieldSelector,
        limit: pageOptions.limit,
        continue: pageOptions.continue,
      },
      ...(pageOptions.signal ? { signal: pageOptions.signal } : {}),
    })
    const page: ListPage<T> = {
      items: (list.items ?? []).map((item) => withIdentity(item, ref)),
      resourceVersion: list.metadata?.resourceVersion ?? '',
    }
    if (list.metadata?.continue) page.continue = list.metadata.continue
    return page
  }

  const api: ClusterKubeApi = {
    requests,

    async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
      const cached = cache?.find(ref)
      if (cached) {
        const object = cached.get(objectKey({ metadata: { namespace: ref.namespace, name: ref.name } }))
        return object === undefined ? undefined : (structuredClone(object) as T)
      }
      try {
        return withIdentity(await send<T>('get', { method: 'GET', path: await pathOf(ref) }), ref)
      } catch (error) {
        if (isNotFound(error)) return undefined
        throw error
      }
    },

    async list<T extends KubeObject>(ref: KindRef, listOptions?: { labelSelector?: string }): Promise<T[]> {
      const cached = cache?.find(ref)
      const requirements = parseLabelSelector(listOptions?.labelSelector)
      if (cached && requirements) {
        const scope = ref.namespace ? cached.byNamespace(ref.namespace) : cached.list()
        return scope.filter((o) => matchesLabels(requirements, o.metadata.labels)).map((o) => structuredClone(o) as T)
      }
      const items: T[] = []
      let token: string | undefined
      do {
        const page: ListPage<T> = await listPage<T>(ref, {
          limit: pageSize,
          ...(listOptions?.labelSelector ? { labelSelector: listOptions.labelSelector } : {}),
          ...(token ? { continue: token } : {}),
        })
        items.push(...page.items)
        token = page.continue
      } while (token)
      return items
    },

    async create<T extends KubeObject>(object: T): Promise<T> {
      const ref = refOfObject(object)
      const resource = await discovery.resolve(ref.apiVersion, ref.kind)
      if (resource.namespaced && !ref.namespace) throw new Error(`[kube] ${describeObject(ref)}: a namespaced kind needs a namespace`)
      const { resourceVersion: _rv, ...metadata } = object.metadata
      const created = await send<T>('create', {
        method: 'POST',
        path: collectionPath(resource, ref.namespace),
        body: { ...object, metadata },
      })
      return written(created, ref)
    },

    async replace<T extends KubeObject>(object: T): Promise<T> {
      const ref = refOfObject(object)
      return written(await send<T>('replace', { method: 'PUT', path: await pathOf(ref), body: object }), ref)
    },

    async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
      const result = await send<T>('patch', { method: 'PATCH', path: await pathOf(ref), body: patch, contentType: MERGE_PATCH })
      return written(result, ref)
    },

    apply<T extends KubeObject>(object: T, applyOptions: ApplyOptions): Promise<T> {
      return applyTo(object, applyOptions)
    },

    async delete(ref: ObjectRef): Promise<boolean> {
      try {
        await send('delete', { method: 'DELETE', path: await pathOf(ref) })
        cache?.forget({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } })
        return true
      } catch (error) {
        if (isNotFound(error)) return false
        throw error
      }
    },

    async replaceStatus<T extends KubeObject>(object: T): Promise<T> {
      const ref = refOfObject(object)
      if (!object.metadata.resourceVersion) {
        throw new Error(`[kube] replaceStatus of ${describeObject(ref)} needs metadata.resourceVersion (the version the status was computed from)`)
      }
      return written(await send<T>('replace', { method: 'PUT', path: await pathOf(ref, 'status'), body: object }), ref)
    },

    async mergePatchStatus<T extends KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
      const result = await send<T>('patch', { method: 'PATCH', path: await pathOf(ref, 'status'), body: patch, contentType: MERGE_PATCH })
      return written(result, ref)
    },

    applyStatus<T extends KubeObject>(object: T, applyOptions: ApplyOptions): Promise<T> {
      return applyTo(object, applyOptions, 'status')
    },

    async createSubresource<T>(ref: ObjectRef, subresource: string, body: Record<string, unknown>): Promise<T> {
      return send<T>('create', { method: 'POST', path: await pathOf(ref, subresource), body })
    },

    listPage,

    async watch<T extends KubeObject>(ref: KindRef, watchOptions: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle> {
      const resource = await discovery.resolve(ref.apiVersion, ref.kind)
      requests.watch += 1
      return openWatch<T>(rest, collectionPath(resource, ref.namespace), watchOptions, ref, onEvent)
    },

    resource(apiVersion: string, kind: string): Promise<ApiResource> {
      return discovery.resolve(apiVersion, kind)
    },
  }
  return api
}
