/**
 * Static validation of a Rollout (spec §7.1), plus the checks of what the configured traffic routers
 * can do. Every problem is reported (not only the first), each with its full field path and the
 * offending value. Features Sluice does not implement are rejected as "not supported", never ignored.
 */
import { parsePercent } from '../replicas/surge.ts'
import { parseDuration } from '../spec/duration.ts'
import { canaryScaleAt, setWeightAt } from '../spec/steps.ts'
import type { CanaryStep, IntOrPercent, Rollout, StringMatch } from '../api/rollout.ts'
import { ROLLOUT_API_VERSION, ROLLOUT_KIND } from '../api/labels.ts'
import { TRAFFIC_ROUTER_NAMES } from '../api/rollout.ts'
import { configuredRouters, isPluginName, pluginBlocks, pluginConfigPath, routerConfigPath } from '../spec/configured-routers.ts'
import type { RouterCapabilities, RouterCapabilityMap, StringMatchType } from '../traffic/traffic-router.ts'
import { fieldError } from '../api/field-error.ts'
import { checkShape, ROLLOUT_SHAPE } from './shape.ts'
import type { FieldError } from '../api/field-error.ts'

export interface ValidateOptions {
  /** Capabilities of each traffic router the application knows, by name. */
  routers: RouterCapabilityMap
}

const CANARY = 'spec.strategy.canary'
const TR = `${CANARY}.trafficRouting`
const NOT_SUPPORTED = 'is not supported by Sluice yet'
const STEP_KINDS = ['setWeight', 'pause', 'setCanaryScale', 'setHeaderRoute', 'setMirrorRoute', 'analysis', 'experiment', 'plugin'] as const


export function validateRollout(rollout: Rollout, options: ValidateOptions): FieldError[] {
  const errors: FieldError[] = []
  const add = (e: FieldError) => errors.push(e)

  if (rollout.apiVersion !== ROLLOUT_API_VERSION || rollout.kind !== ROLLOUT_KIND) {
    add(fieldError('invalid', 'apiVersion', `expected ${ROLLOUT_API_VERSION} ${ROLLOUT_KIND}`, `${rollout.apiVersion} ${rollout.kind}`))
  }
  if (!rollout.metadata?.name) add(fieldError('required', 'metadata.name', 'a Rollout needs a name'))
  const spec = rollout.spec
  if (!spec || typeof spec !== 'object') {
    add(fieldError('required', 'spec', 'a Rollout needs a spec'))
    return errors
  }
  const shapeErrors = checkShape(rollout, ROLLOUT_SHAPE)
  if (shapeErrors.length > 0) return [...errors, ...shapeErrors]

  for (const field of ['workloadRef', 'analysis', 'rollbackWindow'] as const) {
    if (spec[field] !== undefined) add(fieldError('not-supported', `spec.${field}`, `${field} ${NOT_SUPPORTED}`))
  }
  if (spec.replicas !== undefined && !isNonNegativeInt(spec.replicas)) {
    add(fieldError('invalid', 'spec.replicas', 'must be a non-negative integer', spec.replicas))
  }
  validateSelectorAndTemplate(rollout, add)
  validateTimes(rollout, add)

  const strategy = spec.strategy
  if (!strategy || (strategy.canary === undefined && strategy.blueGreen === undefined)) {
    add(fieldError('required', 'spec.strategy', "Rollout has missing field '.spec.strategy.canary'"))
    return errors
  }
  if (strategy.blueGreen !== undefined) {
    add(fieldError('not-supported', 'spec.strategy.blueGreen', `the blueGreen strategy ${NOT_SUPPORTED}; use spec.strategy.canary`))
  }
  if (strategy.canary === undefined) return errors
  validateCanary(rollout, options, add)
  return errors
}

function validateSelectorAndTemplate(rollout: Rollout, add: (e: FieldError) => void): void {
  const { selector, template } = rollout.spec
  if (!selector) {
    add(fieldError('required', 'spec.selector', "Rollout has missing field '.spec.selector'"))
  } else if (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0) {
    add(fieldError('invalid', 'spec.selector', 'empty selector is invalid for a Rollout', selector))
  }
  if (!template) {
    add(fieldError('required', 'spec.template', "Rollout has missing field '.spec.template'"))
    return
  }
  const containers = template.spec?.containers
  if (!Array.isArray(containers) || containers.length === 0) {
    add(fieldError('required', 'spec.template.spec.containers', 'a pod template needs at least one container'))
  } else {
    containers.forEach((c, i) => {
      if (!c || typeof c.name !== 'string' || c.name === '') add(fieldError('required', `spec.template.spec.containers[${i}].name`, 'a container needs a name'))
      if (!c || typeof c.image !== 'string' || c.image === '') add(fieldError('required', `spec.template.spec.containers[${i}].image`, 'a container needs an image'))
    })
  }
  const labels = template.metadata?.labels ?? {}
  if (selector && !selectorMatches(selector, labels)) {
    add(
      fieldError(
        'invalid',
        'spec.template.metadata.labels',
        '`selector` does not match template `labels`',
        labels,
      ),
    )
  }
}

/** True when `labels` satisfy the label selector (matchLabels and the set-based operators). */
export function selectorMatches(selector: NonNullable<Rollout['spec']['selector']>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key]
    switch (e.operator) {
      case 'In':
        if (value === undefined || !(e.values ?? []).includes(value)) return false
        break
      case 'NotIn':
        if (value !== undefined && (e.values ?? []).includes(value)) return false
        break
      case 'Exists':
        if (value === undefined) return false
        break
      case 'DoesNotExist':
        if (value !== undefined) return false
        break
      default:
        return false
    }
  }
  return true
}

function validateTimes(rollout: Rollout, add: (e: FieldError) => void): void {
  const spec = rollout.spec
  for (const field of ['minReadySeconds', 'progressDeadlineSeconds', 'revisionHistoryLimit'] as const) {
    const v = spec[field]
    if (v !== undefined && !isNonNegativeInt(v)) add(fieldError('invalid', `spec.${field}`, 'must be a non-negative integer', v))
  }
  const minReady = spec.minReadySeconds ?? 0
  const deadline = spec.progressDeadlineSeconds ?? 600
  if (isNonNegativeInt(minReady) && isNonNegativeInt(deadline) && deadline <= minReady) {
    add(fieldError('invalid', 'spec.progressDeadlineSeconds', 'must be greater than minReadySeconds', deadline))
  }
  if (spec.restartAt !== undefined && (typeof spec.restartAt !== 'string' || Number.isNaN(Date.parse(spec.restartAt)))) {
    add(fieldError('invalid', 'spec.restartAt', 'must be an RFC 3339 time', spec.restartAt))
  }
}

function validateCanary(rollout: Rollout, options: ValidateOptions, add: (e: FieldError) => void): void {
  const canary = rollout.spec.strategy?.canary ?? {}
  const tr = canary.trafficRouting
  const routers = configuredRouters(rollout)
  const maxWeight = tr?.maxTrafficWeight ?? 100

  for (const field of ['analysis', 'antiAffinity', 'pingPong', 'canaryMetadata', 'stableMetadata'] as const) {
    if (canary[field] !== undefined) add(fieldError('not-supported', `${CANARY}.${field}`, `${field} ${NOT_SUPPORTED}`))
  }

  const surge = validateIntOrPercent(canary.maxSurge, `${CANARY}.maxSurge`, add)
  const unavailable = validateIntOrPercent(canary.maxUnavailable, `${CANARY}.maxUnavailable`, add)
  if (surge === 0 && unavailable === 0) add(fieldError('invalid', `${CANARY}.maxSurge`, 'MaxSurge and MaxUnavailable both can not be zero', canary.maxSurge))

  if (canary.canaryService && canary.canaryService === canary.stableService) {
    add(
      fieldError(
        'invalid',
        `${CANARY}.stableService`,
        'This rollout uses the same service for the stable and canary services, but two different services are required.',
        canary.stableService,
      ),
    )
  }

  for (const field of ['scaleDownDelaySeconds', 'abortScaleDownDelaySeconds', 'scaleDownDelayRevisionLimit', 'minPodsPerReplicaSet'] as const) {
    const v = canary[field]
    if (v !== undefined && !isNonNegativeInt(v)) add(fieldError('invalid', `${CANARY}.${field}`, 'must be a non-negative integer', v))
  }
  if (!tr) {
    if (canary.scaleDownDelaySeconds !== undefined) add(fieldError('invalid', `${CANARY}.scaleDownDelaySeconds`, 'Canary scaleDownDelaySeconds can only be used with traffic routing', canary.scaleDownDelaySeconds))
    if (canary.abortScaleDownDelaySeconds !== undefined) add(fieldError('invalid', `${CANARY}.abortScaleDownDelaySeconds`, 'Canary abortScaleDownDelaySeconds can only be used with traffic routing', canary.abortScaleDownDelaySeconds))
    if (canary.dynamicStableScale) add(fieldError('invalid', `${CANARY}.dynamicStableScale`, 'Canary dynamicStableScale can only be used with traffic routing', true))
    if (canary.minPodsPerReplicaSet !== undefined) add(fieldError('invalid', `${CANARY}.minPodsPerReplicaSet`, 'Canary minPodsPerReplicaSet can only be used with traffic routing', canary.minPodsPerReplicaSet))
  }
  if (canary.dynamicStableScale && canary.scaleDownDelaySeconds !== undefined) {
    add(fieldError('invalid', `${CANARY}.dynamicStableScale`, 'Canary dynamicStableScale cannot be used with scaleDownDelaySeconds', true))
  }
  const threshold = canary.replicaProgressThreshold
  if (threshold !== undefined) {
    if (threshold.type !== 'Percent' && threshold.type !== 'Pods') add(fieldError('not-supported', `${CANARY}.replicaProgressThreshold.type`, 'must be Percent or Pods', threshold.type))
    if (typeof threshold.value !== 'number' || threshold.value < 0 || (threshold.type === 'Percent' && threshold.value > 100)) {
      add(fieldError('invalid', `${CANARY}.replicaProgressThreshold.value`, 'must be a number from 0 (100 for Percent)', threshold.value))
    }
  }

  if (tr) validateTrafficRouting(rollout, routers, options, add)
  const capabilities = routers.map((name) => [name, options.routers[name]] as const).filter((e): e is readonly [string, RouterCapabilities] => e[1] !== undefined)
  validateSteps(canary.steps, { hasTrafficRouting: tr !== undefined, routers: capabilities, maxWeight, managedRoutes: (tr?.managedRoutes ?? []).map((r) => r.name), hasManagedRoutes: tr?.managedRoutes !== undefined }, add)
}

function validateTrafficRouting(rollout: Rollout, routers: string[], options: ValidateOptions, add: (e: FieldError) => void): void {
  const canary = rollout.spec.strategy?.canary ?? {}
  const tr = canary.trafficRouting ?? {}
  for (const field of ['appMesh', 'traefik', 'apisix'] as const) {
    if (tr[field] !== undefined) add(fieldError('not-supported', `${TR}.${field}`, `the ${field} traffic router ${NOT_SUPPORTED}`))
  }
  validatePlugins(rollout, options, add)
  if (routers.length === 0 && ['appMesh', 'traefik', 'apisix', 'plugins'].every((f) => tr[f as keyof typeof tr] === undefined)) {
    add(fieldError('required', TR, `trafficRouting needs one of: ${TRAFFIC_ROUTER_NAMES.join(', ')}, or plugins`))
  }
  for (const name of routers) {
    if (!options.routers[name] && !isPluginName(name)) add(fieldError('not-supported', `${TR}.${name}`, `the ${name} traffic router is not available in this build of Sluice`))
  }
  const needsServices = routers.filter((name) => name !== 'istio' || tr.istio?.destinationRule === undefined)
  if (needsServices.length > 0 && (!canary.canaryService || !canary.stableService)) {
    const field = canary.stableService ? 'canaryService' : 'stableService'
    add(fieldError('required', `${CANARY}.${field}`, `Canary service and Stable service must be set to use traffic routing with ${needsServices.join(', ')}`))
  }
  if (tr.maxTrafficWeight !== undefined) {
    if (!Number.isInteger(tr.maxTrafficWeight) || tr.maxTrafficWeight < 1) {
      add(fieldError('invalid', `${TR}.maxTrafficWeight`, 'must be a positive integer', tr.maxTrafficWeight))
    }
    const unable = routers.filter((name) => options.routers[name] && !options.routers[name]?.maxTrafficWeight)
    if (unable.length > 0 && tr.maxTrafficWeight !== 100) {
      add(fieldError('invalid', `${TR}.maxTrafficWeight`, `not supported by the ${unable.join(', ')} traffic router (they split traffic in percent)`, tr.maxTrafficWeight))
    }
  }
  const seen = new Set<string>()
  ;(tr.managedRoutes ?? []).forEach((route, i) => {
    if (!route || typeof route.name !== 'string' || route.name === '') add(fieldError('required', `${TR}.managedRoutes[${i}].name`, 'a managed route needs a name'))
    else if (seen.has(route.name)) add(fieldError('invalid', `${TR}.managedRoutes[${i}].name`, 'managed route names must be unique', route.name))
    else seen.add(route.name)
  })
}

/**
 * `trafficRouting.plugins`: an object of configuration blocks by plugin name (`org/name`, as Argo
 * Rollouts names them), each naming a plugin this controller (or CLI) has loaded. The blocks
 * themselves are the plugin's to check.
 */
function validatePlugins(rollout: Rollout, options: ValidateOptions, add: (e: FieldError) => void): void {
  const plugins = rollout.spec.strategy?.canary?.trafficRouting?.plugins
  if (plugins === undefined) return
  const blocks = pluginBlocks(rollout)
  if (!blocks) {
    add(fieldError('invalid', `${TR}.plugins`, 'must be an object of plugin configurations by plugin name ("org/name": {...})', plugins))
    return
  }
  const loaded = Object.keys(options.routers).filter(isPluginName).sort()
  for (const name of Object.keys(blocks)) {
    if (!isPluginName(name)) {
      add(fieldError('invalid', pluginConfigPath(name), 'a traffic router plugin is named "org/name" (letters, digits, ".", "-" and "_" in each part)', name))
    } else if (!options.routers[name]) {
      add(fieldError('not-supported', routerConfigPath(name), `the traffic router plugin "${name}" is not loaded (loaded plugins: ${loaded.length > 0 ? loaded.join(', ') : 'none'})`))
    }
  }
}

interface StepContext {
  hasTrafficRouting: boolean
  routers: (readonly [string, RouterCapabilities])[]
  maxWeight: number
  managedRoutes: string[]
  hasManagedRoutes: boolean
}

function validateSteps(steps: CanaryStep[] | undefined, ctx: StepContext, add: (e: FieldError) => void): void {
  if (steps === undefined) return
  if (!Array.isArray(steps)) {
    add(fieldError('invalid', `${CANARY}.steps`, 'must be a list of steps', steps))
    return
  }
  steps.forEach((step, i) => {
    const path = `${CANARY}.steps[${i}]`
    const kinds = STEP_KINDS.filter((k) => step?.[k] !== undefined && step?.[k] !== null)
    if (kinds.length !== 1) {
      add(
        fieldError(
          'invalid',
          path,
          kinds.length === 0
            ? 'Step must have one of the following set: setWeight, pause, setCanaryScale, setHeaderRoute or setMirrorRoute'
            : `Step must set exactly one action, found ${kinds.join(' and ')}`,
          step,
        ),
      )
    }
    for (const kind of ['analysis', 'experiment', 'plugin'] as const) {
      if (step?.[kind] !== undefined) add(fieldError('not-supported', `${path}.${kind}`, `${kind} steps are not supported by Sluice yet`))
    }
    if (step?.setWeight !== undefined) {
      if (!Number.isInteger(step.setWeight) || step.setWeight < 0 || step.setWeight > ctx.maxWeight) {
        add(fieldError('invalid', `${path}.setWeight`, `SetWeight needs to be between 0 and ${ctx.maxWeight}`, step.setWeight))
      }
    }
    // A weight on a canary scaled to 0 pods would send traffic nowhere.
    const scale = canaryScaleAt(steps, i)
    const weight = setWeightAt(steps, i, ctx.maxWeight)
    if (weight > 0 && (scale?.replicas === 0 || scale?.weight === 0) && (step?.setWeight !== undefined || step?.setCanaryScale !== undefined)) {
      add(
        fieldError(
          'invalid',
          step.setWeight !== undefined ? `${path}.setWeight` : `${path}.setCanaryScale`,
          `sends ${weight} of the traffic to a canary that setCanaryScale sizes to 0 pods; scale the canary up (or use setCanaryScale {matchTrafficWeight: true}) while its weight is above 0`,
          step.setWeight ?? step.setCanaryScale,
        ),
      )
    }
    if (step?.pause !== undefined) {
      const d = step.pause?.duration
      if (d !== undefined && parseDuration(d) === undefined) {
        add(fieldError('invalid', `${path}.pause.duration`, 'must be a whole number of seconds or a duration such as 30s, 5m or 1h', d))
      }
    }
    if (step?.setCanaryScale !== undefined) validateCanaryScale(step.setCanaryScale, `${path}.setCanaryScale`, ctx, add)
    if (step?.setHeaderRoute !== undefined) validateHeaderRoute(step.setHeaderRoute, `${path}.setHeaderRoute`, ctx, add)
    if (step?.setMirrorRoute !== undefined) validateMirrorRoute(step.setMirrorRoute, `${path}.setMirrorRoute`, ctx, add)
  })
}

function validateCanaryScale(scale: NonNullable<CanaryStep['setCanaryScale']>, path: string, ctx: StepContext, add: (e: FieldError) => void): void {
  if (!ctx.hasTrafficRouting) add(fieldError('required', TR, 'SetCanaryScale requires TrafficRouting to be set'))
  const set = (['replicas', 'weight', 'matchTrafficWeight'] as const).filter((k) => scale?.[k] !== undefined)
  if (set.length !== 1) add(fieldError('invalid', path, 'setCanaryScale needs exactly one of replicas, weight or matchTrafficWeight', scale))
  if (scale?.replicas !== undefined && !isNonNegativeInt(scale.replicas)) add(fieldError('invalid', `${path}.replicas`, 'must be a non-negative integer', scale.replicas))
  if (scale?.weight !== undefined && (!Number.isInteger(scale.weight) || scale.weight < 0 || scale.weight > ctx.maxWeight)) {
    add(fieldError('invalid', `${path}.weight`, `must be between 0 and ${ctx.maxWeight}`, scale.weight))
  }
}

function validateManagedRouteName(name: unknown, path: string, ctx: StepContext, add: (e: FieldError) => void): void {
  if (typeof name !== 'string' || name === '') {
    add(fieldError('required', `${path}.name`, 'a route needs a name'))
  } else if (!ctx.hasManagedRoutes) {
    add(fieldError('required', `${TR}.managedRoutes`, "Rollout has missing field 'spec.strategy.canary.trafficRouting.managedRoutes'"))
  } else if (!ctx.managedRoutes.includes(name)) {
    add(fieldError('invalid', `${path}.name`, 'Steps define a route that does not exist in spec.strategy.canary.trafficRouting.managedRoutes', name))
  }
}

function validateHeaderRoute(route: NonNullable<CanaryStep['setHeaderRoute']>, path: string, ctx: StepContext, add: (e: FieldError) => void): void {
  if (!ctx.hasTrafficRouting) {
    add(fieldError('invalid', path, 'SetHeaderRoute requires traffic routing with a router that supports header routing'))
    return
  }
  validateManagedRouteName(route?.name, path, ctx, add)
  for (const [name, caps] of ctx.routers) {
    if (!caps.headerRouting) add(fieldError('not-supported', path, `the ${name} traffic router does not support header routing`))
  }
  const match = route?.match
  if (match === undefined) return
  if (!Array.isArray(match)) {
    add(fieldError('invalid', `${path}.match`, 'must be a list of header matches', match))
    return
  }
  for (const [name, caps] of ctx.routers) {
    const support = caps.headerRouting
    if (support && support.maxMatches !== undefined && match.length > support.maxMatches) {
      add(fieldError('not-supported', `${path}.match`, `the ${name} traffic router supports at most ${support.maxMatches} header match(es) per route`, match.length))
    }
  }
  match.forEach((m, j) => {
    const p = `${path}.match[${j}]`
    if (!m || typeof m.headerName !== 'string' || m.headerName === '') add(fieldError('required', `${p}.headerName`, 'a header match needs a header name'))
    const type = validateStringMatch(m?.headerValue, `${p}.headerValue`, add)
    if (!type) return
    for (const [name, caps] of ctx.routers) {
      const support = caps.headerRouting
      if (support && !support.matchTypes.includes(type)) {
        add(fieldError('not-supported', `${p}.headerValue.${type}`, `the ${name} traffic router supports only ${support.matchTypes.join(', ')} header matches`))
      }
    }
  })
}

function validateMirrorRoute(route: NonNullable<CanaryStep['setMirrorRoute']>, path: string, ctx: StepContext, add: (e: FieldError) => void): void {
  if (!ctx.hasTrafficRouting) {
    add(fieldError('invalid', path, 'SetMirrorRoute requires traffic routing with a router that supports mirroring'))
    return
  }
  validateManagedRouteName(route?.name, path, ctx, add)
  for (const [name, caps] of ctx.routers) {
    if (!caps.mirroring) add(fieldError('not-supported', path, `the ${name} traffic router does not support mirroring`))
  }
  if (route?.percentage !== undefined && (typeof route.percentage !== 'number' || route.percentage < 0 || route.percentage > 100)) {
    add(fieldError('invalid', `${path}.percentage`, 'must be between 0 and 100', route.percentage))
  }
  const match = route?.match
  if (match === undefined) return
  if (!Array.isArray(match)) {
    add(fieldError('invalid', `${path}.match`, 'must be a list of matches', match))
    return
  }
  match.forEach((m, j) => {
    const p = `${path}.match[${j}]`
    if (m?.method !== undefined) validateStringMatch(m.method, `${p}.method`, add)
    if (m?.path !== undefined) validateStringMatch(m.path, `${p}.path`, add)
    for (const [header, value] of Object.entries(m?.headers ?? {})) validateStringMatch(value, `${p}.headers.${header}`, add)
    if (m?.method === undefined && m?.path === undefined && Object.keys(m?.headers ?? {}).length === 0) {
      add(fieldError('required', p, 'a mirror match needs a method, a path or headers'))
    }
  })
}

/** Checks that exactly one of exact/prefix/regex is set; returns which. */
function validateStringMatch(value: StringMatch | undefined, path: string, add: (e: FieldError) => void): StringMatchType | undefined {
  const set = (['exact', 'prefix', 'regex'] as const).filter((k) => value?.[k] !== undefined)
  if (set.length === 0) {
    add(fieldError('required', path, 'StringMatch value missed, match value must have one of the following: exact, regex, prefix'))
    return undefined
  }
  if (set.length > 1) {
    add(fieldError('invalid', path, 'StringMatch match value must have exactly one of the following: exact, regex, prefix', value))
    return undefined
  }
  const type = set[0] as StringMatchType
  if (type === 'regex') {
    try {
      new RegExp(value?.regex ?? '')
    } catch (error) {
      add(fieldError('invalid', `${path}.regex`, `not a valid regular expression: ${(error as Error).message}`, value?.regex))
    }
  }
  return type
}

function validateIntOrPercent(value: IntOrPercent | undefined, path: string, add: (e: FieldError) => void): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') {
    if (!isNonNegativeInt(value)) add(fieldError('invalid', path, 'must be a non-negative integer or a percentage such as "25%"', value))
    return value
  }
  const percent = typeof value === 'string' ? parsePercent(value) : undefined
  if (percent === undefined) {
    add(fieldError('invalid', path, 'must be a non-negative integer or a percentage such as "25%" (a string without % is ambiguous)', value))
  }
  return percent
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0
}
