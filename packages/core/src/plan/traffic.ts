// ---------------------------------------------------------------------------------------------------
// 5. Traffic (spec §5.1, §8.1)

import type { FieldError } from '../api/field-error.ts'
import type { Rollout, TrafficWeights } from '../api/rollout.ts'
import { isCanaryProgressMet, podsForWeight } from '../replicas/canary-replicas.ts'
import { managedRoutesAt, setWeightAt, setWeightBefore } from '../spec/steps.ts'
import { abortWeight } from '../traffic/abort-weight.ts'
import type { DesiredTraffic, HeaderRoute, MirrorRoute } from '../traffic/traffic-router.ts'
import { configuredRouters } from '../spec/configured-routers.ts'
import type { CanaryServiceFault, Pass } from './pass.ts'
import { isAborted, isFullyAvailable, isFullyPromoted, isHoldingPreviousCanary } from './pass.ts'
import { isAtStepReplicaCounts } from './scaling.ts'

interface TrafficDecision {
  canaryWeight: number
  canaryHash: string
  routes: { headerRoutes: HeaderRoute[]; mirrorRoutes: MirrorRoute[] }
}

function decideTraffic(pass: Pass): TrafficDecision {
  const { newRS, maxWeight, steps, status } = pass
  const none = { headerRoutes: [], mirrorRoutes: [] }
  if (isHoldingPreviousCanary(pass)) {
    const hash = pass.recorded?.canary.podTemplateHash ?? pass.currentHash
    const previous = pass.observed.replicaSets.find((rs) => rs.podTemplateHash === hash)
    // Never weight a canary with no ready pod, whatever else holds the weight (also during an abort:
    // availability gates must never block the way back to stable, Argo issue #4128).
    const weight = (previous?.availableReplicas ?? 0) > 0 ? (pass.recorded?.canary.weight ?? 0) : 0
    return { canaryWeight: weight, canaryHash: hash, routes: none }
  }
  if (isFullyPromoted(pass)) return { canaryWeight: 0, canaryHash: pass.currentHash, routes: none }
  if (isAborted(pass)) return { canaryWeight: abortCanaryWeight(pass), canaryHash: pass.currentHash, routes: none }
  if (newRS.availableReplicas === 0) return { canaryWeight: 0, canaryHash: pass.currentHash, routes: none }
  if (status.promoteFull) {
    // Move all traffic to the canary only once it has every pod; the stable Service switches after.
    const weight = pass.dynamic
      ? Math.min(maxWeight, Math.floor((maxWeight * newRS.availableReplicas) / pass.replicas))
      : newRS.availableReplicas >= pass.replicas
        ? maxWeight
        : Math.min(recordedCanaryWeight(pass), setWeightAt(steps, status.currentStepIndex ?? steps.length, maxWeight))
    return { canaryWeight: weight, canaryHash: pass.currentHash, routes: none }
  }
  const index = status.currentStepIndex ?? steps.length
  const reached = isAtStepReplicaCounts(pass)
  let weight: number
  if (!reached) {
    // Keep the previous step's weight while this step's pods come up; but never raise the weight
    // (say, back after the canary lost its pods) beyond what the available canary pods can carry.
    const previous = setWeightBefore(steps, index)
    const current = recordedCanaryWeight(pass)
    const carried = newRS.availableReplicas >= podsForWeight(previous, pass.replicas, maxWeight)
    weight = previous <= current || carried ? previous : current
  } else if (index < steps.length) weight = setWeightAt(steps, index, maxWeight)
  else weight = maxWeight // every step done (or no steps): all traffic to the canary before promotion
  const routes = managedRoutesAt(steps, index, managedRouteNames(pass))
  return { canaryWeight: weight, canaryHash: pass.currentHash, routes }
}

/** The canary weight the routers carry for *this* canary (weight recorded for other pods, e.g. before the hash moved, is not). */
function recordedCanaryWeight(pass: Pass): number {
  const recorded = pass.recorded
  return recorded && recorded.canary.podTemplateHash === pass.currentHash ? recorded.canary.weight : 0
}

function managedRouteNames(pass: Pass): string[] {
  return (pass.canary.trafficRouting?.managedRoutes ?? []).map((r) => r.name)
}

/** The canary's weight during an abort: none without an available canary pod, else as `abortWeight` decides. */
export function abortCanaryWeight(pass: Pass): number {
  if (pass.newRS.availableReplicas === 0) return 0
  return abortWeight({
    replicas: pass.replicas,
    maxWeight: pass.maxWeight,
    steps: pass.steps,
    dynamicStableScale: pass.dynamic,
    canaryAvailable: pass.newRS.availableReplicas,
    stableAvailable: pass.stableRS?.availableReplicas,
    recordedCanaryWeight: pass.recorded === undefined ? undefined : recordedCanaryWeight(pass),
  })
}

export function planTraffic(pass: Pass): void {
  const { stableRS, maxWeight, replicas } = pass
  const decision = decideTraffic(pass)
  let canaryWeight = Math.max(0, Math.min(maxWeight, decision.canaryWeight))
  let routes = decision.routes

  if (!stableRS) return
  const fault = canaryServiceFault(pass)
  if (fault) {
    // Whatever the step asks, nothing goes to a Service that is gone or has no ready endpoint: all
    // of it fails there. The stable capacity gate does not apply: an undersized stable (under
    // dynamicStableScale) serves some of that traffic, the missing canary none of it.
    pass.canaryFault = fault
    const heldRoutes = routes.headerRoutes.length + routes.mirrorRoutes.length
    if (canaryWeight > 0 || heldRoutes > 0) {
      const held = canaryWeight > 0 ? `canary weight ${canaryWeight} comes` : 'the managed routes come'
      pass.events.push({
        type: 'Warning',
        reason: 'CanaryServiceUnavailable',
        message: `Canary Service ${fault.service} ${fault.problem}: all traffic goes to the stable; ${held} back when the Service can take traffic again`,
      })
    }
    canaryWeight = 0
    routes = { headerRoutes: [], mirrorRoutes: [] }
  }

  // Stable capacity gate: the stable must have the pods for the traffic it is about to carry.
  const stableNeeds = Math.floor(((maxWeight - canaryWeight) * replicas) / maxWeight)
  if (!fault && stableRS.availableReplicas < stableNeeds && !stableProgressMet(pass, stableNeeds)) {
    pass.events.push({
      type: 'Normal',
      reason: 'TrafficHeld',
      message: `Holding traffic: the stable ReplicaSet ${stableRS.name} has ${stableRS.availableReplicas} available pods, ${stableNeeds} are needed for ${maxWeight - canaryWeight}/${maxWeight} of the traffic`,
    })
    return
  }
  // Routers that split by pod labels only (no Services): move a hash only onto a fully available ReplicaSet.
  if (!pass.canary.canaryService && !pass.canary.stableService) {
    const moving = [
      [decision.canaryHash, pass.recorded?.canary.podTemplateHash],
      [stableRS.podTemplateHash, pass.recorded?.stable.podTemplateHash],
    ] as const
    for (const [hash, before] of moving) {
      if (hash === before) continue
      const rs = pass.observed.replicaSets.find((r) => r.podTemplateHash === hash)
      if (rs && rs.replicas > 0 && !isFullyAvailable(rs) && !(isAborted(pass) && rs === pass.newRS)) return
    }
  }

  const desired: DesiredTraffic = {
    canary: { weight: canaryWeight, podTemplateHash: decision.canaryHash, ...(pass.canary.canaryService ? { serviceName: pass.canary.canaryService } : {}) },
    stable: { weight: maxWeight - canaryWeight, podTemplateHash: stableRS.podTemplateHash, ...(pass.canary.stableService ? { serviceName: pass.canary.stableService } : {}) },
    additional: [],
    maxWeight,
    headerRoutes: routes.headerRoutes,
    mirrorRoutes: routes.mirrorRoutes,
  }
  pass.actions.push({ type: 'setTraffic', desired })
  pass.trafficWritten = true

  const next: TrafficWeights = { canary: { ...desired.canary }, stable: { ...desired.stable } }
  const previous = pass.recorded
  const sameWeights =
    previous !== undefined &&
    previous.canary.weight === next.canary.weight &&
    previous.canary.podTemplateHash === next.canary.podTemplateHash &&
    previous.stable.weight === next.stable.weight &&
    previous.stable.podTemplateHash === next.stable.podTemplateHash
  if (hasVerifier(pass)) {
    const answer = pass.observed.weightVerification
    next.verified = sameWeights && answer !== undefined && answer.canaryWeight === next.canary.weight ? answer.verified : false
    if (!next.verified) pass.requeue.push(pass.options.verifyRetryMs)
    if (sameWeights && answer && !answer.verified) {
      // Once per distinct reason: the status message carries the current one (see computePhase).
      const message = verificationMessage(next.canary.weight, answer.reason)
      if (pass.prev.message !== message) pass.events.push({ type: 'Normal', reason: 'WeightNotVerified', message })
    }
    if (sameWeights && answer?.verified && previous?.verified !== true) {
      pass.events.push({ type: 'Normal', reason: 'WeightVerified', message: `Canary weight ${next.canary.weight} verified in the data plane` })
    }
  }
  if (!sameWeights && previous?.canary.weight !== next.canary.weight) {
    pass.events.push({
      type: 'Normal',
      reason: 'TrafficWeightUpdated',
      message: previous ? `Traffic weight updated from ${previous.canary.weight} to ${next.canary.weight}` : `Traffic weight updated to ${next.canary.weight}`,
    })
  }
  pass.weights = next
  pass.status.canary = { ...(pass.status.canary ?? {}), weights: next }
}

/**
 * The canary Service's fault, if it has one now: it is gone, or it exists and its EndpointSlices
 * list no ready endpoint (known only when the application observed them: `readyEndpoints`).
 */
function canaryServiceFault(pass: Pass): CanaryServiceFault | undefined {
  const name = pass.canary.canaryService
  if (!name) return undefined
  const service = pass.observed.services.find((s) => s.name === name)
  if (!service) return { service: name, problem: 'not found' }
  if (service.readyEndpoints === 0) return { service: name, problem: 'has no ready endpoints' }
  return undefined
}

/**
 * True when `error` is a missing canary Service that the traffic phase handles instead of
 * validation: with traffic routing, once the Rollout has a stable ReplicaSet (the routers were
 * written, and may send weight to that Service), a canary Service that disappears moves the traffic
 * to the stable at once and brings it back when the Service returns. Missing before the first
 * deploy, or without traffic routing, it stays an invalid spec (after the grace).
 */
export function isCanaryServiceFault(rollout: Rollout, error: FieldError): boolean {
  return (
    error.kind === 'not-found' &&
    error.path === 'spec.strategy.canary.canaryService' &&
    rollout.spec.strategy?.canary?.trafficRouting !== undefined &&
    Boolean(rollout.status?.stableRS)
  )
}

/** What the rollout waits for while a router has not confirmed its weight. */
export function verificationMessage(weight: number, reason: string | undefined): string {
  return `waiting for canary weight ${weight} to be in effect: ${reason ?? 'the data plane does not show it yet'}`
}

function hasVerifier(pass: Pass): boolean {
  return configuredRouters(pass.rollout).some((name) => pass.observed.routerCapabilities[name]?.weightVerification === true)
}

function stableProgressMet(pass: Pass, needed: number): boolean {
  const threshold = pass.canary.replicaProgressThreshold
  if (!threshold || !pass.stableRS) return false
  return isCanaryProgressMet(pass.stableRS.availableReplicas, needed, needed, threshold)
}
