/**
 * Traces of one Rollout under one controller, from watches: the latest version of every watched
 * object in the namespace, and at each step boundary a normalised state (hash values replaced by
 * revisions and roles, so the two controllers' states compare field by field).
 */
import type { KubeObject } from '@sluice/core'
import type { Env } from '../e2e/harness.ts'

export interface WatchedKind {
  apiVersion: string
  kind: string
}

export const baseKinds: WatchedKind[] = [
  { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  { apiVersion: 'v1', kind: 'Service' },
]

/** A flat normalised state: `field path → value`, e.g. `status.phase → "Paused"`. */
export type State = Record<string, unknown>

export interface Boundary {
  /** The step that led here, e.g. `promote` or `set image web:2`. */
  step: string
  state: State
}

export interface Side {
  readonly controller: 'argo' | 'sluice'
  readonly env: Env
  readonly objects: Map<string, KubeObject>
  /** Date.now() of the last watch event. */
  lastEventAt: number
  readonly trace: Boundary[]
  stop(): void
}

/** The User-Agent, and so the field manager, of the suite's own writes. */
export const userAgent = 'sluice-differential'

const keyOf = (o: KubeObject) => `${o.kind}/${o.metadata.name}`

/** Starts watches of `kinds` in the side's namespace; resolves once each watch is open. */
export async function watchSide(controller: 'argo' | 'sluice', env: Env, kinds: WatchedKind[]): Promise<Side> {
  const objects = new Map<string, KubeObject>()
  const handles: { abort(): void }[] = []
  const side: Side = {
    controller,
    env,
    objects,
    lastEventAt: Date.now(),
    trace: [],
    stop: () => handles.forEach((h) => h.abort()),
  }
  for (const { apiVersion, kind } of kinds) {
    const handle = await env.api.watch<KubeObject>({ apiVersion, kind, namespace: env.namespace }, { allowWatchBookmarks: false, timeoutSeconds: 900 }, (event) => {
      if (event.type === 'BOOKMARK') return
      const object = { ...event.object, kind }
      side.lastEventAt = Date.now()
      if (event.type === 'DELETED') objects.delete(keyOf(object))
      else objects.set(keyOf(object), object)
    })
    handles.push(handle)
  }
  return side
}

interface RolloutStatusView {
  phase?: string
  message?: string
  conditions?: { type: string; status: string; reason?: string }[]
  currentStepIndex?: number
  pauseConditions?: { reason: string }[]
  abort?: boolean
  stableRS?: string
  currentPodHash?: string
  restartedAt?: string
  canary?: { weights?: { canary?: { weight?: number; podTemplateHash?: string }; stable?: { weight?: number; podTemplateHash?: string } } }
}

const hashLabel = 'rollouts-pod-template-hash'

/**
 * The normalised state of rollout `name`: status fields tools read, ReplicaSet replicas by
 * revision, Service selectors and mesh objects' specs, every pod-template-hash value written as
 * `rev<N>` (its ReplicaSet's revision). Roles: `status.stableRS`/`currentPodHash` become the
 * revision they name.
 */
export function normalise(side: Side, name: string, meshKinds: string[]): State {
  const all = [...side.objects.values()]
  const rollout = side.objects.get(`Rollout/${name}`)
  const revisionOf = new Map<string, string>()
  const replicaSets = all.filter((o) => o.kind === 'ReplicaSet')
  for (const rs of replicaSets) {
    const hash = rs.metadata.labels?.[hashLabel]
    const revision = rs.metadata.annotations?.['rollout.argoproj.io/revision']
    if (hash) revisionOf.set(hash, revision ? `rev${revision}` : `rev?(${rs.metadata.name})`)
  }
  const role = (hash: string | undefined) => (hash === undefined ? undefined : (revisionOf.get(hash) ?? 'unknown-hash'))
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') {
      let out = value
      for (const [hash, rev] of revisionOf) out = out.split(hash).join(rev)
      return out.split(side.env.namespace).join('<namespace>')
    }
    if (Array.isArray(value)) return value.map(scrub)
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]))
    return value
  }
  const state: State = {}
  const status = (rollout?.status ?? {}) as RolloutStatusView
  state['status.phase'] = status.phase
  state['status.message'] = scrub(status.message ?? '')
  for (const c of status.conditions ?? []) state[`status.conditions.${c.type}`] = `${c.status} ${c.reason ?? ''}`.trim()
  state['status.currentStepIndex'] = status.currentStepIndex
  state['status.pauseConditions'] = (status.pauseConditions ?? []).map((p) => p.reason)
  state['status.abort'] = status.abort ?? false
  state['status.stableRS'] = role(status.stableRS)
  state['status.currentPodHash'] = role(status.currentPodHash)
  state['status.restartedAt'] = status.restartedAt ? 'set' : undefined
  const weights = status.canary?.weights
  state['status.canary.weights'] = weights
    ? `canary ${weights.canary?.weight ?? 0} ${role(weights.canary?.podTemplateHash) ?? '-'}, stable ${weights.stable?.weight ?? 0} ${role(weights.stable?.podTemplateHash) ?? '-'}`
    : undefined
  for (const rs of replicaSets) {
    const hash = rs.metadata.labels?.[hashLabel]
    if (!rs.metadata.ownerReferences?.some((o) => o.uid === rollout?.metadata.uid)) continue
    state[`ReplicaSet/${role(hash)}.replicas`] = (rs.spec as { replicas?: number }).replicas ?? 0
  }
  for (const svc of all.filter((o) => o.kind === 'Service')) {
    const selector = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector ?? {}
    state[`Service/${svc.metadata.name}.selector`] = role(selector[hashLabel]) ?? 'none'
  }
  for (const object of all.filter((o) => meshKinds.includes(o.kind))) {
    const annotations = Object.fromEntries(Object.entries(object.metadata.annotations ?? {}).filter(([k]) => !k.startsWith('kubectl.kubernetes.io/')))
    const { http, ...rest } = (object.spec ?? {}) as { http?: { name?: string }[] }
    state[`${keyOf(object)}.spec`] = scrub(rest)
    // A VirtualService's HTTP routes one field each, so an allowed difference names the route.
    if (Array.isArray(http)) http.forEach((route, i) => (state[`${keyOf(object)}.spec.http[${route.name ?? i}]`] = scrub({ position: i, ...route })))
    // The API versions the controller wrote the object in (managedFields; the watch shows one version).
    const fields = (object.metadata.managedFields ?? []) as { manager?: string; apiVersion?: string }[]
    const writtenAs = [...new Set(fields.filter((f) => f.manager !== userAgent).map((f) => String(f.apiVersion)))].sort()
    if (writtenAs.length > 0) state[`${keyOf(object)}.writtenAs`] = writtenAs
    if (Object.keys(annotations).length > 0) state[`${keyOf(object)}.annotations`] = scrub(annotations)
  }
  return state
}

export const restPhases = new Set(['Healthy', 'Paused', 'Degraded'])

/**
 * Waits until the rollout rests: a phase in `restPhases`, a state other than `before` (unless
 * `expectChange` is false), and no watch event for `quietMs`. A timed pause shorter than `quietMs`
 * is therefore passed through, an indefinite one is a rest.
 */
export async function settle(side: Side, name: string, meshKinds: string[], before: State | undefined, options: { quietMs?: number; timeoutMs?: number; expectChange?: boolean } = {}): Promise<State> {
  const quietMs = options.quietMs ?? 2_500
  const deadline = Date.now() + (options.timeoutMs ?? 100_000)
  const beforeText = JSON.stringify(before)
  let state = normalise(side, name, meshKinds)
  for (;;) {
    state = normalise(side, name, meshKinds)
    const changed = options.expectChange === false || JSON.stringify(state) !== beforeText
    if (changed && restPhases.has(String(state['status.phase'])) && Date.now() - side.lastEventAt >= quietMs && hasSeenSpec(side, name)) return state
    if (Date.now() > deadline) throw new Error(`${side.controller}: rollout ${side.env.namespace}/${name} did not rest within ${options.timeoutMs ?? 100_000} ms; last state:\n${JSON.stringify(state, null, 2)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * True when the controller's status answers the Rollout's current spec (`status.observedGeneration`
 * is its `metadata.generation`, as both controllers write it). A quiet spell alone is not enough: a
 * command that changes only the spec (`pause`) is followed by silence until the controller reacts,
 * and a controller slower than the quiet spell (Argo under load) would be recorded before it did.
 */
function hasSeenSpec(side: Side, name: string): boolean {
  const rollout = side.objects.get(`Rollout/${name}`)
  const generation = rollout?.metadata.generation
  if (generation === undefined) return true
  return String((rollout?.status as { observedGeneration?: unknown } | undefined)?.observedGeneration) === String(generation)
}

export interface AllowedDifference {
  id: string
  /** Scenario names, or `*` for every scenario. */
  scenarios: string[]
  /** Field paths of `normalise`; an entry ending in `*` is a prefix. */
  fields: string[]
  /** Heading in docs/argo-rollouts-differences.md. */
  doc: string
  /** Set while another change is fixing it: drop the entry once that lands. */
  pendingFix?: string
}

const matches = (field: string, pattern: string) => (pattern.endsWith('*') ? field.startsWith(pattern.slice(0, -1)) : field === pattern)

/** The allowed fields for one scenario. */
export function allowedFields(allowed: AllowedDifference[], scenario: string): string[] {
  return allowed.filter((a) => a.scenarios.includes('*') || a.scenarios.includes(scenario)).flatMap((a) => a.fields)
}

/** The trace with allowed fields removed and consecutive equal states merged. */
export function comparable(trace: Boundary[], fields: string[]): Boundary[] {
  const projected = trace.map((b) => ({ step: b.step, state: Object.fromEntries(Object.entries(b.state).filter(([k]) => !fields.some((f) => matches(k, f)))) }))
  return projected.filter((b, i) => i === 0 || JSON.stringify(b.state) !== JSON.stringify(projected[i - 1]?.state))
}

/** Fields whose values differ between two states (union of keys). */
export function differingFields(a: State, b: State): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
}

const show = (v: unknown) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v))

/**
 * Both traces, boundary by boundary: phase and step for orientation, then each field that differs
 * (`≠`), or every field with `all`.
 */
export function sideBySide(argo: Boundary[], sluice: Boundary[], options: { all?: boolean } = {}): string {
  const lines: string[] = []
  for (let i = 0; i < Math.max(argo.length, sluice.length); i++) {
    const a = argo[i]
    const s = sluice[i]
    const where = (b: Boundary | undefined) => (b ? `after "${b.step}": ${show(b.state['status.phase'])} step ${show(b.state['status.currentStepIndex'])}` : '(no such boundary)')
    lines.push(`── boundary ${i}\n   argo   ${where(a)}\n   sluice ${where(s)}`)
    const keys = [...new Set([...Object.keys(a?.state ?? {}), ...Object.keys(s?.state ?? {})])].sort()
    for (const k of keys) {
      const av = show(a?.state[k])
      const sv = show(s?.state[k])
      if (av !== sv) lines.push(`≠ ${k}\n      argo:   ${av}\n      sluice: ${sv}`)
      else if (options.all) lines.push(`  ${k}: ${av}`)
    }
  }
  return lines.join('\n')
}

/** An example bundle made quick: at most 4 replicas, every timed pause 1 s. */
export function quick(yaml: string): string {
  return yaml
    .replace(/^( {2}replicas:) (\d+)/m, (_, key: string, n: string) => `${key} ${Math.min(Number(n), 4)}`)
    .replace(/pause: *\{ *duration: *[^}]+\}/g, 'pause: { duration: 1 }')
}

/**
 * The bundle without its setHeaderRoute steps and managedRoutes: for nginx.yaml, whose header route
 * Argo Rollouts v1.10.2 rejects for NGINX (see docs/argo-rollouts-differences.md); the rest of the
 * example is still compared.
 */
export function withoutHeaderRoutes(yaml: string): string {
  return yaml
    .replace(/^( +)- setHeaderRoute:\n(?:\1 +.*\n)+/gm, '')
    .replace(/^( +)managedRoutes:.*\n(?:\1 +.*\n)+/gm, '')
}
