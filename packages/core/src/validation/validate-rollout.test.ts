import { describe, expect, it } from 'vitest'
import type { Rollout } from '../api/rollout.ts'
import { configMapRouterCapabilities } from '../testing/config-map-router.ts'
import type { RouterCapabilities } from '../traffic/traffic-router.ts'
import { formatFieldError } from '../api/field-error.ts'
import { validateRollout } from './validate-rollout.ts'
import { configuredRouters, routerConfigOf, routerConfigPath } from '../spec/configured-routers.ts'

const noHeaders: RouterCapabilities = { headerRouting: false, mirroring: false, maxTrafficWeight: false, weightVerification: false, additionalDestinations: false }
const exactOnly: RouterCapabilities = { ...noHeaders, headerRouting: { matchTypes: ['exact'] } }
const routers = { istio: configMapRouterCapabilities, nginx: { ...configMapRouterCapabilities, headerRouting: { matchTypes: ['exact', 'regex'] as const, maxMatches: 1 } }, smi: noHeaders, alb: exactOnly }

function rollout(canary: Record<string, unknown>, spec: Record<string, unknown> = {}): Rollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
      strategy: { canary },
      ...spec,
    },
  } as Rollout
}

const tr = (extra: Record<string, unknown> = {}) => ({ canaryService: 'c', stableService: 's', trafficRouting: { istio: { virtualService: { name: 'vs' } }, ...extra } })
const problems = (r: Rollout) => validateRollout(r, { routers }).map(formatFieldError)

describe('validateRollout', () => {
  it('accepts a plain canary and a traffic-routed one', () => {
    expect(problems(rollout({ steps: [{ setWeight: 20 }, { pause: {} }] }))).toEqual([])
    expect(problems(rollout({ ...tr({ managedRoutes: [{ name: 'h' }] }), steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { regex: '^a' } }] } }] }))).toEqual([])
  })

  it.each([
    // canary strategy, spec overrides → one expected problem (the spec's §7 and §11.5 messages, with full paths)
    [{ steps: [{ setWeight: 120 }] }, {}, 'spec.strategy.canary.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100'],
    [{ steps: [{ pause: { duration: 'soon' } }] }, {}, 'spec.strategy.canary.steps[0].pause.duration: Invalid value: "soon": must be a whole number of seconds or a duration such as 30s, 5m or 1h'],
    [{ steps: [{}] }, {}, 'spec.strategy.canary.steps[0]: Invalid value: {}: Step must have one of the following set: setWeight, pause, setCanaryScale, setHeaderRoute or setMirrorRoute'],
    [{ steps: [{ setWeight: 10, pause: {} }] }, {}, 'spec.strategy.canary.steps[0]: Invalid value: {"setWeight":10,"pause":{}}: Step must set exactly one action, found setWeight and pause'],
    [{ canaryService: 'svc', stableService: 'svc' }, {}, 'spec.strategy.canary.stableService: Invalid value: "svc": This rollout uses the same service for the stable and canary services, but two different services are required.'],
    [{ maxSurge: 0, maxUnavailable: 0 }, {}, 'spec.strategy.canary.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero'],
    [{ maxSurge: '5' }, {}, 'spec.strategy.canary.maxSurge: Invalid value: "5": must be a non-negative integer or a percentage such as "25%" (a string without % is ambiguous)'],
    [{ scaleDownDelaySeconds: 10 }, {}, 'spec.strategy.canary.scaleDownDelaySeconds: Invalid value: 10: Canary scaleDownDelaySeconds can only be used with traffic routing'],
    [{ dynamicStableScale: true }, {}, 'spec.strategy.canary.dynamicStableScale: Invalid value: true: Canary dynamicStableScale can only be used with traffic routing'],
    [{ ...tr(), dynamicStableScale: true, scaleDownDelaySeconds: 5 }, {}, 'spec.strategy.canary.dynamicStableScale: Invalid value: true: Canary dynamicStableScale cannot be used with scaleDownDelaySeconds'],
    [{ steps: [{ setCanaryScale: { replicas: 1 } }] }, {}, 'spec.strategy.canary.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set'],
    [{ ...tr(), steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { exact: 'y' } }] } }] }, {}, "spec.strategy.canary.trafficRouting.managedRoutes: Required value: Rollout has missing field 'spec.strategy.canary.trafficRouting.managedRoutes'"],
    [{ ...tr({ managedRoutes: [{ name: 'a' }] }), steps: [{ setMirrorRoute: { name: 'b', match: [{ method: { exact: 'GET' } }] } }] }, {}, 'spec.strategy.canary.steps[0].setMirrorRoute.name: Invalid value: "b": Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes'],
    [{ ...tr({ managedRoutes: [{ name: 'h' }] }), steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { exact: 'a', prefix: 'b' } }] } }] }, {}, 'spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue: Invalid value: {"exact":"a","prefix":"b"}: StringMatch match value must have exactly one of the following: exact, regex, prefix'],
    [{ canaryService: 'c', stableService: 's', trafficRouting: { smi: {}, managedRoutes: [{ name: 'h' }] }, steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { exact: 'y' } }] } }] }, {}, 'spec.strategy.canary.steps[0].setHeaderRoute: Unsupported value: the smi traffic router does not support header routing'],
    [{ canaryService: 'c', stableService: 's', trafficRouting: { alb: { ingress: 'i', servicePort: 80 }, managedRoutes: [{ name: 'h' }] }, steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { prefix: 'y' } }] } }] }, {}, 'spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue.prefix: Unsupported value: the alb traffic router supports only exact header matches'],
    [{ canaryService: 'c', stableService: 's', trafficRouting: { nginx: { stableIngress: 'i' }, managedRoutes: [{ name: 'h' }] }, steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { exact: 'y' } }, { headerName: 'z', headerValue: { exact: 'y' } }] } }] }, {}, 'spec.strategy.canary.steps[0].setHeaderRoute.match: Unsupported value: 2: the nginx traffic router supports at most 1 header match(es) per route'],
    [{ canaryService: 'c', stableService: 's', trafficRouting: { smi: {}, maxTrafficWeight: 1000 } }, {}, 'spec.strategy.canary.trafficRouting.maxTrafficWeight: Invalid value: 1000: not supported by the smi traffic router (they split traffic in percent)'],
    [{ trafficRouting: { smi: {} } }, {}, 'spec.strategy.canary.stableService: Required value: Canary service and Stable service must be set to use traffic routing with smi'],
    // plugins, named as Argo Rollouts names them, must be loaded
    [{ trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': {} } }, canaryService: 'c', stableService: 's' }, {}, 'spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"]: Unsupported value: the traffic router plugin "argoproj-labs/gatewayAPI" is not loaded (loaded plugins: none)'],
    [{ trafficRouting: { plugins: { gatewayAPI: {} } }, canaryService: 'c', stableService: 's' }, {}, 'spec.strategy.canary.trafficRouting.plugins["gatewayAPI"]: Invalid value: "gatewayAPI": a traffic router plugin is named "org/name" (letters, digits, ".", "-" and "_" in each part)'],
    [{ trafficRouting: { plugins: ['argoproj-labs/gatewayAPI'] }, canaryService: 'c', stableService: 's' }, {}, 'spec.strategy.canary.trafficRouting.plugins: Invalid value: ["argoproj-labs/gatewayAPI"]: must be an object of plugin configurations by plugin name ("org/name": {...})'],
    [{ trafficRouting: { plugins: { 'example/mesh': {} } } }, {}, 'spec.strategy.canary.stableService: Required value: Canary service and Stable service must be set to use traffic routing with example/mesh'],
    [{ steps: [{ analysis: { templates: [] } }] }, {}, 'spec.strategy.canary.steps[0].analysis: Unsupported value: analysis steps are not supported by Sluice yet'],
    [{}, { workloadRef: { kind: 'Deployment', name: 'x' } }, 'spec.workloadRef: Unsupported value: workloadRef is not supported by Sluice yet'],
    [{ ...tr(), steps: [{ setCanaryScale: { replicas: 0 } }, { setWeight: 10 }] }, {}, 'spec.strategy.canary.steps[1].setWeight: Invalid value: 10: sends 10 of the traffic to a canary that setCanaryScale sizes to 0 pods; scale the canary up (or use setCanaryScale {matchTrafficWeight: true}) while its weight is above 0'],
    [{}, { progressDeadlineSeconds: 5, minReadySeconds: 10 }, 'spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds'],
    [{}, { selector: { matchLabels: { app: 'other' } } }, 'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`'],
    // wrong JSON types are reported by path instead of breaking the checks that follow
    [{ ...tr({ managedRoutes: 5 }) }, {}, 'spec.strategy.canary.trafficRouting.managedRoutes: Invalid value: 5: must be a list'],
    [{ canaryService: 'c', stableService: 's', trafficRouting: { smi: 5 } }, {}, 'spec.strategy.canary.trafficRouting.smi: Invalid value: 5: must be an object'],
    [{ canaryService: 'c', stableService: 's', trafficRouting: { ambassador: { mappings: 5 } } }, {}, 'spec.strategy.canary.trafficRouting.ambassador.mappings: Invalid value: 5: must be a list'],
    [{ steps: 'fast' }, {}, 'spec.strategy.canary.steps: Invalid value: "fast": must be a list'],
  ])('%j %j → %s', (canary, spec, expected) => {
    expect(problems(rollout(canary, spec))).toContain(expected)
  })

  it('rejects a strategy that is not an object, and blueGreen as not supported', () => {
    expect(problems({ ...rollout({}), spec: { ...rollout({}).spec, strategy: { canary: 5 as never } } })).toEqual(['spec.strategy.canary: Invalid value: 5: must be an object'])
    expect(problems({ ...rollout({}), spec: { ...rollout({}).spec, strategy: { blueGreen: {} } } })).toEqual([
      'spec.strategy.blueGreen: Unsupported value: the blueGreen strategy is not supported by Sluice yet; use spec.strategy.canary',
    ])
  })

  it('reports every problem, not only the first', () => {
    expect(problems(rollout({ steps: [{ setWeight: 120 }, { setWeight: -1 }] }))).toHaveLength(2)
  })

  it('names a router this build does not know', () => {
    expect(validateRollout(rollout({ canaryService: 'c', stableService: 's', trafficRouting: { ambassador: { mappings: ['m'] } } }), { routers }).map(formatFieldError)).toEqual([
      'spec.strategy.canary.trafficRouting.ambassador: Unsupported value: the ambassador traffic router is not available in this build of Sluice',
    ])
  })
})

describe('traffic router plugins', () => {
  const capabilities = { headerRouting: false as const, mirroring: false, maxTrafficWeight: false, weightVerification: false, additionalDestinations: false }
  const withPlugins = (plugins: Record<string, unknown>, extra: Record<string, unknown> = {}): Rollout =>
    ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
        strategy: { canary: { canaryService: 'c', stableService: 's', trafficRouting: { plugins, ...extra }, steps: [{ setWeight: 20 }] } },
      },
    }) as Rollout

  it('accepts a loaded plugin beside a built-in router, and checks steps against the plugin\'s capabilities', () => {
    const routers = { 'example/mesh': capabilities, smi: capabilities }
    expect(validateRollout(withPlugins({ 'example/mesh': { any: ['json'] } }, { smi: {} }), { routers }).map(formatFieldError)).toEqual([])
    expect(configuredRouters(withPlugins({ 'example/mesh': {} }, { smi: {} }))).toEqual(['smi', 'example/mesh'])
    const scaled = withPlugins({ 'example/mesh': {} }, { maxTrafficWeight: 1000 })
    expect(validateRollout(scaled, { routers }).map(formatFieldError)).toEqual([
      'spec.strategy.canary.trafficRouting.maxTrafficWeight: Invalid value: 1000: not supported by the example/mesh traffic router (they split traffic in percent)',
    ])
  })

  it('names the plugins that are loaded when one is not', () => {
    const routers = { 'example/mesh': capabilities, 'example/other': capabilities }
    expect(validateRollout(withPlugins({ 'example/missing': {} }), { routers }).map(formatFieldError)).toEqual([
      'spec.strategy.canary.trafficRouting.plugins["example/missing"]: Unsupported value: the traffic router plugin "example/missing" is not loaded (loaded plugins: example/mesh, example/other)',
    ])
  })

  it('gives each plugin block its own path', () => {
    expect(routerConfigPath('example/mesh')).toBe('spec.strategy.canary.trafficRouting.plugins["example/mesh"]')
    expect(routerConfigPath('istio')).toBe('spec.strategy.canary.trafficRouting.istio')
    expect(routerConfigOf(withPlugins({ 'example/mesh': { a: 1 } }), 'example/mesh')).toEqual({ a: 1 })
  })
})
