/**
 * The invariant checker: folds a timeline into the state of the cluster at every instant (in
 * resourceVersion order) and judges each armed Rollout against the traffic-safety rules of the
 * specification (§8), from the data plane's point of view:
 *
 *   canary-weight-without-pods  a split sends weight to the canary Service while the pods it selects
 *                               have no capacity.
 *   stable-under-capacity       the stable Service's capacity is below its share of the traffic:
 *                               floor(stableWeight × replicas / maxWeight), the planner's stable
 *                               capacity gate (packages/core/src/plan/traffic.ts, planTraffic).
 *   abort-scaled-before-traffic during an abort a ReplicaSet that carries the canary's traffic (the
 *                               current canary's, or one the canary Service selects) is scaled down
 *                               while the canary still has weight: the stable must carry the traffic
 *                               first. With dynamicStableScale the canary may shrink as its weight
 *                               leaves it, never below ceil(weight × replicas / maxWeight) pods. (The
 *                               stable's size is judged by stable-under-capacity: a controller that
 *                               had not seen the abort yet may still shrink it as far as its current
 *                               weight allows, but no weight may come back to it before it regrew.)
 *   step-skipped / step-repeated within one update (same pod-template hash, no abort in between)
 *                               status.currentStepIndex moves by +1 only; a pause's startTime is set
 *                               once per step.
 *   final-state-differs         (compareFinal) the settled state is not the fault-free run's.
 *
 * Capacity of a Service = its Ready pods (not terminating) matching its selector, capped by the
 * spec.replicas of the ReplicaSets of the hash it selects: a scale-down counts from the moment it is
 * written, before the pods go. A stable short of Ready pods while it carries all the traffic and its
 * ReplicaSets ask for enough is not held against the controller: it has nothing left to do (the
 * cluster is starting the pods).
 *
 * The first two can be made true by the world (a pod lost, an out-of-band edit): then the controller
 * has `reactionBoundMs` to repair it, time during which it was impaired (killed, API server down)
 * not counted. Made true by a write of the controller itself (a ReplicaSet scale, a Service or mesh
 * write that no `edit` mark claims), they are violations at once: the controller must never create
 * such a state, even for a moment.
 */
import { isMark, ordered } from './timeline.ts'
import type { Entry, MarkEntry, ObjectEntry, PodView, ReplicaSetView, RolloutView, ServiceView, Split, ViewOf } from './timeline.ts'
import { POD_TEMPLATE_HASH, splitsOf } from './views.ts'
import type { MeshState } from './views.ts'

export type InvariantName =
  | 'canary-weight-without-pods'
  | 'stable-under-capacity'
  | 'abort-scaled-before-traffic'
  | 'step-skipped'
  | 'step-repeated'
  | 'final-state-differs'
  | 'not-settled'

export interface Violation {
  invariant: InvariantName
  rollout: string
  /** When it started (receipt time, ms since the epoch) and the resourceVersion of the write that started it. */
  at: number
  rv: number
  message: string
}

export interface CheckOptions {
  /** How long the controller may take to repair a state the world broke (ms of unimpaired time). */
  reactionBoundMs: number
  /** The end of the observation (default: the last entry's receipt time): conditions still true then are measured up to it. */
  endAt?: number
}

type MeshKind = 'TrafficSplit' | 'VirtualService' | 'Ingress' | 'Mapping'
const MESH_KINDS = new Set<string>(['TrafficSplit', 'VirtualService', 'Ingress', 'Mapping'])

/** The cluster as the timeline says it is at one instant. */
export class ClusterState {
  readonly rollouts = new Map<string, RolloutView>()
  readonly replicaSets = new Map<string, ReplicaSetView>()
  readonly pods = new Map<string, PodView>()
  readonly services = new Map<string, ServiceView>()
  readonly mesh = new Map<string, ViewOf[MeshKind]>()

  /** Applies one object entry; returns the view it replaced (undefined for a new object). */
  apply(entry: ObjectEntry): unknown {
    const map = this.#mapOf(entry.kind)
    const key = MESH_KINDS.has(entry.kind) ? `${entry.kind}/${entry.name}` : entry.name
    const before = map.get(key)
    if (entry.type === 'DELETED') map.delete(key)
    else map.set(key, entry.view)
    return before
  }

  #mapOf(kind: ObjectEntry['kind']): Map<string, unknown> {
    switch (kind) {
      case 'Rollout':
        return this.rollouts
      case 'ReplicaSet':
        return this.replicaSets
      case 'Pod':
        return this.pods
      case 'Service':
        return this.services
      default:
        return this.mesh
    }
  }

  splits(rollout: RolloutView): Split[] {
    return splitsOf(rollout, this.mesh as MeshState)
  }

  /** Ready, not terminating pods selected by the Service, capped by spec.replicas of the rollout's ReplicaSets of the selected hash. */
  capacity(rolloutName: string, serviceName: string | undefined): number {
    const service = serviceName === undefined ? undefined : this.services.get(serviceName)
    if (!service) return 0
    const selector = Object.entries(service.selector)
    if (selector.length === 0) return 0
    let ready = 0
    for (const pod of this.pods.values()) {
      if (pod.ready && !pod.deleting && selector.every(([k, v]) => pod.labels[k] === v)) ready++
    }
    if (service.selector[POD_TEMPLATE_HASH] === undefined) return ready
    return Math.min(ready, this.requestedReplicas(rolloutName, serviceName))
  }

  /** The spec.replicas of the rollout's ReplicaSets of the hash a Service selects (what the controller has asked for). */
  requestedReplicas(rolloutName: string, serviceName: string | undefined): number {
    const hash = serviceName === undefined ? undefined : this.services.get(serviceName)?.selector[POD_TEMPLATE_HASH]
    let replicas = 0
    for (const rs of this.replicaSets.values()) if (rs.owner === rolloutName && rs.hash === hash) replicas += rs.replicas
    return replicas
  }

  /** The canary weight the splits carry (the largest, when a router has several routes). */
  canaryWeight(rollout: RolloutView): number {
    return Math.max(0, ...this.splits(rollout).map((s) => weightOf(s, rollout.canaryService)))
  }
}

const weightOf = (split: Split, service: string | undefined) => split.backends.filter((b) => b.service === service).reduce((sum, b) => sum + b.weight, 0)

interface Open {
  at: number
  rv: number
  cause: 'controller' | 'world'
  message: string
  reported: boolean
}

interface StepTrack {
  hash: string | undefined
  abort: boolean
  index: number | undefined
  pauses: Map<number, string>
  broken: boolean
}

/** Every violation of the timeline, oldest first. */
export function checkTimeline(timeline: readonly Entry[], options: CheckOptions): Violation[] {
  const entries = ordered(timeline)
  const violations: Violation[] = []
  const state = new ClusterState()
  const armed = new Set<string>()
  const edited = new Set<string>()
  for (const e of entries) if (isMark(e) && e.mark.type === 'edit') edited.add(`${e.mark.kind}/${e.mark.name}@${e.mark.rv}`)
  const impaired = impairedWindows(entries)
  const endAt = options.endAt ?? Math.max(0, ...entries.map((e) => e.at))
  const open = new Map<string, Open>()
  const steps = new Map<string, StepTrack>()
  const gapSeen = new Set<string>()

  const close = (key: string, condition: Open, at: number) => {
    open.delete(key)
    if (condition.reported) return
    const lasted = at - condition.at - overlap(impaired, condition.at, at)
    if (lasted > options.reactionBoundMs) {
      const [invariant, rollout] = key.split('|') as [InvariantName, string]
      violations.push({ invariant, rollout, at: condition.at, rv: condition.rv, message: `${condition.message}; lasted ${Math.round(lasted)} ms of unimpaired time (bound ${options.reactionBoundMs} ms)` })
    }
  }

  for (const entry of entries) {
    if (isMark(entry)) {
      if (entry.mark.type === 'arm') armed.add(entry.mark.rollout)
      if (entry.mark.type === 'gap' && entry.mark.kind === 'Rollout') for (const name of steps.keys()) gapSeen.add(name)
      continue
    }
    const before = state.apply(entry)
    const byController = isControllerWrite(entry, before, edited)

    if (entry.kind === 'ReplicaSet' && entry.type !== 'DELETED' && before !== undefined) {
      const previous = before as ReplicaSetView
      if (entry.view.replicas < previous.replicas && !edited.has(`ReplicaSet/${entry.name}@${entry.rv}`)) checkAbortScaleDown(entry.name, entry.view, previous.replicas, entry, state, armed, violations)
    }
    if (entry.kind === 'Rollout') trackSteps(entry.name, entry.view, entry, steps, gapSeen, armed, violations)

    for (const name of armed) {
      const rollout = state.rollouts.get(name)
      if (!rollout) continue
      for (const split of state.splits(rollout)) {
        const canaryWeight = weightOf(split, rollout.canaryService)
        const stableWeight = weightOf(split, rollout.stableService)
        const canaryCapacity = state.capacity(name, rollout.canaryService)
        const stableCapacity = state.capacity(name, rollout.stableService)
        const stableNeeds = Math.floor((stableWeight * rollout.replicas) / rollout.maxWeight)
        const conditions: [InvariantName, boolean, string][] = [
          ['canary-weight-without-pods', canaryWeight > 0 && canaryCapacity === 0, `${split.source} sends ${canaryWeight}/${rollout.maxWeight} to ${rollout.canaryService}, which has no capacity`],
          [
            'stable-under-capacity',
            // With all the traffic on the stable and as many stable pods asked for as it needs, nothing is
            // left for the controller to do: the shortfall is the cluster starting pods (a lost pod being
            // replaced, slow on a loaded machine), not a state the controller made or can repair.
            stableCapacity < stableNeeds && !(stableWeight === rollout.maxWeight && state.requestedReplicas(name, rollout.stableService) >= stableNeeds),
            `${split.source} sends ${stableWeight}/${rollout.maxWeight} to ${rollout.stableService}, which needs ${stableNeeds} of ${rollout.replicas} pods and has ${stableCapacity}`,
          ],
        ]
        for (const [invariant, holds, message] of conditions) {
          const key = `${invariant}|${name}|${split.source}`
          const current = open.get(key)
          if (holds && !current) {
            const condition: Open = { at: entry.at, rv: entry.rv, cause: byController ? 'controller' : 'world', message: `${message} (after ${entry.kind} ${entry.name} ${entry.type})`, reported: false }
            open.set(key, condition)
            if (byController) {
              condition.reported = true
              violations.push({ invariant, rollout: name, at: entry.at, rv: entry.rv, message: `${condition.message}: written by the controller` })
            }
          } else if (!holds && current) close(key, current, entry.at)
        }
      }
      // A split that went away (its object deleted) ends its conditions.
      const sources = new Set(state.splits(rollout).map((s) => s.source))
      for (const [key, condition] of open) {
        const [, rolloutName, source] = key.split('|')
        if (rolloutName === name && source !== undefined && !sources.has(source)) close(key, condition, entry.at)
      }
    }
  }
  for (const [key, condition] of [...open]) close(key, condition, endAt)
  return violations.sort((a, b) => a.rv - b.rv || a.at - b.at)
}

/** A write the controller made: a ReplicaSet's spec, a Service or a mesh object, unless the chaos suite claims it. */
function isControllerWrite(entry: ObjectEntry, before: unknown, edited: ReadonlySet<string>): boolean {
  if (edited.has(`${entry.kind}/${entry.name}@${entry.rv}`)) return false
  if (entry.kind === 'ReplicaSet') return before === undefined || entry.type === 'DELETED' || (before as ReplicaSetView).replicas !== entry.view.replicas
  return entry.kind === 'Service' || MESH_KINDS.has(entry.kind)
}

function checkAbortScaleDown(rsName: string, rs: ReplicaSetView, from: number, entry: ObjectEntry, state: ClusterState, armed: ReadonlySet<string>, violations: Violation[]): void {
  const rollout = state.rollouts.get(rs.owner)
  if (!rollout || !armed.has(rs.owner) || !rollout.status.abort || rs.hash === rollout.status.stableRS) return
  const canarySelects = rollout.canaryService === undefined ? undefined : state.services.get(rollout.canaryService)?.selector[POD_TEMPLATE_HASH]
  if (rs.hash !== rollout.status.currentPodHash && rs.hash !== canarySelects) return
  const weight = state.canaryWeight(rollout)
  const needs = Math.ceil((weight * rollout.replicas) / rollout.maxWeight)
  const what = `ReplicaSet ${rsName} scaled ${from} → ${rs.replicas} during the abort`
  let problem: string | undefined
  if (!rollout.dynamicStableScale && weight > 0) problem = `${what} while the canary still has weight ${weight}/${rollout.maxWeight}`
  else if (rollout.dynamicStableScale && rs.replicas < needs) problem = `${what}: its weight ${weight}/${rollout.maxWeight} needs ${needs} pods`
  if (problem) violations.push({ invariant: 'abort-scaled-before-traffic', rollout: rs.owner, at: entry.at, rv: entry.rv, message: problem })
}

function trackSteps(name: string, view: RolloutView, entry: ObjectEntry, tracks: Map<string, StepTrack>, gapSeen: Set<string>, armed: ReadonlySet<string>, violations: Violation[]): void {
  const { currentPodHash: hash, abort, currentStepIndex: index, pauseStartTime } = view.status
  const track = tracks.get(name)
  if (entry.type === 'DELETED') {
    tracks.delete(name)
    return
  }
  if (!track || track.hash !== hash || track.abort !== abort || gapSeen.has(name)) {
    gapSeen.delete(name)
    const fresh: StepTrack = { hash, abort, index, pauses: new Map(), broken: false }
    if (index !== undefined && pauseStartTime) fresh.pauses.set(index, pauseStartTime)
    tracks.set(name, fresh)
    return
  }
  const report = (invariant: InvariantName, message: string) => {
    if (armed.has(name)) violations.push({ invariant, rollout: name, at: entry.at, rv: entry.rv, message })
  }
  // An abort sends the index back to 0 (and retry starts over): only an update in progress is judged.
  if (!abort && index !== undefined && track.index !== undefined) {
    if (index > track.index + 1) report('step-skipped', `currentStepIndex ${track.index} → ${index} within the update of ${hash}`)
    else if (index < track.index) report('step-repeated', `currentStepIndex ${track.index} → ${index} within the update of ${hash} (no abort in between)`)
  }
  if (!abort && index !== undefined && pauseStartTime) {
    const first = track.pauses.get(index)
    if (first !== undefined && first !== pauseStartTime) report('step-repeated', `the pause of step ${index} started again: startTime ${first} → ${pauseStartTime}`)
    if (first === undefined) track.pauses.set(index, pauseStartTime)
  }
  if (index !== undefined) track.index = index
}

/** [start, end] of the times the controller was impaired, from the `impaired` marks (nested marks count once). */
export function impairedWindows(entries: readonly Entry[]): [number, number][] {
  const marks = entries.filter((e): e is MarkEntry => isMark(e) && e.mark.type === 'impaired').sort((a, b) => a.at - b.at)
  const windows: [number, number][] = []
  const active = new Map<string, number>()
  let depth = 0
  let start = 0
  for (const m of marks) {
    if (m.mark.type !== 'impaired') continue
    const count = active.get(m.mark.why) ?? 0
    if (m.mark.on) {
      active.set(m.mark.why, count + 1)
      if (depth++ === 0) start = m.at
    } else if (count > 0) {
      active.set(m.mark.why, count - 1)
      if (--depth === 0) windows.push([start, m.at])
    }
  }
  if (depth > 0) windows.push([start, Number.POSITIVE_INFINITY])
  return windows
}

function overlap(windows: readonly [number, number][], from: number, to: number): number {
  let total = 0
  for (const [start, end] of windows) total += Math.max(0, Math.min(end, to) - Math.max(start, from))
  return total
}

/** What a settled rollout looks like, compared between a faulted run and the fault-free run. */
export interface FinalState {
  phase: string | undefined
  abort: boolean
  stableRS: string | undefined
  currentPodHash: string | undefined
  currentStepIndex: number | undefined
  replicas: number
  /** spec.replicas of the rollout's ReplicaSets that have any, by pod-template hash. */
  replicaSets: Record<string, number>
  canaryWeight: number
  stableWeight: number
  /** The pod-template hash each Service selects. */
  canaryServiceHash: string | undefined
  stableServiceHash: string | undefined
}

/** The state of `rollout` at the end of the timeline; undefined when the timeline never saw it. */
export function finalStateOf(timeline: readonly Entry[], rollout: string): FinalState | undefined {
  const state = new ClusterState()
  for (const entry of ordered(timeline)) if (!isMark(entry)) state.apply(entry)
  const view = state.rollouts.get(rollout)
  if (!view) return undefined
  const replicaSets: Record<string, number> = {}
  for (const rs of [...state.replicaSets.values()].sort((a, b) => a.hash.localeCompare(b.hash))) {
    if (rs.owner === rollout && rs.replicas > 0) replicaSets[rs.hash] = (replicaSets[rs.hash] ?? 0) + rs.replicas
  }
  const splits = state.splits(view)
  const selected = (service: string | undefined) => (service === undefined ? undefined : state.services.get(service)?.selector[POD_TEMPLATE_HASH])
  return {
    phase: view.status.phase,
    abort: view.status.abort,
    stableRS: view.status.stableRS,
    currentPodHash: view.status.currentPodHash,
    currentStepIndex: view.status.currentStepIndex,
    replicas: view.replicas,
    replicaSets,
    canaryWeight: Math.max(0, ...splits.map((s) => weightOf(s, view.canaryService))),
    stableWeight: splits.length === 0 ? 0 : Math.min(...splits.map((s) => weightOf(s, view.stableService))),
    canaryServiceHash: selected(view.canaryService),
    stableServiceHash: selected(view.stableService),
  }
}

/** The fields in which `actual` differs from `expected`, as `field: expected → actual`. */
export function compareFinal(expected: FinalState, actual: FinalState | undefined): string[] {
  if (!actual) return ['the rollout was never seen']
  const differences: string[] = []
  for (const key of Object.keys(expected) as (keyof FinalState)[]) {
    const a = JSON.stringify(expected[key])
    const b = JSON.stringify(actual[key])
    if (a !== b) differences.push(`${key}: ${a} → ${b}`)
  }
  return differences
}

/** A `final-state-differs` violation per rollout whose settled state is not the reference's. */
export function checkFinalStates(expected: Readonly<Record<string, FinalState>>, timeline: readonly Entry[], at: number): Violation[] {
  const violations: Violation[] = []
  for (const [rollout, state] of Object.entries(expected)) {
    const differences = compareFinal(state, finalStateOf(timeline, rollout))
    if (differences.length > 0) violations.push({ invariant: 'final-state-differs', rollout, at, rv: Math.max(0, ...timeline.map((e) => e.rv)), message: `differs from the fault-free run: ${differences.join('; ')}` })
  }
  return violations
}
