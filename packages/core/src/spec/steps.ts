/**
 * Reading the step list: which step is current, which weight and canary scale are in effect, and
 * which managed header/mirror routes exist at a given step index (spec §2.1, §2.2).
 */
import type { HeaderRoute, MirrorRoute } from '../traffic/traffic-router.ts'
import type { CanaryStep, SetCanaryScale } from '../api/rollout.ts'
import { mirrorPercentage } from './defaults.ts'
import { kindedStep, unhandledStepKind } from './step-kinds.ts'

/** The step at `index`, or undefined when there are no steps or all are done. */
export function currentStep(steps: readonly CanaryStep[], index: number | undefined): CanaryStep | undefined {
  return index === undefined ? undefined : steps[index]
}

/**
 * The weight the steps ask for at `index`: that of the nearest `setWeight` at or before it, 0 when
 * there is none, `maxWeight` once every step is done.
 */
export function setWeightAt(steps: readonly CanaryStep[], index: number | undefined, maxWeight: number): number {
  if (index === undefined || index >= steps.length) return maxWeight
  for (let i = index; i >= 0; i--) {
    const weight = steps[i]?.setWeight
    if (weight !== undefined) return weight
  }
  return 0
}

/** The weight of the nearest `setWeight` strictly before `index` (0 if none): what the router keeps while a step's pods come up. */
export function setWeightBefore(steps: readonly CanaryStep[], index: number): number {
  for (let i = Math.min(index, steps.length) - 1; i >= 0; i--) {
    const weight = steps[i]?.setWeight
    if (weight !== undefined) return weight
  }
  return 0
}

/**
 * The `setCanaryScale` in effect at `index`, unless the nearest one says `matchTrafficWeight`. None
 * once every step is done: the canary then takes all the pods.
 */
export function canaryScaleAt(steps: readonly CanaryStep[], index: number | undefined): SetCanaryScale | undefined {
  if (index === undefined || index >= steps.length) return undefined
  for (let i = Math.min(index, steps.length - 1); i >= 0; i--) {
    const scale = steps[i]?.setCanaryScale
    if (scale) return scale.matchTrafficWeight ? undefined : scale
  }
  return undefined
}

/** A one-line description of a step for Events and tables: `setWeight: 20`, `pause: 30s`, `pause`. */
export function describeStep(step: CanaryStep | undefined): string {
  if (!step) return 'done'
  const kinded = kindedStep(step)
  switch (kinded?.kind) {
    case 'setWeight':
      return `setWeight: ${kinded.action}`
    case 'pause':
      return kinded.action.duration === undefined ? 'pause' : `pause: ${kinded.action.duration}`
    case 'setCanaryScale': {
      const s = kinded.action
      if (s.matchTrafficWeight) return 'setCanaryScale: matchTrafficWeight'
      return s.replicas !== undefined ? `setCanaryScale: ${s.replicas} replicas` : `setCanaryScale: weight ${s.weight}`
    }
    case 'setHeaderRoute':
      return `setHeaderRoute: ${kinded.action.name}${kinded.action.match ? '' : ' (remove)'}`
    case 'setMirrorRoute':
      return `setMirrorRoute: ${kinded.action.name}${kinded.action.match ? '' : ' (remove)'}`
    case undefined:
      return 'unknown step'
    default:
      return unhandledStepKind(kinded)
  }
}

/**
 * A step as Argo Rollouts names it in its RolloutStepCompleted Event; differs from `describeStep`
 * only for setCanaryScale and route removals.
 *   { setCanaryScale: { weight: 25 } } → "setCanaryScale{weight: 25}"
 *   { setHeaderRoute: { name: 'beta' } } → "setHeaderRoute: beta"
 */
export function argoStepString(step: CanaryStep): string {
  const s = step.setCanaryScale
  if (s) {
    if (s.weight !== undefined) return `setCanaryScale{weight: ${s.weight}}`
    if (s.matchTrafficWeight) return 'setCanaryScale{matchTrafficWeight: true}'
    return `setCanaryScale{replicas: ${s.replicas}}`
  }
  if (step.setHeaderRoute) return `setHeaderRoute: ${step.setHeaderRoute.name}`
  if (step.setMirrorRoute) return `setMirrorRoute: ${step.setMirrorRoute.name}`
  return describeStep(step)
}

export interface ManagedRoutes {
  headerRoutes: HeaderRoute[]
  mirrorRoutes: MirrorRoute[]
}

/**
 * The header and mirror routes that exist once the steps up to and including `index` have run: a
 * `setHeaderRoute`/`setMirrorRoute` with a match creates or replaces its route, one without a match
 * removes it. Ordered as `managedRoutes` lists them (their precedence).
 */
export function managedRoutesAt(steps: readonly CanaryStep[], index: number, managedRoutes: readonly string[]): ManagedRoutes {
  const headers = new Map<string, HeaderRoute>()
  const mirrors = new Map<string, MirrorRoute>()
  for (let i = 0; i <= Math.min(index, steps.length - 1); i++) {
    const step = steps[i]
    const header = step?.setHeaderRoute
    if (header) {
      if (header.match && header.match.length > 0) headers.set(header.name, { name: header.name, match: header.match })
      else headers.delete(header.name)
    }
    const mirror = step?.setMirrorRoute
    if (mirror) {
      if (mirror.match && mirror.match.length > 0) mirrors.set(mirror.name, { name: mirror.name, match: mirror.match, percentage: mirrorPercentage(mirror) })
      else mirrors.delete(mirror.name)
    }
  }
  const order = (name: string) => {
    const i = managedRoutes.indexOf(name)
    return i === -1 ? Number.MAX_SAFE_INTEGER : i
  }
  return {
    headerRoutes: [...headers.values()].sort((a, b) => order(a.name) - order(b.name)),
    mirrorRoutes: [...mirrors.values()].sort((a, b) => order(a.name) - order(b.name)),
  }
}
