/**
 * The timeline: every version of every object the checker watches, as a small view, stamped with the
 * time its watch event arrived (`at`, ms since the epoch) and its resourceVersion (`rv`), plus marks
 * the fault injectors and the scenario write (a fault window opened or closed, an out-of-band edit,
 * a user action, a gap in a watch). An etcd-backed API server hands out one increasing revision to
 * all writes, so ordering by `rv` orders writes across kinds as they happened; `at` is used only for
 * durations. A timeline is plain JSON: it is what a failed run prints and what a replay reads.
 */

/** The kinds the checker folds into its state. */
export type ObservedKind = 'Rollout' | 'ReplicaSet' | 'Pod' | 'Service' | 'TrafficSplit' | 'VirtualService' | 'Ingress' | 'Mapping'

export interface RolloutView {
  generation: number
  replicas: number
  canaryService?: string
  stableService?: string
  dynamicStableScale: boolean
  maxWeight: number
  steps: number
  /** The router and its settings, as written in spec.strategy.canary.trafficRouting. */
  trafficRouting: TrafficRoutingView
  status: {
    phase?: string
    currentStepIndex?: number
    currentPodHash?: string
    stableRS?: string
    abort: boolean
    /** startTime of the pause condition of the current step, if any. */
    pauseStartTime?: string
    canaryWeight?: number
    message?: string
  }
}

export type TrafficRoutingView =
  | { router: 'smi'; trafficSplitName: string }
  | { router: 'istio'; virtualService: string; routes: string[] }
  | { router: 'nginx'; canaryIngress: string; annotationPrefix: string }
  | { router: 'alb'; ingress: string; actionService: string; annotationPrefix: string }
  | { router: 'ambassador'; mappings: string[] }
  | { router: 'none' }

export interface ReplicaSetView {
  hash: string
  /** Name of the Rollout controlling it ('' when none). */
  owner: string
  replicas: number
  readyReplicas: number
  availableReplicas: number
}

export interface PodView {
  labels: Record<string, string>
  ready: boolean
  deleting: boolean
}

export interface ServiceView {
  selector: Record<string, string>
}

/** One traffic split: weighted backends by Service name (weights in the rollout's maxWeight scale). */
export interface Split {
  /** Where it was read: `TrafficSplit/web`, `VirtualService/web route primary`. */
  source: string
  backends: { service: string; weight: number }[]
}

export interface TrafficSplitView {
  backends: { service: string; weight: number }[]
}

export interface VirtualServiceView {
  http: { name: string; destinations: { host: string; weight: number }[] }[]
}

export interface IngressView {
  /** Only the annotations that carry routing: `…/canary*` and `…/actions.*`. */
  annotations: Record<string, string>
}

export interface MappingView {
  service: string
  weight?: number
}

export interface ViewOf {
  Rollout: RolloutView
  ReplicaSet: ReplicaSetView
  Pod: PodView
  Service: ServiceView
  TrafficSplit: TrafficSplitView
  VirtualService: VirtualServiceView
  Ingress: IngressView
  Mapping: MappingView
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export type ObjectEntry = {
  [K in ObservedKind]: { at: number; rv: number; type: WatchEventType; kind: K; name: string; view: ViewOf[K] }
}[ObservedKind]

export type Mark =
  /** The controller could not act (killed and not yet restarted, API server or etcd down, its watches stalled); the reaction bound does not run meanwhile. */
  | { type: 'impaired'; on: boolean; why: string }
  /** An out-of-band write by the chaos suite: the object version it produced is not the controller's doing. */
  | { type: 'edit'; kind: ObservedKind; name: string; rv: number; what: string }
  /** A user action of the scenario (update, abort, retry, promote, spec change). */
  | { type: 'action'; rollout: string; what: string }
  /** A fault injected (for the report and the printed timeline). */
  | { type: 'fault'; what: string }
  /** The recorder lost its watch of a kind and listed again: states in between may be missing. */
  | { type: 'gap'; kind: ObservedKind }
  /** The checker starts judging a rollout from here (it was Healthy before the update). */
  | { type: 'arm'; rollout: string }

export interface MarkEntry {
  at: number
  /** The latest resourceVersion the recorder had seen when the mark was written (its place in rv order). */
  rv: number
  mark: Mark
}

export type Entry = ObjectEntry | MarkEntry

export const isMark = (entry: Entry): entry is MarkEntry => 'mark' in entry

/** Entries in the order of the writes: by resourceVersion, marks after the writes they follow, ties by arrival. */
export function ordered(entries: readonly Entry[]): Entry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.rv - b.entry.rv || Number(isMark(a.entry)) - Number(isMark(b.entry)) || a.entry.at - b.entry.at || a.index - b.index)
    .map((x) => x.entry)
}

/** One line per entry: `+12.345s rv 4711 MODIFIED ReplicaSet smi-1-abc replicas 2 ready 1`. */
export function formatEntry(entry: Entry, origin: number): string {
  const time = `${((entry.at - origin) / 1000).toFixed(3).padStart(8)}s rv ${String(entry.rv).padStart(7)}`
  if (isMark(entry)) return `${time} -- ${formatMark(entry.mark)}`
  return `${time} ${entry.type.padEnd(8)} ${entry.kind} ${entry.name} ${formatView(entry)}`
}

function formatMark(mark: Mark): string {
  switch (mark.type) {
    case 'impaired':
      return `${mark.on ? 'controller impaired' : 'controller unimpaired'}: ${mark.why}`
    case 'edit':
      return `out-of-band edit of ${mark.kind} ${mark.name} (rv ${mark.rv}): ${mark.what}`
    case 'action':
      return `user action on ${mark.rollout}: ${mark.what}`
    case 'fault':
      return `fault: ${mark.what}`
    case 'gap':
      return `watch gap: ${mark.kind} listed again`
    case 'arm':
      return `checking ${mark.rollout} from here`
  }
}

function formatView(entry: ObjectEntry): string {
  switch (entry.kind) {
    case 'Rollout': {
      const s = entry.view.status
      return `replicas ${entry.view.replicas} phase ${s.phase ?? '-'} step ${s.currentStepIndex ?? '-'}/${entry.view.steps} current ${s.currentPodHash ?? '-'} stable ${s.stableRS ?? '-'} weight ${s.canaryWeight ?? '-'}${s.abort ? ' ABORTED' : ''}${s.pauseStartTime ? ` paused since ${s.pauseStartTime}` : ''}`
    }
    case 'ReplicaSet':
      return `hash ${entry.view.hash} replicas ${entry.view.replicas} ready ${entry.view.readyReplicas} available ${entry.view.availableReplicas}`
    case 'Pod':
      return `${entry.view.labels['rollouts-pod-template-hash'] ?? ''} ${entry.view.ready ? 'ready' : 'not ready'}${entry.view.deleting ? ' deleting' : ''}`
    case 'Service':
      return `selector ${JSON.stringify(entry.view.selector)}`
    case 'TrafficSplit':
      return entry.view.backends.map((b) => `${b.service}=${b.weight}`).join(' ')
    case 'VirtualService':
      return entry.view.http.map((r) => `${r.name}: ${r.destinations.map((d) => `${d.host}=${d.weight}`).join(' ')}`).join('; ')
    case 'Ingress':
      return JSON.stringify(entry.view.annotations)
    case 'Mapping':
      return `${entry.view.service} weight ${entry.view.weight ?? '-'}`
  }
}

/** The entries within `windowMs` of `at` (at most `max`, nearest first kept), formatted, for a failure report. */
export function excerpt(entries: readonly Entry[], at: number, options: { windowMs?: number; max?: number; origin?: number } = {}): string[] {
  const windowMs = options.windowMs ?? 3000
  const max = options.max ?? 60
  const all = ordered(entries)
  const origin = options.origin ?? all[0]?.at ?? at
  const near = all.filter((e) => Math.abs(e.at - at) <= windowMs)
  const kept = near.length <= max ? near : [...near].sort((a, b) => Math.abs(a.at - at) - Math.abs(b.at - at)).slice(0, max)
  const keep = new Set(kept)
  return near.filter((e) => keep.has(e)).map((e) => formatEntry(e, origin))
}
