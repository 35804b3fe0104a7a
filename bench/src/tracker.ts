/**
 * Follows every rollout through the update from the watch records, and derives the figures:
 *
 *   reaction latency   for each weight whose step needs more canary pods than the previous one, the
 *                      time from the canary ReplicaSet reaching that many available pods (receipt of
 *                      the ReplicaSet event) to the new weight on the TrafficSplit (receipt of the
 *                      TrafficSplit event)
 *   timer latency      from the end of each timed pause (the pause condition's startTime plus its
 *                      duration) to the controller's next write seen (the next weight, or the canary's
 *                      scale-up when the next weight needs more pods)
 *   completion         from the template patch to the Rollout reported Healthy on the new revision
 *
 * Pure: it only reads records; the main thread feeds it.
 */
import type { EventRecord, ReplicaSetRecord, RolloutRecord, TrafficSplitRecord, WatchRecord } from './records.ts'
import { canaryPodsFor, WEIGHTS } from './workload.ts'

interface RolloutState {
  name: string
  // the latest view
  rollout: RolloutRecord | undefined
  weight: number | undefined
  /** Hash → latest ReplicaSet record. */
  replicaSets: Map<string, ReplicaSetRecord>

  // the update
  patchedAt: number | undefined
  oldHash: string | undefined
  newHash: string | undefined
  /** Canary available count reached → first receipt time. */
  canaryReadyAt: Map<number, number>
  /** Canary spec.replicas set → first receipt time. */
  canaryScaledAt: Map<number, number>
  /** TrafficSplit canary weight → first receipt time after the update started. */
  weightAt: Map<number, number>
  /** Step index → pause startTime written by the controller. */
  pauseStart: Map<number, number>
  promotedAt: number | undefined
  drainedAt: number | undefined
}

export interface LatencySample {
  rollout: string
  /** What the sample measures: `weight 20`, `pause 2 end → weight 50` ... */
  what: string
  ms: number
}

export interface UpdateSummary {
  /** Rollouts the update started for. */
  rollouts: number
  promoted: number
  drained: number
  /** ms from the first patch to the last Rollout Healthy on its new revision. */
  allPromotedMs: number | undefined
  /** ms from the first patch to the last previous-stable ReplicaSet at 0 pods. */
  allDrainedMs: number | undefined
  /** Per-rollout time from its patch to Healthy on the new revision. */
  completionMs: number[]
  reactions: LatencySample[]
  timers: LatencySample[]
  /** Rollouts missing a sample they should have (watch gaps, or a controller that skipped a gate). */
  missingReactions: number
  /** Rollout watch events during the update (each is one write to the Rollout: spec or status). */
  rolloutWrites: number
  /** TrafficSplit watch events during the update. */
  meshWrites: number
  /** Events (events.k8s.io) about Rollouts created or updated during the update, by type. */
  rolloutEventWrites: { created: number; updated: number }
  /** Event writes about Rollouts during the update, by reason. */
  rolloutEventReasons: Record<string, number>
  /** All Event writes in the namespace during the update, by reporting controller. */
  eventWritesByController: Record<string, number>
}

export class Tracker {
  readonly #replicas: number
  readonly #pauseMs: number
  readonly #states = new Map<string, RolloutState>()
  #updateStartedAt: number | undefined
  #rolloutWrites = 0
  #meshWrites = 0
  #rolloutEvents = { created: 0, updated: 0 }
  #rolloutEventReasons = new Map<string, number>()
  #eventsByController = new Map<string, number>()
  /** Receipt time of the latest record of a Rollout, ReplicaSet or TrafficSplit. */
  lastActivityAt = 0

  constructor(options: { replicas: number; pauseSeconds: number }) {
    this.#replicas = options.replicas
    this.#pauseMs = options.pauseSeconds * 1000
  }

  #state(name: string): RolloutState {
    let state = this.#states.get(name)
    if (!state) {
      state = {
        name,
        rollout: undefined,
        weight: undefined,
        replicaSets: new Map(),
        patchedAt: undefined,
        oldHash: undefined,
        newHash: undefined,
        canaryReadyAt: new Map(),
        canaryScaledAt: new Map(),
        weightAt: new Map(),
        pauseStart: new Map(),
        promotedAt: undefined,
        drainedAt: undefined,
      }
      this.#states.set(name, state)
    }
    return state
  }

  ingest(record: WatchRecord): void {
    switch (record.kind) {
      case 'Rollout':
        this.#rollout(record)
        break
      case 'ReplicaSet':
        this.#replicaSet(record)
        break
      case 'TrafficSplit':
        this.#trafficSplit(record)
        break
      case 'Event':
        this.#event(record)
        break
    }
  }

  #updating(): boolean {
    return this.#updateStartedAt !== undefined
  }

  #rollout(r: RolloutRecord): void {
    this.lastActivityAt = Math.max(this.lastActivityAt, r.t)
    if (r.type === 'DELETED') return
    const s = this.#state(r.name)
    s.rollout = r
    if (!this.#updating() || s.patchedAt === undefined) return
    this.#rolloutWrites += r.type === 'MODIFIED' ? 1 : 0
    if (!s.newHash && r.currentPodHash && r.currentPodHash !== s.oldHash) s.newHash = r.currentPodHash
    if (r.step !== undefined && r.pauseStart !== undefined && !s.pauseStart.has(r.step)) s.pauseStart.set(r.step, r.pauseStart)
    if (s.promotedAt === undefined && s.newHash && r.phase === 'Healthy' && r.stableRS === s.newHash && r.currentPodHash === s.newHash) s.promotedAt = r.t
  }

  #replicaSet(rs: ReplicaSetRecord): void {
    this.lastActivityAt = Math.max(this.lastActivityAt, rs.t)
    if (!rs.rollout || !rs.hash) return
    const s = this.#state(rs.rollout)
    if (rs.type === 'DELETED') {
      s.replicaSets.delete(rs.hash)
      return
    }
    s.replicaSets.set(rs.hash, rs)
    if (!this.#updating() || s.patchedAt === undefined) return
    if (rs.hash !== s.oldHash) {
      s.newHash ??= rs.hash
      if (rs.hash === s.newHash) {
        if (!s.canaryScaledAt.has(rs.replicas)) s.canaryScaledAt.set(rs.replicas, rs.t)
        if (rs.replicas > 0 && rs.available >= rs.replicas && !s.canaryReadyAt.has(rs.replicas)) s.canaryReadyAt.set(rs.replicas, rs.t)
      }
    } else if (s.drainedAt === undefined && s.promotedAt !== undefined && rs.replicas === 0 && rs.current === 0) {
      s.drainedAt = rs.t
    }
  }

  #trafficSplit(ts: TrafficSplitRecord): void {
    this.lastActivityAt = Math.max(this.lastActivityAt, ts.t)
    if (ts.type === 'DELETED') return
    const s = this.#state(ts.name)
    const changed = ts.canaryWeight !== s.weight
    s.weight = ts.canaryWeight
    if (!this.#updating() || s.patchedAt === undefined) return
    this.#meshWrites += ts.type === 'MODIFIED' ? 1 : 0
    if (changed && ts.canaryWeight !== undefined && !s.weightAt.has(ts.canaryWeight)) s.weightAt.set(ts.canaryWeight, ts.t)
  }

  #event(e: EventRecord): void {
    if (!this.#updating()) return
    if (e.regardingKind === 'Rollout' && e.type !== 'DELETED') {
      if (e.type === 'ADDED') this.#rolloutEvents.created += 1
      else this.#rolloutEvents.updated += 1
      const reason = e.reason ?? '(none)'
      this.#rolloutEventReasons.set(reason, (this.#rolloutEventReasons.get(reason) ?? 0) + 1)
    }
    if (e.type !== 'DELETED') {
      const who = e.reportingController || '(none)'
      this.#eventsByController.set(who, (this.#eventsByController.get(who) ?? 0) + 1)
    }
  }

  // ---------------------------------------------------------------------------- setup

  /** Names of rollouts seen. */
  names(): string[] {
    return [...this.#states.keys()]
  }

  /** True when `names` are all Healthy on their current revision, with a TrafficSplit at weight 0. */
  allHealthy(names: readonly string[]): boolean {
    return names.every((name) => {
      const s = this.#states.get(name)
      const r = s?.rollout
      return r !== undefined && r.phase === 'Healthy' && r.stableRS !== undefined && r.stableRS === r.currentPodHash && s?.weight === 0
    })
  }

  healthyCount(names: readonly string[]): number {
    return names.filter((name) => this.allHealthy([name])).length
  }

  // ---------------------------------------------------------------------------- update

  /** Marks the start of the update phase: from here on writes are counted. */
  startUpdate(at: number): void {
    this.#updateStartedAt = at
    this.#rolloutWrites = 0
    this.#meshWrites = 0
    this.#rolloutEvents = { created: 0, updated: 0 }
    this.#rolloutEventReasons.clear()
    this.#eventsByController.clear()
  }

  /** Records that `name`'s template patch was sent at `at`; remembers its stable revision. */
  patched(name: string, at: number): void {
    const s = this.#state(name)
    s.patchedAt = at
    s.oldHash = s.rollout?.stableRS
  }

  promotedCount(): number {
    return [...this.#states.values()].filter((s) => s.patchedAt !== undefined && s.promotedAt !== undefined).length
  }

  drainedCount(): number {
    return [...this.#states.values()].filter((s) => s.patchedAt !== undefined && s.drainedAt !== undefined).length
  }

  /** The (weight → canary pods) steps that wait for new canary pods: 20 and 100 with 2 replicas. */
  gatedWeights(): { weight: number; pods: number }[] {
    const weights = [...WEIGHTS, 100]
    const gated: { weight: number; pods: number }[] = []
    let previousPods = 0
    for (const weight of weights) {
      const pods = canaryPodsFor(weight, this.#replicas)
      if (pods > previousPods) gated.push({ weight, pods })
      previousPods = Math.max(previousPods, pods)
    }
    return gated
  }

  summary(): UpdateSummary {
    const started = [...this.#states.values()].filter((s) => s.patchedAt !== undefined)
    const first = Math.min(...started.map((s) => s.patchedAt as number))
    const gated = this.gatedWeights()
    const reactions: LatencySample[] = []
    const timers: LatencySample[] = []
    let missing = 0
    for (const s of started) {
      for (const { weight, pods } of gated) {
        const ready = s.canaryReadyAt.get(pods)
        const written = s.weightAt.get(weight)
        if (ready === undefined || written === undefined) {
          missing += 1
          continue
        }
        reactions.push({ rollout: s.name, what: `${pods} canary pod(s) available → weight ${weight}`, ms: written - ready })
      }
      // Pauses are steps 1 and 3; the write after each is the next weight, or the canary's scale-up.
      const after: [number, number][] = [
        [1, WEIGHTS[1]],
        [3, 100],
      ]
      for (const [step, weight] of after) {
        const start = s.pauseStart.get(step)
        if (start === undefined) continue
        const end = start + this.#pauseMs
        const needsPods = gated.find((g) => g.weight === weight)
        const next = needsPods ? s.canaryScaledAt.get(needsPods.pods) : s.weightAt.get(weight)
        if (next === undefined) continue
        timers.push({ rollout: s.name, what: needsPods ? `pause ${step + 1} end → canary scaled to ${needsPods.pods}` : `pause ${step + 1} end → weight ${weight}`, ms: next - end })
      }
    }
    const promoted = started.filter((s) => s.promotedAt !== undefined)
    const drained = started.filter((s) => s.drainedAt !== undefined)
    const last = (xs: number[]) => (xs.length === 0 ? undefined : Math.max(...xs) - first)
    return {
      rollouts: started.length,
      promoted: promoted.length,
      drained: drained.length,
      allPromotedMs: promoted.length === started.length ? last(promoted.map((s) => s.promotedAt as number)) : undefined,
      allDrainedMs: drained.length === started.length ? last(drained.map((s) => s.drainedAt as number)) : undefined,
      completionMs: promoted.map((s) => (s.promotedAt as number) - (s.patchedAt as number)),
      reactions,
      timers,
      missingReactions: missing,
      rolloutWrites: this.#rolloutWrites,
      meshWrites: this.#meshWrites,
      rolloutEventWrites: { ...this.#rolloutEvents },
      rolloutEventReasons: Object.fromEntries([...this.#rolloutEventReasons].sort((a, b) => b[1] - a[1])),
      eventWritesByController: Object.fromEntries(this.#eventsByController),
    }
  }
}
