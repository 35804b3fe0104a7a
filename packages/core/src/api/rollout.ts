/**
 * The `argoproj.io/v1alpha1` Rollout, as far as Sluice reads and writes it: the canary strategy with
 * traffic routing for Istio, NGINX, AWS ALB, SMI and Ambassador. Field names and JSON shapes are the
 * Argo Rollouts ones, so existing manifests and tools work unchanged. Fields of features Sluice does
 * not implement (blueGreen, analysis, experiments, plugins, ...) are typed loosely so that validation
 * can name them and reject them, never ignore them.
 */
import type { KubeObject, ObjectMeta } from './kube-object.ts'

/** An int, or a percentage string such as `"25%"` (of `spec.replicas`). */
export type IntOrPercent = number | string

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
}

export interface PodTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown }
  spec?: {
    containers?: { name: string; image?: string; [field: string]: unknown }[]
    [field: string]: unknown
  }
}

/** A string match: exactly one of the three. */
export interface StringMatch {
  exact?: string
  prefix?: string
  regex?: string
}

export interface HeaderRoutingMatch {
  headerName: string
  headerValue: StringMatch
}

export interface SetHeaderRoute {
  name: string
  /** Omitted: the route is removed. Matches are ORed. */
  match?: HeaderRoutingMatch[]
}

export interface RouteMatch {
  method?: StringMatch
  path?: StringMatch
  headers?: Record<string, StringMatch>
}

export interface SetMirrorRoute {
  name: string
  /** Omitted: the route is removed. Conditions within one entry are ANDed, entries ORed. */
  match?: RouteMatch[]
  /** Share of matching requests mirrored to the canary, 0..100 (default 100). */
  percentage?: number
}

export interface SetCanaryScale {
  replicas?: number
  weight?: number
  matchTrafficWeight?: boolean
}

export interface RolloutPause {
  /** Seconds as an int, or a string: an integer (seconds) or a duration such as `30s`, `5m`, `1h`. Absent: pause until promoted. */
  duration?: number | string
}

export interface CanaryStep {
  setWeight?: number
  pause?: RolloutPause
  setCanaryScale?: SetCanaryScale
  setHeaderRoute?: SetHeaderRoute
  setMirrorRoute?: SetMirrorRoute
  /** Not supported by Sluice (rejected by validation). */
  analysis?: unknown
  /** Not supported by Sluice (rejected by validation). */
  experiment?: unknown
  /** Not supported by Sluice (rejected by validation). */
  plugin?: unknown
}

export interface IstioVirtualService {
  /** `name` or `name.namespace` (a trailing `.svc.cluster.local` style suffix is not allowed here). */
  name: string
  routes?: string[]
  tlsRoutes?: { port?: number; sniHosts?: string[] }[]
  tcpRoutes?: { port?: number }[]
}

export interface IstioTrafficRouting {
  virtualService?: IstioVirtualService
  virtualServices?: IstioVirtualService[]
  destinationRule?: {
    name: string
    canarySubsetName: string
    stableSubsetName: string
    additionalSubsetNames?: string[]
  }
}

export interface NginxTrafficRouting {
  stableIngress?: string
  stableIngresses?: string[]
  annotationPrefix?: string
  additionalIngressAnnotations?: Record<string, string>
  canaryIngressAnnotations?: Record<string, string>
}

export interface AlbTrafficRouting {
  ingress?: string
  ingresses?: string[]
  servicePort: number
  rootService?: string
  annotationPrefix?: string
  stickinessConfig?: { enabled: boolean; durationSeconds?: number }
}

export interface SmiTrafficRouting {
  rootService?: string
  trafficSplitName?: string
}

export interface AmbassadorTrafficRouting {
  mappings: string[]
}

export interface RolloutTrafficRouting {
  istio?: IstioTrafficRouting
  nginx?: NginxTrafficRouting
  alb?: AlbTrafficRouting
  smi?: SmiTrafficRouting
  ambassador?: AmbassadorTrafficRouting
  /** Ordered names of the header and mirror routes the controller may create; order = precedence. */
  managedRoutes?: { name: string }[]
  /** The weight scale (default 100). Honoured only by routers that declare `maxTrafficWeight`. */
  maxTrafficWeight?: number
  /** Not supported by Sluice (rejected by validation). */
  appMesh?: unknown
  traefik?: unknown
  apisix?: unknown
  /**
   * Traffic router plugins by name (`org/name`, Argo Rollouts' key format); each block is passed to
   * its plugin untouched. A plugin must be loaded by the controller (or the CLI) to be used.
   */
  plugins?: Record<string, unknown>
}

export interface CanaryStrategy {
  canaryService?: string
  stableService?: string
  steps?: CanaryStep[]
  trafficRouting?: RolloutTrafficRouting
  maxSurge?: IntOrPercent
  maxUnavailable?: IntOrPercent
  scaleDownDelaySeconds?: number
  scaleDownDelayRevisionLimit?: number
  abortScaleDownDelaySeconds?: number
  dynamicStableScale?: boolean
  minPodsPerReplicaSet?: number
  replicaProgressThreshold?: { type: 'Percent' | 'Pods'; value: number }
  canaryMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
  stableMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }
  /** Not supported by Sluice (rejected by validation). */
  analysis?: unknown
  antiAffinity?: unknown
  pingPong?: unknown
}

export interface RolloutSpec {
  replicas?: number
  selector?: LabelSelector
  template?: PodTemplateSpec
  minReadySeconds?: number
  revisionHistoryLimit?: number
  progressDeadlineSeconds?: number
  progressDeadlineAbort?: boolean
  paused?: boolean
  restartAt?: string
  strategy?: { canary?: CanaryStrategy; blueGreen?: unknown }
  /** Not supported by Sluice (rejected by validation). */
  workloadRef?: unknown
  rollbackWindow?: unknown
  analysis?: unknown
}

export type PauseReason = 'CanaryPauseStep' | 'InconclusiveAnalysisRun' | 'InconclusiveExperiment' | 'BlueGreenPause'

export interface PauseCondition {
  reason: PauseReason
  startTime: string
}

export interface WeightDestination {
  weight: number
  serviceName?: string
  podTemplateHash?: string
}

export interface TrafficWeights {
  canary: WeightDestination
  stable: WeightDestination
  additional?: WeightDestination[]
  /** Whether the data plane confirmed the weights; absent where no router verifies. */
  verified?: boolean
}

export type RolloutConditionType = 'Progressing' | 'Paused' | 'Available' | 'Healthy' | 'Completed' | 'InvalidSpec' | 'ReplicaFailure'

export interface RolloutCondition {
  type: RolloutConditionType
  status: 'True' | 'False' | 'Unknown'
  reason: string
  message: string
  lastTransitionTime: string
  lastUpdateTime: string
}

export type RolloutPhase = 'Healthy' | 'Progressing' | 'Paused' | 'Degraded'

export interface RolloutStatus {
  observedGeneration?: string
  currentPodHash?: string
  currentStepHash?: string
  currentStepIndex?: number
  stableRS?: string
  replicas?: number
  updatedReplicas?: number
  readyReplicas?: number
  availableReplicas?: number
  HPAReplicas?: number
  selector?: string
  collisionCount?: number
  pauseConditions?: PauseCondition[]
  controllerPause?: boolean
  abort?: boolean
  abortedAt?: string
  promoteFull?: boolean
  restartedAt?: string
  canary?: {
    weights?: TrafficWeights
    [field: string]: unknown
  }
  phase?: RolloutPhase
  message?: string
  conditions?: RolloutCondition[]
  [field: string]: unknown
}

export interface Rollout extends KubeObject {
  metadata: ObjectMeta
  spec: RolloutSpec
  status?: RolloutStatus
}

/** The traffic routers Sluice ships, in the order they are reconciled. */
export const TRAFFIC_ROUTER_NAMES = ['istio', 'nginx', 'alb', 'smi', 'ambassador'] as const

/** The traffic routers Sluice ships. */
export type TrafficRouterName = (typeof TRAFFIC_ROUTER_NAMES)[number]
