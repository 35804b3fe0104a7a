/**
 * The scenario of a run, drawn from its seed: one Rollout per router (SMI, Istio, NGINX, ALB,
 * Ambassador), each with its replicas, steps, dynamicStableScale or not, and the user actions taken
 * during its update (abort, retry, promote of an indefinite pause, a new template or a new replica
 * count mid-step). The fault-free run and the faulted run play the same scenario; only the faults
 * differ. Also the manifests: the Services, the user's mesh objects and the Rollout of each router.
 */
import { Random } from './random.ts'

export const ROUTERS = ['smi', 'istio', 'nginx', 'alb', 'ambassador'] as const
export type Router = (typeof ROUTERS)[number]

export type Step = { setWeight: number } | { pause: { duration?: number } }

/** A user action, taken in order, each once the rollout's update (since the previous action) has reached `atStep`. */
export type UserAction =
  | { type: 'abort'; atStep: number }
  /** After the abort has settled (canary scaled down, weight 0). */
  | { type: 'retry' }
  /** At the indefinite pause of step `atStep`. */
  | { type: 'promote'; atStep: number }
  | { type: 'set-image'; atStep: number; image: string }
  | { type: 'scale'; atStep: number; replicas: number }

export interface RolloutScenario {
  name: string
  router: Router
  replicas: number
  dynamicStableScale: boolean
  steps: Step[]
  actions: UserAction[]
  /** How the update ends: promoted to the last template, or left aborted. */
  ending: 'promoted' | 'aborted'
}

export interface Scenario {
  seed: number
  rollouts: RolloutScenario[]
}

/** The scenario of `seed`; `prefix` makes the names unique where runs share a namespace. */
export interface ScenarioOptions {
  routers?: readonly Router[]
  /** Prepended to every rollout name. */
  prefix?: string
  /** Force dynamicStableScale on or off for every rollout (default: drawn, 40 % on). */
  dynamicStableScale?: boolean
  /**
   * Allow dynamicStableScale on a rollout whose scenario sends traffic back to the stable (an abort,
   * or a new template mid-update). Default false: that exposes a Sluice bug (tools/chaos/README.md),
   * so such a rollout is drawn without dynamicStableScale.
   */
  dynamicRollbacks?: boolean
}

export function scenarioFor(seed: number, options: ScenarioOptions = {}): Scenario {
  const random = new Random(seed).fork('scenario')
  const rollouts = (options.routers ?? ROUTERS).map((router): RolloutScenario => {
    const r = random.fork(router)
    const replicas = r.int(3, 5)
    const weights = [...new Set(Array.from({ length: r.int(2, 3) }, () => r.pick([10, 20, 25, 40, 50, 60, 75, 80])))].sort((a, b) => a - b)
    const steps: Step[] = []
    const indefinite = r.chance(0.3) ? r.int(0, weights.length - 1) : -1
    weights.forEach((weight, i) => {
      steps.push({ setWeight: weight })
      steps.push(i === indefinite ? { pause: {} } : { pause: { duration: r.int(2, 4) } })
    })
    const pauseIndex = steps.findIndex((s) => 'pause' in s && s.pause.duration === undefined)
    const plan = r.pick(['plain', 'abort-retry', 'abort', 'set-image', 'scale'] as const)
    const atStep = r.int(1, steps.length - 2)
    // The indefinite pause needs a promote each time the update reaches it: before the action when
    // it comes first, and again after an action that restarts the update (retry, a new template).
    const promote: UserAction[] = pauseIndex >= 0 ? [{ type: 'promote', atStep: pauseIndex }] : []
    const before = pauseIndex >= 0 && pauseIndex < atStep ? promote : []
    const actions: UserAction[] = []
    let ending: RolloutScenario['ending'] = 'promoted'
    switch (plan) {
      case 'plain':
        actions.push(...promote)
        break
      case 'abort-retry':
        actions.push(...before, { type: 'abort', atStep }, { type: 'retry' }, ...promote)
        break
      case 'abort':
        actions.push(...before, { type: 'abort', atStep })
        ending = 'aborted'
        break
      case 'set-image':
        actions.push(...before, { type: 'set-image', atStep, image: 'app:3' }, ...promote)
        break
      case 'scale':
        actions.push(...before, { type: 'scale', atStep, replicas: replicas + 1 }, ...(pauseIndex >= atStep ? promote : []))
        break
    }
    const drawnDynamic = r.chance(0.4)
    const rollsBack = plan === 'abort' || plan === 'abort-retry' || plan === 'set-image'
    return {
      name: `${options.prefix ?? ''}${router}`,
      router,
      replicas,
      dynamicStableScale: options.dynamicStableScale ?? (drawnDynamic && (!rollsBack || options.dynamicRollbacks === true)),
      steps,
      actions,
      ending,
    }
  })
  return { seed, rollouts }
}

/** The objects of one rollout, in creation order: Services, the user's mesh object, the Rollout. */
export function manifests(s: RolloutScenario, namespace: string): Record<string, unknown>[] {
  const meta = (name: string) => ({ name, namespace })
  const nodePort = s.router === 'alb'
  const service = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { ...(nodePort ? { type: 'NodePort' } : {}), selector: { app: s.name }, ports: [{ name: 'http', port: 80 }] },
  })
  const canaryService = `${s.name}-canary`
  const stableService = `${s.name}-stable`
  const objects: Record<string, unknown>[] = [service(stableService), service(canaryService)]
  let trafficRouting: Record<string, unknown>
  const ingress = (backendPort: Record<string, unknown>) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(s.name),
    spec: {
      ingressClassName: s.router,
      rules: [{ host: `${s.name}.example.com`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: stableService, port: backendPort } } }] } }],
    },
  })
  switch (s.router) {
    case 'smi':
      trafficRouting = { smi: { trafficSplitName: s.name } }
      break
    case 'istio':
      objects.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: meta(s.name),
        spec: {
          hosts: [`${s.name}.example.com`],
          http: [
            {
              name: 'primary',
              route: [
                { destination: { host: `${stableService}.${namespace}.svc.cluster.local`, port: { number: 80 } }, weight: 100 },
                { destination: { host: `${canaryService}.${namespace}.svc.cluster.local`, port: { number: 80 } }, weight: 0 },
              ],
            },
          ],
        },
      })
      trafficRouting = { istio: { virtualService: { name: s.name, routes: ['primary'] } } }
      break
    case 'nginx':
      objects.push(ingress({ name: 'http' }))
      trafficRouting = { nginx: { stableIngress: s.name } }
      break
    case 'alb':
      objects.push(ingress({ name: 'use-annotation' }))
      trafficRouting = { alb: { ingress: s.name, servicePort: 80 } }
      break
    case 'ambassador':
      objects.push({ apiVersion: 'getambassador.io/v2', kind: 'Mapping', metadata: meta(s.name), spec: { prefix: '/', host: `${s.name}.example.com`, service: `${stableService}.${namespace}:80` } })
      trafficRouting = { ambassador: { mappings: [s.name] } }
      break
  }
  const delays = s.dynamicStableScale ? {} : { scaleDownDelaySeconds: 2, abortScaleDownDelaySeconds: 2 }
  objects.push({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: meta(s.name),
    spec: {
      replicas: s.replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: { app: s.name } },
      template: { metadata: { labels: { app: s.name } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } },
      strategy: {
        canary: {
          canaryService,
          stableService,
          ...delays,
          ...(s.dynamicStableScale ? { dynamicStableScale: true } : {}),
          trafficRouting,
          steps: s.steps.map((step) => ('setWeight' in step ? step : { pause: step.pause.duration === undefined ? {} : { duration: `${step.pause.duration}s` } })),
        },
      },
    },
  })
  return objects
}

/** The collection path of a manifest's kind, for creating it. */
export function collectionPath(object: Record<string, unknown>): string {
  const apiVersion = String(object.apiVersion)
  const kind = String(object.kind)
  const namespace = String((object.metadata as { namespace?: string }).namespace)
  const plural: Record<string, string> = { Service: 'services', VirtualService: 'virtualservices', Ingress: 'ingresses', Mapping: 'mappings', Rollout: 'rollouts' }
  const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`
  return `${base}/namespaces/${namespace}/${plural[kind] ?? `${kind.toLowerCase()}s`}`
}

export function describeScenario(s: RolloutScenario): string {
  const steps = s.steps.map((step) => ('setWeight' in step ? `w${step.setWeight}` : step.pause.duration === undefined ? 'pause' : `p${step.pause.duration}s`)).join(',')
  const actions = s.actions.map((a) => ('atStep' in a ? `${a.type}@${a.atStep}` : a.type)).join(',')
  return `${s.name}: ${s.router} R=${s.replicas}${s.dynamicStableScale ? ' dynamic' : ''} [${steps}] ${actions || 'plain'} → ${s.ending}`
}
