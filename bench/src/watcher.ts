/**
 * The watcher thread: holds one watch per tracked kind in the benchmark namespace, timestamps every
 * line the moment it arrives, turns it into a small record and posts records to the main thread in
 * batches. Running on its own thread keeps the harness's other work (sending a thousand patches,
 * sampling /proc) from delaying a timestamp.
 *
 * Messages out: { type: 'open', kind } once a watch is established, { type: 'records', records,
 * requests } with new records and the request keys sent since the last message, { type: 'error',
 * message } when a watch keeps failing. Message in: 'stop'.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { KubeClient, KubeError, sleep } from './kube.ts'
import type { Credentials, RequestKey } from './kube.ts'
import { toRecord } from './records.ts'
import type { WatchRecord, WatchType } from './records.ts'

export interface WatcherData {
  credentials: Credentials
  namespace: string
}

export type WatcherMessage =
  | { type: 'open'; kind: WatchRecord['kind'] }
  | { type: 'records'; records: WatchRecord[]; requests: RequestKey[] }
  | { type: 'error'; message: string }

export const WATCHED: { kind: WatchRecord['kind']; path: (ns: string) => string }[] = [
  { kind: 'Rollout', path: (ns) => `/apis/argoproj.io/v1alpha1/namespaces/${ns}/rollouts` },
  { kind: 'ReplicaSet', path: (ns) => `/apis/apps/v1/namespaces/${ns}/replicasets` },
  { kind: 'TrafficSplit', path: (ns) => `/apis/split.smi-spec.io/v1alpha1/namespaces/${ns}/trafficsplits` },
  { kind: 'Event', path: (ns) => `/apis/events.k8s.io/v1/namespaces/${ns}/events` },
]

if (parentPort) {
  const port = parentPort
  const { credentials, namespace } = workerData as WatcherData
  const requests: RequestKey[] = []
  const client = new KubeClient(credentials, { maxSockets: 2, onRequest: (key) => requests.push(key) })
  const controller = new AbortController()
  let pending: WatchRecord[] = []
  let flushScheduled = false
  const flush = () => {
    flushScheduled = false
    if (pending.length === 0 && requests.length === 0) return
    const message: WatcherMessage = { type: 'records', records: pending, requests: requests.splice(0) }
    pending = []
    port.postMessage(message)
  }
  const push = (record: WatchRecord) => {
    pending.push(record)
    if (pending.length >= 2000) flush()
    else if (!flushScheduled) {
      flushScheduled = true
      setTimeout(flush, 20)
    }
  }

  const run = async (kind: WatchRecord['kind'], base: string) => {
    let resourceVersion: string | undefined
    let failures = 0
    let announced = false
    while (!controller.signal.aborted) {
      const query = new URLSearchParams({ watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: '3600' })
      if (resourceVersion) query.set('resourceVersion', resourceVersion)
      try {
        await client.watch(
          `${base}?${query}`,
          (line, t) => {
            const event = JSON.parse(line) as { type: string; object: Record<string, unknown> }
            const object = event.object
            const rv = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion
            if (event.type === 'ERROR') {
              // 410 Gone: our version is too old; start over (the replay reports the current state).
              if ((object as { code?: number }).code === 410) resourceVersion = undefined
              return
            }
            if (rv) resourceVersion = rv
            if (event.type === 'BOOKMARK') return
            const record = toRecord(kind, event.type as WatchType, object, t)
            if (record) push(record)
          },
          {
            signal: controller.signal,
            onOpen: () => {
              failures = 0
              if (!announced) {
                announced = true
                port.postMessage({ type: 'open', kind } satisfies WatcherMessage)
              }
            },
          },
        )
      } catch (error) {
        if (controller.signal.aborted) return
        failures += 1
        if (error instanceof KubeError && error.status === 410) resourceVersion = undefined
        if (failures >= 5) port.postMessage({ type: 'error', message: `watch ${kind}: ${(error as Error).message}` } satisfies WatcherMessage)
        await sleep(Math.min(2000, 100 * failures))
      }
    }
  }

  for (const w of WATCHED) void run(w.kind, w.path(namespace))
  port.on('message', (message: unknown) => {
    if (message === 'stop') {
      controller.abort()
      flush()
      client.close()
      port.close()
    }
  })
}
