/**
 * Resolves apiVersion + kind to a REST resource, asking the API server once per group/version and
 * caching the answer. A kind missing from a cached answer triggers one fresh discovery (a CRD may have
 * been installed since), at most once per `rediscoverAfterMs`.
 */
import { isNotFound } from '@sluice/core'
import type { ApiResource } from './api-resource.ts'
import { groupVersionPath, WELL_KNOWN_RESOURCES } from './api-resource.ts'
import type { RestClient } from './rest-client.ts'

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[]
}

interface Cached {
  at: number
  resources: Promise<ApiResource[]>
}

export class ResourceDiscovery {
  readonly #rest: RestClient
  readonly #known = new Map<string, ApiResource>()
  readonly #groups = new Map<string, Cached>()
  readonly #rediscoverAfterMs: number
  readonly #now: () => number

  constructor(rest: RestClient, options: { resources?: readonly ApiResource[]; rediscoverAfterMs?: number; now?: () => number } = {}) {
    this.#rest = rest
    this.#rediscoverAfterMs = options.rediscoverAfterMs ?? 5_000
    this.#now = options.now ?? Date.now
    for (const r of [...WELL_KNOWN_RESOURCES, ...(options.resources ?? [])]) this.#known.set(keyOf(r.apiVersion, r.kind), r)
  }

  /**
   * The resource for `apiVersion`/`kind`; throws a `ResourceNotServedError` when the server answered
   * and does not serve it, and the request's own error when it did not answer (a 5xx, a 429, a reset).
   */
  async resolve(apiVersion: string, kind: string): Promise<ApiResource> {
    const known = this.#known.get(keyOf(apiVersion, kind))
    if (known) return known
    let cached = this.#groups.get(apiVersion)
    let found = cached && (await this.#find(cached, kind))
    if (!found && (!cached || this.#now() - cached.at >= this.#rediscoverAfterMs)) {
      cached = this.#fetch(apiVersion)
      found = await this.#find(cached, kind)
    }
    if (!found) throw new ResourceNotServedError(apiVersion, kind)
    this.#known.set(keyOf(apiVersion, kind), found)
    return found
  }

  #fetch(apiVersion: string): Cached {
    const resources = this.#rest
      .json<ApiResourceList>({ method: 'GET', path: groupVersionPath(apiVersion) })
      .then((list) =>
        (list.resources ?? [])
          .filter((r) => !r.name.includes('/'))
          .map((r) => ({ apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced })),
      )
      .catch((error: unknown) => {
        if (isNotFound(error)) return []
        this.#groups.delete(apiVersion)
        throw error
      })
    const cached = { at: this.#now(), resources }
    this.#groups.set(apiVersion, cached)
    return cached
  }

  async #find(cached: Cached, kind: string): Promise<ApiResource | undefined> {
    return (await cached.resources).find((r) => r.kind === kind)
  }
}

const NOT_SERVED = 'ResourceNotServed'

/** The API server answered discovery and serves no such kind (its CustomResourceDefinition is not installed). */
export class ResourceNotServedError extends Error {
  readonly code = NOT_SERVED
  constructor(apiVersion: string, kind: string) {
    super(`[kube] the API server serves no ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`)
    this.name = 'ResourceNotServedError'
  }
}

/**
 * True for a `ResourceNotServedError`, also one thrown by another copy of this package (read by its
 * code, not by `instanceof`): the kind is not served. Any other error of `resource()` says nothing
 * about the kind, only that the API server did not answer.
 */
export function isResourceNotServed(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === NOT_SERVED
}

function keyOf(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`
}
