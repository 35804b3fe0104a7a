/**
 * What the cluster commands show of a Rollout, computed from the API objects alone (pure): its
 * phase, steps, weights, managed routes, revisions with their ReplicaSets and pods, conditions; and
 * whether it has settled (`outcomeOf`), which ends `status` and `get --watch`.
 */
import { configuredRouters, describeStep, isControlledBy, managedRoutesAt, POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, SCALE_DOWN_DEADLINE_ANNOTATION, setWeightAt } from '@sluice/core'
import type { HeaderRoutingMatch, KubeObject, Rollout, RouteMatch, StringMatch } from '@sluice/core'

export type StepState = 'done' | 'current' | 'pending'

export interface StepView {
  index: number
  /** `setWeight: 20`, `pause: 30s`, `setHeaderRoute: beta`, ... */
  text: string
  state: StepState
}

export interface RouteView {
  kind: 'header' | 'mirror'
  name: string
  /** What it matches, e.g. `x-beta exact "1"`, `method exact "GET" and path prefix "/api"`. */
  match: string
  /** Mirror routes: share of matching requests copied to the canary. */
  percentage?: number
}

export interface PodView {
  name: string
  /** Running, Pending, Terminating, CrashLoopBackOff, ... */
  status: string
  ready: string
  restarts: number
  age: string
}

export type ReplicaSetRole = 'stable' | 'canary' | 'old'

export interface ReplicaSetView {
  name: string
  hash: string
  revision: number
  role: ReplicaSetRole
  images: string[]
  desired: number
  current: number
  ready: number
  available: number
  /** When an old or aborted ReplicaSet is due to be scaled down. */
  scaleDownDeadline?: string
  age: string
  pods: PodView[]
}

export interface WeightView {
  canary: number
  stable: number
  /** `router`: what the traffic router carries (status.canary.weights); `pods`: the ready-pod ratio (no traffic routing). */
  source: 'router' | 'pods'
  /** Whether the data plane confirmed the weights, where the router verifies. */
  verified?: boolean
  /** Scale of the weights (100 unless `maxTrafficWeight`). */
  max: number
}

export interface ConditionView {
  type: string
  status: string
  reason: string
  message: string
}

export interface RolloutView {
  namespace: string
  name: string
  /** Healthy, Progressing, Paused, Degraded; `Unknown` before the controller wrote a status. */
  phase: string
  message: string
  /** The controller has seen the latest spec (status.observedGeneration = metadata.generation). */
  observed: boolean
  generation: number
  paused: boolean
  aborted: boolean
  /** The rollout runs its steps now (an update that is neither done nor aborted). */
  updating: boolean
  stepIndex: number | undefined
  stepCount: number
  steps: StepView[]
  /** The weight the steps ask for at the current step (undefined when no update runs). */
  setWeight: number | undefined
  weights: WeightView | undefined
  /** Traffic routers the Rollout configures (empty: no traffic routing). */
  routers: string[]
  routes: RouteView[]
  replicas: { desired: number; current: number; updated: number; ready: number; available: number }
  /** Newest revision first. */
  revisions: ReplicaSetView[]
  conditions: ConditionView[]
  canaryHash: string | undefined
  stableHash: string | undefined
  age: string
}

/** How an update ended, or undefined while it has not (or the controller has not seen the spec yet). */
export type Outcome = 'Healthy' | 'Degraded' | 'Aborted'

/**
 * The controller's word counts, not the request: an abort written by `sluice abort` is an outcome
 * once the controller has acted on it (phase Degraded), so the last line says what happened.
 */
export function outcomeOf(rollout: Rollout): Outcome | undefined {
  const status = rollout.status
  if (!status || status.observedGeneration !== String(rollout.metadata.generation ?? 0)) return undefined
  if (status.phase === 'Healthy') return 'Healthy'
  if (status.phase === 'Degraded') return status.abort ? 'Aborted' : 'Degraded'
  return undefined
}

export function viewRollout(rollout: Rollout, replicaSets: readonly KubeObject[], pods: readonly KubeObject[], now: Date): RolloutView {
  const status = rollout.status ?? {}
  const canary = rollout.spec?.strategy?.canary ?? {}
  const steps = canary.steps ?? []
  const maxWeight = canary.trafficRouting?.maxTrafficWeight ?? 100
  const generation = rollout.metadata.generation ?? 0
  const canaryHash = status.currentPodHash
  const stableHash = status.stableRS
  const aborted = status.abort === true
  const promoted = stableHash !== undefined && stableHash === canaryHash
  const updating = canaryHash !== undefined && !promoted && !aborted
  const index = status.currentStepIndex
  const routers = configuredRouters(rollout)

  const stepViews: StepView[] = steps.map((step, i) => ({
    index: i,
    text: describeStep(step),
    state: promoted ? 'done' : !updating || index === undefined ? 'pending' : i < index ? 'done' : i === index ? 'current' : 'pending',
  }))

  const owned = replicaSets.filter((rs) => isControlledBy(rs, { kind: 'Rollout', name: rollout.metadata.name ?? '', uid: rollout.metadata.uid ?? '' }))
  const revisions = owned
    .map((rs) => viewReplicaSet(rs, pods, { canaryHash, stableHash }, now))
    .sort((a, b) => b.revision - a.revision || a.name.localeCompare(b.name))

  const routes: RouteView[] = []
  if (updating && index !== undefined && index < steps.length) {
    const managed = managedRoutesAt(steps, index, (canary.trafficRouting?.managedRoutes ?? []).map((r) => r.name))
    for (const r of managed.headerRoutes) routes.push({ kind: 'header', name: r.name, match: r.match.map(describeHeaderMatch).join(' or ') })
    for (const r of managed.mirrorRoutes) routes.push({ kind: 'mirror', name: r.name, match: r.match.map(describeRouteMatch).join(' or '), percentage: r.percentage })
  }

  return {
    namespace: rollout.metadata.namespace ?? 'default',
    name: rollout.metadata.name ?? '',
    phase: status.phase ?? 'Unknown',
    message: status.message ?? '',
    observed: status.observedGeneration === String(generation),
    generation,
    paused: rollout.spec?.paused === true || (status.pauseConditions ?? []).length > 0,
    aborted,
    updating,
    stepIndex: index,
    stepCount: steps.length,
    steps: stepViews,
    setWeight: updating ? setWeightAt(steps, index, maxWeight) : undefined,
    weights: weightsOf(rollout, revisions, maxWeight, routers.length > 0),
    routers,
    routes,
    replicas: {
      desired: rollout.spec?.replicas ?? 1,
      current: status.replicas ?? 0,
      updated: status.updatedReplicas ?? 0,
      ready: status.readyReplicas ?? 0,
      available: status.availableReplicas ?? 0,
    },
    revisions,
    conditions: (status.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason ?? '', message: c.message ?? '' })),
    canaryHash,
    stableHash,
    age: age(rollout.metadata.creationTimestamp, now),
  }
}

function weightsOf(rollout: Rollout, revisions: readonly ReplicaSetView[], max: number, routed: boolean): WeightView | undefined {
  const recorded = rollout.status?.canary?.weights
  if (routed) {
    if (!recorded) return undefined
    const view: WeightView = { canary: recorded.canary.weight, stable: recorded.stable.weight, source: 'router', max }
    if (recorded.verified !== undefined) view.verified = recorded.verified
    return view
  }
  // No traffic routing: a Service over all pods splits by ready pods.
  const canaryReady = revisions.filter((r) => r.role === 'canary').reduce((n, r) => n + r.ready, 0)
  const stableReady = revisions.filter((r) => r.role === 'stable').reduce((n, r) => n + r.ready, 0)
  const total = canaryReady + stableReady
  if (total === 0) return undefined
  const canary = Math.round((100 * canaryReady) / total)
  return { canary, stable: 100 - canary, source: 'pods', max: 100 }
}

function viewReplicaSet(rs: KubeObject, pods: readonly KubeObject[], hashes: { canaryHash: string | undefined; stableHash: string | undefined }, now: Date): ReplicaSetView {
  const hash = rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] ?? ''
  const spec = (rs.spec ?? {}) as { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } }
  const status = (rs.status ?? {}) as { replicas?: number; readyReplicas?: number; availableReplicas?: number }
  const role: ReplicaSetRole = hash === hashes.stableHash ? 'stable' : hash === hashes.canaryHash ? 'canary' : 'old'
  const view: ReplicaSetView = {
    name: rs.metadata.name ?? '',
    hash,
    revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0),
    role,
    images: (spec.template?.spec?.containers ?? []).map((c) => c.image ?? '').filter((i) => i !== ''),
    desired: spec.replicas ?? 0,
    current: status.replicas ?? 0,
    ready: status.readyReplicas ?? 0,
    available: status.availableReplicas ?? 0,
    age: age(rs.metadata.creationTimestamp, now),
    pods: pods
      .filter((p) => p.metadata.ownerReferences?.some((o) => o.controller && o.uid === rs.metadata.uid))
      .map((p) => viewPod(p, now))
      .sort((a, b) => a.name.localeCompare(b.name)),
  }
  const deadline = rs.metadata.annotations?.[SCALE_DOWN_DEADLINE_ANNOTATION]
  if (deadline) view.scaleDownDeadline = deadline
  return view
}

interface PodStatus {
  phase?: string
  reason?: string
  containerStatuses?: { ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; terminated?: { reason?: string } } }[]
}

function viewPod(pod: KubeObject, now: Date): PodView {
  const status = (pod.status ?? {}) as PodStatus
  const containers = ((pod.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length
  const statuses = status.containerStatuses ?? []
  const waiting = statuses.map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason).find((r) => r !== undefined)
  return {
    name: pod.metadata.name ?? '',
    status: pod.metadata.deletionTimestamp ? 'Terminating' : (waiting ?? status.reason ?? status.phase ?? 'Unknown'),
    ready: `${statuses.filter((c) => c.ready).length}/${containers || statuses.length}`,
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    age: age(pod.metadata.creationTimestamp, now),
  }
}

function describeStringMatch(m: StringMatch): string {
  if (m.exact !== undefined) return `exact ${JSON.stringify(m.exact)}`
  if (m.prefix !== undefined) return `prefix ${JSON.stringify(m.prefix)}`
  if (m.regex !== undefined) return `regex ${JSON.stringify(m.regex)}`
  return 'any'
}

function describeHeaderMatch(m: HeaderRoutingMatch): string {
  return `${m.headerName} ${describeStringMatch(m.headerValue)}`
}

function describeRouteMatch(m: RouteMatch): string {
  const parts: string[] = []
  if (m.method) parts.push(`method ${describeStringMatch(m.method)}`)
  if (m.path) parts.push(`path ${describeStringMatch(m.path)}`)
  for (const [name, value] of Object.entries(m.headers ?? {})) parts.push(`${name} ${describeStringMatch(value)}`)
  return parts.join(' and ') || 'every request'
}

/** kubectl's short ages: 45s, 3m20s, 25m, 5h10m, 20h, 3d. */
export function age(timestamp: string | undefined, now: Date): string {
  if (!timestamp) return '-'
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(timestamp)) / 1000))
  if (Number.isNaN(seconds)) return '-'
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) return `${minutes}m${seconds % 60 ? `${seconds % 60}s` : ''}`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) return `${hours}h${minutes % 60 ? `${minutes % 60}m` : ''}`
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

/** `step 1/4` (`-` without steps, `4/4` once done), as the list and status lines show it. */
export function stepLabel(view: RolloutView): string {
  if (view.stepCount === 0) return '-'
  if (view.aborted) return `aborted`
  const index = view.stepIndex ?? view.stepCount
  return `${Math.min(index, view.stepCount)}/${view.stepCount}`
}

/** One line for `status`: `Paused - CanaryPauseStep (step 1/4, weight 25%, canary 1/1 ready)`. */
export function statusLine(view: RolloutView): string {
  if (!view.observed) return `Progressing - waiting for the controller to take generation ${view.generation}`
  const details: string[] = []
  if (view.stepCount > 0) details.push(`step ${stepLabel(view)}`)
  if (view.weights) details.push(`weight ${view.weights.canary}%${view.weights.source === 'pods' ? ' of pods' : ''}`)
  const canary = view.revisions.find((r) => r.role === 'canary')
  if (canary) details.push(`canary ${canary.ready}/${canary.desired} ready`)
  const stable = view.revisions.find((r) => r.role === 'stable')
  if (stable) details.push(`stable ${stable.ready}/${stable.desired} ready`)
  const head = view.message && view.message !== view.phase ? `${view.phase} - ${view.message}` : view.phase
  return details.length > 0 ? `${head} (${details.join(', ')})` : head
}
