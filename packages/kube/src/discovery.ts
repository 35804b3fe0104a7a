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

  /** The resource for `apiVersion`/`kind`; throws a plain `Error` when the server does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ApiResource> {
    const known = this.#known.get(keyOf(apiVersion, kind))
    if (known) return known
    let cached = this.#groups.get(apiVersion)
    let found = cached && (await this.#find(cached, kind))
    if (!found && (!cached || this.#now() - cached.at >= this.#rediscoverAfterMs)) {
      cached = this.#fetch(apiVersion)
      found = await this.#find(cached, kind)
    }
    if (!found) {
      throw new Error(`[kube] the API server serves no ${kind} in ${apiVersion} (is its CustomResourceDefinition installed?)`)
    }
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

function keyOf(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`
}
