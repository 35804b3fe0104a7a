/**
 * Follows one Rollout, its ReplicaSets and its pods through watches (never polling): each kind is
 * listed once, then watched from the list's resourceVersion; a watch the server closes is reopened
 * from the last version seen, a 410 Gone leads to a fresh list, and a failed watch is retried a few
 * times before the failure is reported. Changes that arrive together are delivered as one snapshot.
 */
import { KubeApiError } from '@sluice/core'
import type { KubeObject, LabelSelector, Rollout } from '@sluice/core'
import { isResourceExpired } from '@sluice/kube'
import type { ClusterKubeApi, KindRef } from '@sluice/kube'

export interface RolloutObjects {
  /** Undefined once the Rollout was deleted. */
  rollout: Rollout | undefined
  replicaSets: KubeObject[]
  pods: KubeObject[]
}

export interface RolloutWatch {
  /** Resolves when stopped; rejects with the error that ended a watch for good. */
  readonly done: Promise<void>
  stop(): void
}

export interface WatchRolloutOptions {
  /** Also follow the pods (for the tree). */
  pods: boolean
  /** Called with the first complete snapshot, then after every change (changes arriving within `settleMs` together). */
  onChange(objects: RolloutObjects): void
  /** Coalescing window, ms. Default 30. */
  settleMs?: number
}

const RETRIES = 5

export function watchRollout(api: ClusterKubeApi, rollout: Rollout, options: WatchRolloutOptions): RolloutWatch {
  const namespace = rollout.metadata.namespace ?? 'default'
  const name = rollout.metadata.name ?? ''
  const stopper = new AbortController()
  const signal = stopper.signal
  const selector = selectorString(rollout.spec.selector)
  const stores = {
    rollout: new Map<string, KubeObject>(),
    replicaSets: new Map<string, KubeObject>(),
    pods: new Map<string, KubeObject>(),
  }
  let ready = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const emit = () => {
    timer = undefined
    if (signal.aborted) return
    options.onChange({
      rollout: [...stores.rollout.values()][0] as Rollout | undefined,
      replicaSets: [...stores.replicaSets.values()],
      pods: [...stores.pods.values()],
    })
  }
  const changed = () => {
    if (!ready || timer !== undefined) return
    timer = setTimeout(emit, options.settleMs ?? 30)
  }

  const follow = (ref: KindRef, selectors: { labelSelector?: string; fieldSelector?: string }, store: Map<string, KubeObject>) => listWatch(api, ref, selectors, store, changed, signal)
  const loops: { listed: Promise<void>; done: Promise<void> }[] = [
    follow({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace }, { fieldSelector: `metadata.name=${name}` }, stores.rollout),
    follow({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace }, selector ? { labelSelector: selector } : {}, stores.replicaSets),
    ...(options.pods ? [follow({ apiVersion: 'v1', kind: 'Pod', namespace }, selector ? { labelSelector: selector } : {}, stores.pods)] : []),
  ]
  const done = (async () => {
    try {
      await Promise.all(loops.map((l) => l.listed))
      ready = true
      emit()
      await Promise.all(loops.map((l) => l.done))
    } finally {
      stopper.abort()
      if (timer) clearTimeout(timer)
    }
  })()
  done.catch(() => {})
  return { done, stop: () => stopper.abort() }
}

function listWatch(
  api: ClusterKubeApi,
  ref: KindRef,
  selectors: { labelSelector?: string; fieldSelector?: string },
  store: Map<string, KubeObject>,
  changed: () => void,
  signal: AbortSignal,
): { listed: Promise<void>; done: Promise<void> } {
  let resourceVersion = ''
  const relist = async () => {
    const items: KubeObject[] = []
    let token: string | undefined
    do {
      const page = await api.listPage(ref, { ...selectors, limit: 500, signal, ...(token ? { continue: token } : {}) })
      items.push(...page.items)
      resourceVersion = page.resourceVersion
      token = page.continue
    } while (token)
    store.clear()
    for (const item of items) store.set(keyOf(item), item)
    changed()
  }
  const listed = relist()
  const done = (async () => {
    await listed
    let failures = 0
    while (!signal.aborted) {
      const opened = Date.now()
      try {
        const handle = await api.watch(ref, { ...selectors, resourceVersion, timeoutSeconds: 300 + Math.floor(Math.random() * 300), allowWatchBookmarks: true }, (event) => {
          if (event.type === 'BOOKMARK') {
            resourceVersion = event.resourceVersion
            return
          }
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion
          if (event.type === 'DELETED') store.delete(keyOf(event.object))
          else store.set(keyOf(event.object), event.object)
          failures = 0
          changed()
        })
        const abort = () => handle.abort()
        signal.addEventListener('abort', abort, { once: true })
        if (signal.aborted) handle.abort()
        try {
          await handle.done
        } finally {
          signal.removeEventListener('abort', abort)
        }
        // A server that ends every watch at once must not make this a busy loop.
        if (Date.now() - opened < 1000) await sleep(1000, signal)
      } catch (error) {
        if (signal.aborted) return
        if (isResourceExpired(error)) {
          await relist()
          continue
        }
        if (!isTransient(error) || ++failures > RETRIES) throw error
        await sleep(Math.min(500 * 2 ** failures, 8000), signal)
      }
    }
  })()
  listed.catch(() => {})
  done.catch(() => {})
  return { listed, done }
}

/** Worth another try: the connection failed, or the server is overloaded or restarting. */
function isTransient(error: unknown): boolean {
  if (error instanceof KubeApiError) return error.status === 429 || error.status >= 500
  return error instanceof Error && error.message.startsWith('[kube] ') && !error.message.includes('serves no')
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}

const keyOf = (o: KubeObject) => o.metadata.uid ?? `${o.metadata.namespace}/${o.metadata.name}`

/** A label selector as the API's query string: `app=web,tier in (a,b),!legacy`. */
export function selectorString(selector: LabelSelector | undefined): string {
  if (!selector) return ''
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${(e.values ?? []).join(',')})`)
        break
      case 'NotIn':
        parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`)
        break
      case 'Exists':
        parts.push(e.key)
        break
      case 'DoesNotExist':
        parts.push(`!${e.key}`)
        break
    }
  }
  return parts.join(',')
}
