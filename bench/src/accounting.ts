/**
 * Splits the API server's request counts of the update window between the Rollout controller and the
 * rest of the cluster, and rates them per rollout step. The API server does not say who sent a
 * request (`apiserver_request_total` has no user label), so the split goes by resource: only a
 * Rollout controller writes Rollouts, the pod-template ReplicaSets themselves (kube-controller-manager
 * writes only their status), TrafficSplits, Services and evictions. Events are shared with the
 * scheduler and kube-controller-manager: the controller's share is the Event writes about Rollouts
 * seen on the watch. The harness's own requests are subtracted before.
 */
import { subtract, verbOf, WRITE_VERBS } from './prom.ts'
import type { RequestKey } from './kube.ts'

export const CONTROLLER_RESOURCES = new Set([
  'argoproj.io/rollouts',
  'argoproj.io/rollouts/status',
  'argoproj.io/rollouts/scale',
  'apps/replicasets',
  'split.smi-spec.io/trafficsplits',
  '/services',
  '/pods/eviction',
])
const EVENT_RESOURCES = new Set(['/events', 'events.k8s.io/events'])
/**
 * Requests on the controller's resources that the cluster itself sends: kube-apiserver's ClusterIP
 * and NodePort repair loops list every Service every 3 minutes.
 */
const CLUSTER_OWN = new Set(['LIST /services'])
/** The synthetic key of the controller's Event writes (from the watch; the API server cannot tell them apart). */
export const CONTROLLER_EVENTS_KEY: RequestKey = 'WRITE events (about Rollouts)'

export interface Accounting {
  /** API server counts in the window minus the harness's requests. */
  net: Record<RequestKey, number>
  harness: Record<RequestKey, number>
  /**
   * WATCH requests that ended in the window, every client (the API server counts a watch when it
   * ends; informers reopen theirs every 5–10 minutes): not attributed.
   */
  watches: Record<RequestKey, number>
  controller: Record<RequestKey, number>
  cluster: Record<RequestKey, number>
  steps: number
  /** Controller requests per rollout step, by key. */
  controllerPerStep: Record<RequestKey, number>
  perStep: {
    writes: number
    gets: number
    lists: number
    /** Writes beyond one ReplicaSet write, one mesh write and one status write per step (issue 9's target: ≤ 3). */
    extraWrites: number
    replicaSetWrites: number
    meshWrites: number
    statusWrites: number
    otherWrites: number
  }
  /** LIST requests by the controller in the window (issue 9's target: 0). */
  controllerLists: number
}

export function account(input: {
  before: ReadonlyMap<RequestKey, number>
  after: ReadonlyMap<RequestKey, number>
  harness: ReadonlyMap<RequestKey, number>
  /** Event writes about Rollouts in the window (from the watch). */
  controllerEventWrites: number
  steps: number
}): Accounting {
  const net = subtract(subtract(input.after, input.before), input.harness)
  const controller: Record<RequestKey, number> = {}
  const cluster: Record<RequestKey, number> = {}
  const watches: Record<RequestKey, number> = {}
  let eventWrites = 0
  for (const [key, n] of net) {
    const resource = key.slice(key.indexOf(' ') + 1)
    if (verbOf(key) === 'WATCH') watches[key] = n
    else if (CONTROLLER_RESOURCES.has(resource) && !CLUSTER_OWN.has(key)) controller[key] = n
    else {
      cluster[key] = n
      if (EVENT_RESOURCES.has(resource) && WRITE_VERBS.has(verbOf(key))) eventWrites += n
    }
  }
  // Move the controller's share of the Event writes over (never more than the server counted).
  const ours = Math.min(input.controllerEventWrites, eventWrites)
  if (ours > 0) {
    controller[CONTROLLER_EVENTS_KEY] = ours
    cluster['WRITE events (other components)'] = eventWrites - ours
    for (const key of Object.keys(cluster)) {
      const resource = key.slice(key.indexOf(' ') + 1)
      if (EVENT_RESOURCES.has(resource) && WRITE_VERBS.has(verbOf(key))) delete cluster[key]
    }
  }

  const per = (n: number) => n / input.steps
  const sum = (pred: (key: RequestKey) => boolean) =>
    Object.entries(controller)
      .filter(([k]) => pred(k))
      .reduce((s, [, n]) => s + n, 0)
  const isWrite = (k: RequestKey) => k === CONTROLLER_EVENTS_KEY || WRITE_VERBS.has(verbOf(k))
  const on = (resource: string) => (k: RequestKey) => isWrite(k) && k.endsWith(` ${resource}`)
  const writes = per(sum(isWrite))
  const replicaSetWrites = per(sum(on('apps/replicasets')))
  const meshWrites = per(sum(on('split.smi-spec.io/trafficsplits')))
  const statusWrites = per(sum(on('argoproj.io/rollouts/status')))
  const otherWrites = writes - replicaSetWrites - meshWrites - statusWrites
  const extra = Math.max(0, replicaSetWrites - 1) + Math.max(0, meshWrites - 1) + Math.max(0, statusWrites - 1) + otherWrites
  const controllerPerStep = Object.fromEntries(Object.entries(controller).map(([k, n]) => [k, per(n)]))
  return {
    net: Object.fromEntries(net),
    harness: Object.fromEntries(input.harness),
    watches,
    controller,
    cluster,
    steps: input.steps,
    controllerPerStep,
    perStep: {
      writes,
      gets: per(sum((k) => verbOf(k) === 'GET')),
      lists: per(sum((k) => verbOf(k) === 'LIST')),
      extraWrites: extra,
      replicaSetWrites,
      meshWrites,
      statusWrites,
      otherWrites,
    },
    controllerLists: sum((k) => verbOf(k) === 'LIST'),
  }
}
