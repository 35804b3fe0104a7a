/**
 * The recorder: one list-then-watch per observed kind in a namespace, straight to the API server
 * (never through the fault proxy), appending every version it receives to the timeline with its
 * receipt time. A watch that fails is resumed from the last resourceVersion; one that cannot be
 * resumed (410 Gone, or the API server restarted with a fresh watch cache) is listed again, which
 * adds a `gap` mark and a DELETED entry for every object that vanished meanwhile.
 */
import { KubeError, sleep } from '@sluice/bench/kube'
import type { KubeClient } from '@sluice/bench/kube'
import { ClusterState } from './checker.ts'
import type { Entry, Mark, ObjectEntry, ObservedKind, WatchEventType } from './timeline.ts'
import { viewOf } from './views.ts'
import type { ApiObject } from './views.ts'

/** Collection path of each kind in a namespace. */
export const KIND_PATHS: Record<ObservedKind, (namespace: string) => string> = {
  Rollout: (ns) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts`,
  ReplicaSet: (ns) => `/apis/apps/v1/namespaces/${ns}/replicasets`,
  Pod: (ns) => `/api/v1/namespaces/${ns}/pods`,
  Service: (ns) => `/api/v1/namespaces/${ns}/services`,
  TrafficSplit: (ns) => `/apis/split.smi-spec.io/v1alpha1/namespaces/${ns}/trafficsplits`,
  VirtualService: (ns) => `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`,
  Ingress: (ns) => `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
  Mapping: (ns) => `/apis/getambassador.io/v2/namespaces/${ns}/mappings`,
}

export const ALL_KINDS = Object.keys(KIND_PATHS) as ObservedKind[]

const now = () => performance.timeOrigin + performance.now()

export class Recorder {
  readonly entries: Entry[] = []
  /** The state as the entries say, in arrival order (for the scenario's triggers; the checker re-folds in rv order). */
  readonly state = new ClusterState()
  readonly #client: KubeClient
  readonly #namespace: string
  readonly #kinds: readonly ObservedKind[]
  readonly #abort = new AbortController()
  readonly #listeners = new Set<() => void>()
  #lastRv = 0
  #running: Promise<void>[] = []

  constructor(client: KubeClient, namespace: string, kinds: readonly ObservedKind[] = ALL_KINDS) {
    this.#client = client
    this.#namespace = namespace
    this.#kinds = kinds
  }

  /** Starts every watch; resolves once each kind has been listed. */
  async start(): Promise<void> {
    const resolvers: (() => void)[] = []
    const listed = this.#kinds.map((_, i) => new Promise<void>((resolve) => (resolvers[i] = resolve)))
    this.#running = this.#kinds.map((kind, i) => this.#follow(kind, () => resolvers[i]?.()))
    await Promise.all(listed)
  }

  async stop(): Promise<void> {
    this.#abort.abort()
    await Promise.allSettled(this.#running)
  }

  /** The highest resourceVersion received so far. */
  get lastRv(): number {
    return this.#lastRv
  }

  /** Adds a mark at `rv` (default: the highest resourceVersion received so far). */
  mark(mark: Mark, rv = this.#lastRv): void {
    this.entries.push({ at: now(), rv, mark })
    this.#notify()
  }

  /** Resolves when `check` holds on the state (checked after every entry); rejects after `timeoutMs`. */
  waitFor(what: string, check: (state: ClusterState) => boolean, timeoutMs: number): Promise<void> {
    if (check(this.state)) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const listener = () => {
        if (!check(this.state)) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.#listeners.delete(listener)
      }
      this.#listeners.add(listener)
    })
  }

  /** Calls `listener` after every entry until the returned function is called. */
  onEntry(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener()
  }

  #push(kind: ObservedKind, type: WatchEventType, object: ApiObject, at: number, rvOverride?: number): void {
    const rv = rvOverride ?? Number(object.metadata?.resourceVersion ?? 0)
    if (rv > this.#lastRv) this.#lastRv = rv
    const entry = { at, rv, type, kind, name: object.metadata?.name ?? '', view: viewOf[kind](object) } as ObjectEntry
    this.entries.push(entry)
    this.state.apply(entry)
    this.#notify()
  }

  async #follow(kind: ObservedKind, onListed: () => void): Promise<void> {
    const path = KIND_PATHS[kind](this.#namespace)
    const signal = this.#abort.signal
    const known = new Map<string, ApiObject>()
    let resourceVersion: string | undefined
    // The last resourceVersion this kind's watch delivered: every change of the kind up to it was seen.
    let seenRv = 0
    let lists = 0
    let failures = 0
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const list = await this.#client.get<{ metadata?: { resourceVersion?: string }; items?: ApiObject[] }>(path)
          const at = now()
          const listRv = Number(list.metadata?.resourceVersion ?? 0)
          // The gap sits right after the last version this kind's watch delivered, not at the highest
          // version of any kind: placed later, a version listed now but written before that point would
          // sort before the mark, and the checker would read the states it missed as a skipped step.
          if (lists++ > 0) this.mark({ type: 'gap', kind }, seenRv)
          const seen = new Set<string>()
          for (const item of list.items ?? []) {
            const name = item.metadata?.name ?? ''
            seen.add(name)
            const previous = known.get(name)
            if (previous?.metadata?.resourceVersion === item.metadata?.resourceVersion) continue
            known.set(name, item)
            this.#push(kind, previous ? 'MODIFIED' : 'ADDED', item, at)
          }
          for (const [name, item] of [...known]) {
            if (seen.has(name)) continue
            known.delete(name)
            this.#push(kind, 'DELETED', item, at, listRv)
          }
          resourceVersion = list.metadata?.resourceVersion
          seenRv = Math.max(seenRv, listRv)
          onListed()
        }
        const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: '300', resourceVersion: resourceVersion ?? '' })
        await this.#client.watch(
          `${path}?${query}`,
          (line, at) => {
            const event = JSON.parse(line) as { type: string; object: ApiObject & { code?: number } }
            if (event.type === 'ERROR') {
              if (event.object.code === 410) resourceVersion = undefined
              return
            }
            const rv = event.object.metadata?.resourceVersion
            if (event.type === 'BOOKMARK') {
              if (rv) resourceVersion = rv
              if (rv) seenRv = Math.max(seenRv, Number(rv))
              return
            }
            const name = event.object.metadata?.name ?? ''
            if (event.type === 'DELETED') known.delete(name)
            else known.set(name, event.object)
            this.#push(kind, event.type as WatchEventType, event.object, at)
            if (rv) resourceVersion = rv
            if (rv) seenRv = Math.max(seenRv, Number(rv))
          },
          { signal },
        )
        failures = 0
      } catch (error) {
        if (signal.aborted) return
        if (error instanceof KubeError && error.status === 410) resourceVersion = undefined
        // A kind this cluster does not serve: nothing to record.
        if (error instanceof KubeError && error.status === 404 && resourceVersion === undefined) {
          onListed()
          return
        }
        failures += 1
        await sleep(Math.min(1000, 50 * failures))
      }
    }
  }
}
