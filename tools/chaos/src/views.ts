/**
 * From API objects to the small views of the timeline, and from a Rollout's mesh objects to the
 * traffic splits in effect. Written from the routers' documented object shapes (Argo Rollouts'
 * conventions), not from Sluice's adapters: the checker is an instrument and shares no code with what
 * it measures.
 */
import type {
  IngressView,
  MappingView,
  ObservedKind,
  PodView,
  ReplicaSetView,
  RolloutView,
  ServiceView,
  Split,
  TrafficRoutingView,
  TrafficSplitView,
  ViewOf,
  VirtualServiceView,
} from './timeline.ts'

export const POD_TEMPLATE_HASH = 'rollouts-pod-template-hash'

/** An API object, loosely typed: the converters read only what they need. */
export interface ApiObject {
  metadata?: {
    name?: string
    resourceVersion?: string
    generation?: number
    deletionTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[]
  }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {})
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : fallback)

export function rolloutView(o: ApiObject): RolloutView {
  const spec = obj(o.spec)
  const canary = obj(obj(spec.strategy).canary)
  const status = obj(o.status)
  const steps = Array.isArray(canary.steps) ? canary.steps.length : 0
  const index = typeof status.currentStepIndex === 'number' ? status.currentStepIndex : undefined
  const pause = (Array.isArray(status.pauseConditions) ? status.pauseConditions : []).map(obj).find((c) => c.reason === 'CanaryPauseStep')
  const weights = obj(obj(status.canary).weights)
  const view: RolloutView = {
    generation: o.metadata?.generation ?? 0,
    replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
    dynamicStableScale: canary.dynamicStableScale === true,
    maxWeight: num(obj(canary.trafficRouting).maxTrafficWeight, 100),
    steps,
    trafficRouting: trafficRoutingView(o.metadata?.name ?? '', canary),
    status: { abort: status.abort === true },
  }
  const canaryService = str(canary.canaryService)
  const stableService = str(canary.stableService)
  if (canaryService) view.canaryService = canaryService
  if (stableService) view.stableService = stableService
  const s = view.status
  if (str(status.phase)) s.phase = str(status.phase)
  if (index !== undefined) s.currentStepIndex = index
  if (str(status.currentPodHash)) s.currentPodHash = str(status.currentPodHash)
  if (str(status.stableRS)) s.stableRS = str(status.stableRS)
  if (pause && str(pause.startTime)) s.pauseStartTime = str(pause.startTime)
  if (weights.canary !== undefined) s.canaryWeight = num(obj(weights.canary).weight)
  if (str(status.message)) s.message = str(status.message)
  return view
}

function trafficRoutingView(rollout: string, canary: Obj): TrafficRoutingView {
  const tr = obj(canary.trafficRouting)
  if (tr.smi !== undefined) return { router: 'smi', trafficSplitName: str(obj(tr.smi).trafficSplitName) ?? rollout }
  if (tr.istio !== undefined) {
    const vs = obj(obj(tr.istio).virtualService)
    const name = (str(vs.name) ?? '').split('.')[0] ?? ''
    return { router: 'istio', virtualService: name, routes: Array.isArray(vs.routes) ? vs.routes.filter((r): r is string => typeof r === 'string') : [] }
  }
  if (tr.nginx !== undefined) {
    const nginx = obj(tr.nginx)
    const stable = str(nginx.stableIngress) ?? ''
    return { router: 'nginx', canaryIngress: `${rollout}-${stable}-canary`, annotationPrefix: str(nginx.annotationPrefix) ?? 'nginx.ingress.kubernetes.io' }
  }
  if (tr.alb !== undefined) {
    const alb = obj(tr.alb)
    return {
      router: 'alb',
      ingress: str(alb.ingress) ?? '',
      actionService: str(alb.rootService) ?? str(canary.stableService) ?? '',
      annotationPrefix: str(alb.annotationPrefix) ?? 'alb.ingress.kubernetes.io',
    }
  }
  if (tr.ambassador !== undefined) {
    const mappings = obj(tr.ambassador).mappings
    return { router: 'ambassador', mappings: Array.isArray(mappings) ? mappings.filter((m): m is string => typeof m === 'string') : [] }
  }
  return { router: 'none' }
}

export function replicaSetView(o: ApiObject): ReplicaSetView {
  const owner = o.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'Rollout')?.name ?? ''
  const status = obj(o.status)
  return {
    hash: o.metadata?.labels?.[POD_TEMPLATE_HASH] ?? '',
    owner,
    replicas: num(obj(o.spec).replicas, 1),
    readyReplicas: num(status.readyReplicas),
    availableReplicas: num(status.availableReplicas),
  }
}

export function podView(o: ApiObject): PodView {
  const conditions = Array.isArray(obj(o.status).conditions) ? (obj(o.status).conditions as unknown[]).map(obj) : []
  return {
    labels: { ...(o.metadata?.labels ?? {}) },
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    deleting: o.metadata?.deletionTimestamp !== undefined,
  }
}

export function serviceView(o: ApiObject): ServiceView {
  const selector = obj(obj(o.spec).selector)
  return { selector: Object.fromEntries(Object.entries(selector).filter((e): e is [string, string] => typeof e[1] === 'string')) }
}

export function trafficSplitView(o: ApiObject): TrafficSplitView {
  const backends = Array.isArray(obj(o.spec).backends) ? (obj(o.spec).backends as unknown[]).map(obj) : []
  return { backends: backends.map((b) => ({ service: str(b.service) ?? '', weight: num(b.weight) })) }
}

export function virtualServiceView(o: ApiObject): VirtualServiceView {
  const http = Array.isArray(obj(o.spec).http) ? (obj(o.spec).http as unknown[]).map(obj) : []
  return {
    http: http.map((route, i) => ({
      name: str(route.name) ?? `#${i}`,
      destinations: (Array.isArray(route.route) ? (route.route as unknown[]).map(obj) : []).map((d) => ({
        host: str(obj(d.destination).host) ?? '',
        weight: num(d.weight, 100),
      })),
    })),
  }
}

export function ingressView(o: ApiObject): IngressView {
  const annotations = Object.entries(o.metadata?.annotations ?? {}).filter(([k]) => /\/(canary|actions\.)/.test(k))
  return { annotations: Object.fromEntries(annotations) }
}

export function mappingView(o: ApiObject): MappingView {
  const spec = obj(o.spec)
  const view: MappingView = { service: str(spec.service) ?? '' }
  if (spec.weight !== undefined && spec.weight !== null) view.weight = num(spec.weight)
  return view
}

export const viewOf: { [K in ObservedKind]: (o: ApiObject) => ViewOf[K] } = {
  Rollout: rolloutView,
  ReplicaSet: replicaSetView,
  Pod: podView,
  Service: serviceView,
  TrafficSplit: trafficSplitView,
  VirtualService: virtualServiceView,
  Ingress: ingressView,
  Mapping: mappingView,
}

/** `web-canary.ns.svc.cluster.local:80`, `http://web-canary.ns:80` → `web-canary`. */
export function serviceNameOf(address: string): string {
  return address.replace(/^[a-z]+:\/\//, '').split(/[.:/]/)[0] ?? ''
}

/** The latest view of every mesh object, keyed `Kind/name`. */
export type MeshState = ReadonlyMap<string, ViewOf['TrafficSplit' | 'VirtualService' | 'Ingress' | 'Mapping']>

/**
 * The traffic splits a Rollout's router has in effect, read from its mesh objects; [] when the
 * objects are not there yet (nothing routed). Weights are in the Rollout's maxWeight scale.
 *   SMI        TrafficSplit backends
 *   Istio      each managed HTTP route of the VirtualService (all routes when none is named)
 *   NGINX      canary Ingress `canary-weight` of `canary-weight-total`; the rest to the stable
 *   ALB        the forward action annotation of the action Service on the Ingress
 *   Ambassador the `<mapping>-canary` Mapping's weight; the rest stays on the base Mapping (stable)
 */
export function splitsOf(rollout: RolloutView, mesh: MeshState): Split[] {
  const tr = rollout.trafficRouting
  const canary = rollout.canaryService ?? ''
  const stable = rollout.stableService ?? ''
  const pair = (source: string, canaryWeight: number, total: number): Split => ({
    source,
    backends: [
      { service: canary, weight: canaryWeight },
      { service: stable, weight: total - canaryWeight },
    ],
  })
  switch (tr.router) {
    case 'smi': {
      const split = mesh.get(`TrafficSplit/${tr.trafficSplitName}`) as TrafficSplitView | undefined
      return split ? [{ source: `TrafficSplit/${tr.trafficSplitName}`, backends: split.backends }] : []
    }
    case 'istio': {
      const vs = mesh.get(`VirtualService/${tr.virtualService}`) as VirtualServiceView | undefined
      if (!vs) return []
      const routes = vs.http.filter((r) => tr.routes.length === 0 || tr.routes.includes(r.name))
      return routes.map((r) => ({ source: `VirtualService/${tr.virtualService} route ${r.name}`, backends: r.destinations.map((d) => ({ service: serviceNameOf(d.host), weight: d.weight })) }))
    }
    case 'nginx': {
      const ingress = mesh.get(`Ingress/${tr.canaryIngress}`) as IngressView | undefined
      if (!ingress) return []
      const weight = num(ingress.annotations[`${tr.annotationPrefix}/canary-weight`])
      const total = num(ingress.annotations[`${tr.annotationPrefix}/canary-weight-total`], rollout.maxWeight)
      return [pair(`Ingress/${tr.canaryIngress}`, weight, total)]
    }
    case 'alb': {
      const ingress = mesh.get(`Ingress/${tr.ingress}`) as IngressView | undefined
      const text = ingress?.annotations[`${tr.annotationPrefix}/actions.${tr.actionService}`]
      if (!text) return []
      let action: Obj
      try {
        action = obj(JSON.parse(text))
      } catch {
        return []
      }
      const config = obj(action.ForwardConfig ?? action.forwardConfig)
      const groups = (Array.isArray(config.TargetGroups ?? config.targetGroups) ? ((config.TargetGroups ?? config.targetGroups) as unknown[]) : []).map(obj)
      return [{ source: `Ingress/${tr.ingress} actions.${tr.actionService}`, backends: groups.map((g) => ({ service: str(g.ServiceName ?? g.serviceName) ?? '', weight: num(g.Weight ?? g.weight) })) }]
    }
    case 'ambassador':
      return tr.mappings
        .filter((name) => mesh.has(`Mapping/${name}`))
        .map((name) => {
          const canaryMapping = mesh.get(`Mapping/${name}-canary`) as MappingView | undefined
          return pair(`Mapping/${name}(-canary)`, canaryMapping?.weight ?? 0, rollout.maxWeight)
        })
    case 'none':
      return []
  }
}
