/**
 * Reconciles one Rollout: re-read what the cluster says (from the informer caches), ask the engine,
 * carry out the plan, write the status with optimistic concurrency, record Events. Level-based: it
 * never trusts what an event said, only what it reads now.
 */
import { AdapterError, planRollout, statusChanged, TerminalError } from '@sluice/core'
import type { KubeObject, PlanOptions, Rollout, RolloutEvent, RolloutStatus } from '@sluice/core'
import type { ClusterKubeApi, EventRecorder, Informer, ReconcileResult } from '@sluice/kube'
import type { Logger } from 'pino'
import { parseObjectKey } from '@sluice/kube'
import type { ControllerMetrics } from '../metrics.ts'
import type { RouterRegistry } from '@sluice/routers'
import { executePlan, observeRollout, readyEndpoints, SERVICE_NAME_LABEL } from '@sluice/reconcile'
import { breakPlan } from './chaos-break.ts'
import type { ChaosBreak } from './chaos-break.ts'
import { logReconcile } from './reconcile-log.ts'

export interface RolloutReconcilerDeps {
  /** Reads answered from the informer caches where one covers the kind. */
  kube: ClusterKubeApi
  rollouts: Informer<Rollout>
  replicaSets: Informer<KubeObject>
  /**
   * EndpointSlices of Services, when the controller may watch them: the canary Service's ready
   * endpoints are then observed (none → no traffic to it). Without it only a missing canary
   * Service is noticed, and the canary ReplicaSet's available pods stand in for its endpoints.
   */
  endpointSlices?: Informer<KubeObject>
  registry: RouterRegistry
  events: EventRecorder
  metrics: ControllerMetrics
  logger: Logger
  evict: (namespace: string, name: string) => Promise<boolean>
  /** Time, passed in (tests move it). */
  now: () => Date
  planOptions?: PlanOptions
  /** False while this replica does not hold the leader Lease: it must not write. */
  mayWrite: () => boolean
  /** TEST-ONLY (SLUICE_CHAOS_BREAK): break the plan on purpose, for the chaos suite's own test. */
  chaosBreak?: ChaosBreak
}

/** Pod counts alone are written at most this often per Rollout. */
const COUNTS_WRITE_INTERVAL_MS = 1000

/** The status fields that only report pod counts (and what follows from them alone). */
const COUNT_FIELDS = ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'HPAReplicas'] as const

/** True when two statuses differ only in pod counts: no phase, step, weight or condition moved. */
function onlyCountsChanged(before: RolloutStatus | undefined, after: RolloutStatus): boolean {
  const strip = (status: RolloutStatus | undefined) => {
    const copy: Record<string, unknown> = { ...(status ?? {}) }
    for (const field of COUNT_FIELDS) delete copy[field]
    // Progress refreshes the Progressing condition's lastUpdateTime: a timestamp, not a change.
    copy.conditions = (status?.conditions ?? []).map(({ type, status: s, reason, message }) => ({ type, status: s, reason, message }))
    return copy
  }
  return !statusChanged(strip(before) as RolloutStatus, strip(after) as RolloutStatus)
}

/** Passes in a row a Rollout may take without settling before it is slowed down (an update takes about 20). */
const MAX_PASSES_IN_A_ROW = 100

/** resourceVersions this controller wrote, per object, until the informer shows them (a lagging cache must not be acted on). */
type Expectations = Map<string, string>

export class RolloutReconciler {
  readonly #deps: RolloutReconcilerDeps
  readonly #expected = new Map<string, Expectations>()
  /** Passes in a row that changed something, per Rollout. */
  readonly #busy = new Map<string, number>()
  /** When this controller last wrote each Rollout's status (ms). */
  readonly #lastStatusWrite = new Map<string, number>()
  /** The generation of each Rollout's spec this controller last saw, and when it first saw it. */
  readonly #specSeen = new Map<string, { generation: number; at: Date }>()

  constructor(deps: RolloutReconcilerDeps) {
    this.#deps = deps
  }

  /** Forget what was expected of a Rollout (deleted). */
  forget(key: string): void {
    this.#expected.delete(key)
    this.#busy.delete(key)
    this.#lastStatusWrite.delete(key)
    this.#specSeen.delete(key)
  }

  readonly reconcile = async (key: string): Promise<ReconcileResult> => {
    const { namespace, name } = parseObjectKey(key)
    const log = this.#deps.logger.child({ namespace, rollout: name })
    const rollout = this.#deps.rollouts.store.get(key)
    if (!rollout || rollout.metadata.deletionTimestamp) {
      this.#expected.delete(key)
      return { type: 'done' }
    }
    if (!this.#deps.mayWrite()) return { type: 'done' }
    if (!this.#cacheCaughtUp(key, rollout)) {
      // The watch event of our own last write is on its way and will queue this key again; the
      // requeue is only a fallback.
      log.debug({}, 'cache has not caught up with our last write yet')
      return { type: 'requeueAfter', ms: 2000 }
    }

    const kube = this.#deps.kube
    const { routers, errors: refused } = this.#deps.registry.create(rollout, kube)
    const observed = await observeRollout({
      rollout,
      replicaSets: this.#deps.replicaSets.store.byControllerUid(rollout.metadata.uid ?? ''),
      kube,
      routers,
      refused,
      capabilities: this.#deps.registry.capabilities(),
      ...(this.#deps.endpointSlices ? { readyEndpoints: this.#readyEndpoints(this.#deps.endpointSlices) } : {}),
      onVerifyError: (router, error) => this.#deps.events.record(rollout, { type: 'Warning', reason: 'WeightVerifyError', note: `[${router}] ${errorMessage(error)}` }),
    })
    observed.specSeenAt = this.#specSeenAt(key, rollout)
    const now = this.#deps.now()
    let plan = planRollout(observed, now, this.#deps.planOptions)
    if (this.#deps.chaosBreak) plan = breakPlan(plan, observed, this.#deps.chaosBreak)

    const executed = await executePlan(observed, plan, { kube, routers, evict: this.#deps.evict, now, ...(this.#deps.planOptions ? { planOptions: this.#deps.planOptions } : {}) })
    plan = executed.plan
    const acted = executed.acted
    const written: Expectations = new Map()
    for (const w of executed.written) if (w.resourceVersion) written.set(`${w.kind}/${namespace}/${w.name}`, w.resourceVersion)
    // Write-through: the next pass sees these ReplicaSets as written, without waiting for the watch.
    for (const rs of executed.replicaSets) this.#deps.replicaSets.observe(rs)
    const routerEvents: RolloutEvent[] = executed.routerChanges.map(({ router, change }) => ({
      type: 'Normal',
      reason: 'TrafficRoutingUpdated',
      message: `[${router}] ${change.object} has been ${change.result}${change.detail ? `: ${change.detail}` : ''}`,
    }))
    if (executed.failed) {
      this.#remember(key, written)
      const reason = executed.failed.action.type === 'setTraffic' ? 'TrafficRoutingError' : 'ReconcileError'
      this.#deps.events.record(rollout, { type: 'Warning', reason, note: errorMessage(executed.failed.error) })
      throw executed.failed.error
    }
    this.#remember(key, written)

    let statusWritten = statusChanged(rollout.status, plan.status)
    let flushCountsInMs: number | undefined
    if (statusWritten && !acted && plan.events.length === 0 && onlyCountsChanged(rollout.status, plan.status)) {
      // Only pod counts moved (a ReplicaSet's pods being created, then becoming ready, in quick
      // succession): write them at most once per COUNTS_WRITE_INTERVAL_MS, not once per change.
      const since = this.#deps.now().getTime() - (this.#lastStatusWrite.get(key) ?? 0)
      if (since < COUNTS_WRITE_INTERVAL_MS) {
        statusWritten = false
        flushCountsInMs = COUNTS_WRITE_INTERVAL_MS - since
      }
    }
    if (statusWritten) {
      const updated = await kube.replaceStatus({ ...rollout, status: plan.status })
      this.#lastStatusWrite.set(key, this.#deps.now().getTime())
      if (updated.metadata.resourceVersion) this.#remember(key, new Map([[`Rollout/${namespace}/${name}`, updated.metadata.resourceVersion]]))
      this.#deps.metrics.setRollout(updated as Rollout)
    } else {
      this.#deps.metrics.setRollout(rollout)
    }
    if (flushCountsInMs !== undefined) {
      logReconcile(log, rollout, plan, { acted, statusWritten })
      return { type: 'requeueAfter', ms: Math.min(flushCountsInMs, plan.requeueAfterMs ?? Number.POSITIVE_INFINITY) }
    }
    const { record, logOnly } = eventsToRecord(plan.events, routerEvents)
    for (const event of record) this.#deps.events.record(rollout, { type: event.type, reason: event.reason, note: event.message })
    logReconcile(log, rollout, plan, { acted, statusWritten, routerChanges: logOnly.map((e) => e.message) })
    // A pass that changed something is followed by another one right away (the planner moves one
    // step per pass, and the caches already hold what was written): no waiting for our own watch
    // events. A Rollout that never settles is slowed down instead of spinning.
    if (acted || statusWritten) {
      const passes = (this.#busy.get(key) ?? 0) + 1
      this.#busy.set(key, passes)
      if (passes <= MAX_PASSES_IN_A_ROW) return { type: 'requeueAfter', ms: 0 }
      log.warn({ passes }, 'the Rollout keeps changing on every pass; slowing down')
      return { type: 'requeueAfter', ms: 1000 }
    }
    this.#busy.delete(key)
    return plan.requeueAfterMs === undefined ? { type: 'done' } : { type: 'requeueAfter', ms: Math.max(plan.requeueAfterMs, 10) }
  }

  /** The ready endpoints of a Service, from the EndpointSlice cache. */
  #readyEndpoints(slices: Informer<KubeObject>): (namespace: string, service: string) => number {
    return (namespace, service) => readyEndpoints(slices.store.byLabel(SERVICE_NAME_LABEL, service).filter((slice) => slice.metadata.namespace === namespace))
  }

  /** When this controller first saw the Rollout's current generation (a restart sees every spec anew). */
  #specSeenAt(key: string, rollout: Rollout): Date {
    const generation = rollout.metadata.generation ?? 0
    const seen = this.#specSeen.get(key)
    if (seen && seen.generation === generation) return seen.at
    const at = this.#deps.now()
    this.#specSeen.set(key, { generation, at })
    return at
  }

  #remember(key: string, written: Expectations): void {
    if (written.size === 0) return
    const expected = this.#expected.get(key) ?? new Map<string, string>()
    for (const [object, rv] of written) expected.set(object, rv)
    this.#expected.set(key, expected)
  }

  /** True when the caches show every object at least at the version this controller last wrote. */
  #cacheCaughtUp(key: string, rollout: Rollout): boolean {
    const expected = this.#expected.get(key)
    if (!expected) return true
    const namespace = rollout.metadata.namespace ?? 'default'
    for (const [object, rv] of expected) {
      const [kind, , name] = object.split('/')
      let current: string | undefined
      if (kind === 'Rollout') current = rollout.metadata.resourceVersion
      else if (kind === 'ReplicaSet') current = this.#deps.replicaSets.store.get(`${namespace}/${name}`)?.metadata.resourceVersion
      else {
        expected.delete(object)
        continue
      }
      if (current === undefined || isOlder(current, rv)) return false
      expected.delete(object)
    }
    if (expected.size === 0) this.#expected.delete(key)
    return true
  }
}

/**
 * One Event per transition, worded as Argo Rollouts words it: a weight change is the planner's
 * TrafficWeightUpdated Event alone ("Traffic weight updated from 0 to 5"), and the objects the
 * routers changed for it go to the log (`logOnly`); router changes without a weight change (hashes
 * moved, drift repaired, routes added) get a TrafficRoutingUpdated Event of their own, which Argo
 * does not have.
 */
function eventsToRecord(events: RolloutEvent[], routerEvents: RolloutEvent[]): { record: RolloutEvent[]; logOnly: RolloutEvent[] } {
  const weight = events.some((e) => e.reason === 'TrafficWeightUpdated')
  if (!weight || routerEvents.length === 0) return { record: [...events, ...routerEvents], logOnly: [] }
  return { record: events, logOnly: routerEvents }
}

/**
 * resourceVersions are opaque to clients, but every API server backed by etcd hands out increasing
 * integers; only when both are integers do we compare them, otherwise we take the cache as current.
 */
function isOlder(current: string, expected: string): boolean {
  if (!/^\d+$/.test(current) || !/^\d+$/.test(expected)) return false
  return BigInt(current) < BigInt(expected)
}

function errorMessage(error: unknown): string {
  if (error instanceof TerminalError || error instanceof AdapterError || error instanceof Error) return error.message
  return String(error)
}
