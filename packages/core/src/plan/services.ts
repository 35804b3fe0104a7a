// ---------------------------------------------------------------------------------------------------
// 4. Services (spec §4.2): the target of each Service is decided once per pass.

import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from '../api/labels.ts'
import type { ObservedReplicaSet } from './observed.ts'
import type { Pass } from './pass.ts'
import { isAborted, isFullyAvailable, isHoldingPreviousCanary } from './pass.ts'
import { abortCanaryWeight } from './traffic.ts'

export function planServices(pass: Pass): void {
  const { canary } = pass
  if (canary.stableService && pass.stableRS) switchService(pass, canary.stableService, pass.stableRS, true)
  if (!canary.canaryService) return
  const target = canaryServiceTarget(pass)
  if (target) switchService(pass, canary.canaryService, target.rs, target.checkAvailability)
}

function canaryServiceTarget(pass: Pass): { rs: ObservedReplicaSet; checkAvailability: boolean } | undefined {
  if (isAborted(pass)) {
    if (!pass.stableRS) return undefined
    if (!pass.trafficRouted) return { rs: pass.stableRS, checkAvailability: true }
    // With traffic routing the canary Service goes back to stable pods without waiting for their
    // availability (readiness gates on stable pods must not block the way back), except that with
    // dynamicStableScale the stable may still be undersized: it waits until the abort leaves no weight
    // on the canary, as Argo Rollouts does. Before, Sluice never switched it back in that case.
    if (pass.dynamic && abortCanaryWeight(pass) > 0) return undefined
    return { rs: pass.stableRS, checkAvailability: false }
  }
  if (isHoldingPreviousCanary(pass)) return undefined
  return { rs: pass.newRS, checkAvailability: true }
}

function switchService(pass: Pass, name: string, rs: ObservedReplicaSet, checkAvailability: boolean): void {
  const service = pass.observed.services.find((s) => s.name === name)
  if (!service) return
  const current = service.selector[POD_TEMPLATE_HASH_LABEL]
  const managed = service.annotations[MANAGED_BY_ANNOTATION] === pass.rollout.metadata.name
  if (current === rs.podTemplateHash && managed) return
  if (pass.actions.some((a) => a.type === 'switchService' && a.service === name)) return
  if (checkAvailability) {
    if (rs.availableReplicas === 0) return // never point a Service at a ReplicaSet with no ready pod
    if (!managed && current !== rs.podTemplateHash && !isFullyAvailable(rs)) return // adopting: wait for the whole set
  }
  pass.actions.push({ type: 'switchService', service: name, from: current, podTemplateHash: rs.podTemplateHash })
  if (current !== rs.podTemplateHash) {
    pass.events.push({
      type: 'Normal',
      reason: 'SwitchService',
      message: `Switched selector for service '${name}' from '${current ?? ''}' to '${rs.podTemplateHash}'`,
    })
  }
}
