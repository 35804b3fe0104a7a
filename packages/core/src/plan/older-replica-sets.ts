// ---------------------------------------------------------------------------------------------------
// 6. ReplicaSet scaling (spec §3, §8.2, §8.3): the older ReplicaSets

import { POD_TEMPLATE_HASH_LABEL } from '../api/labels.ts'
import type { ObservedService } from './observed.ts'
import type { Pass } from './pass.ts'
import { isFullyPromoted, scale } from './pass.ts'

/** The hashes still in use: never scale those ReplicaSets down (spec §8.3.3). */
function referencedHashes(pass: Pass): Set<string> {
  const hashes = new Set<string>([pass.currentHash])
  if (pass.status.stableRS) hashes.add(pass.status.stableRS)
  for (const w of [pass.recorded, pass.weights]) {
    if (w?.canary.podTemplateHash && w.canary.weight > 0) hashes.add(w.canary.podTemplateHash)
    if (w?.stable.podTemplateHash && w.stable.weight > 0) hashes.add(w.stable.podTemplateHash)
  }
  for (const service of pass.observed.services) {
    const hash = service.selector[POD_TEMPLATE_HASH_LABEL]
    if (hash && isServiceOfRollout(pass, service)) hashes.add(hash)
  }
  return hashes
}

function isServiceOfRollout(pass: Pass, service: ObservedService): boolean {
  return service.name === pass.canary.canaryService || service.name === pass.canary.stableService
}

export function planOlderReplicaSets(pass: Pass): void {
  const older = pass.older.filter((rs) => rs.replicas > 0).sort((a, b) => b.revision - a.revision)
  if (older.length === 0) return
  const referenced = referencedHashes(pass)

  if (!pass.trafficRouted) {
    // Basic canary: drain older sets (newest first) as far as availability allows; no delay, since the
    // pod ratio is the traffic split.
    const all = pass.observed.replicaSets
    const available = all.reduce((n, rs) => n + rs.availableReplicas, 0)
    const budget = available - (pass.replicas - pass.maxUnavailable)
    for (const rs of older) {
      if (referenced.has(rs.podTemplateHash)) continue
      const unavailable = rs.replicas - rs.availableReplicas
      if (unavailable > 0) {
        scale(pass, rs, rs.availableReplicas, 'removing pods that are not available')
        return
      }
      if (budget <= 0) return
      const target = Math.max(0, rs.replicas - budget)
      scale(pass, rs, target)
      return
    }
    return
  }

  // Traffic routing: an older ReplicaSet may still receive traffic while the mesh converges, so it
  // keeps its pods for scaleDownDelaySeconds (Argo gives that delay to the previous stable only and
  // drops an intermediate canary at once, issue #4534; we give it to every older set that served).
  if (pass.weights?.verified === false) return // the data plane has not confirmed the split yet
  const newRS = pass.newRS
  if (newRS.availableReplicas < Math.min(pass.replicas, newRS.replicas) && isFullyPromoted(pass)) return
  const delaySeconds = pass.scaleDownDelaySeconds
  const limit = pass.canary.scaleDownDelayRevisionLimit
  let waiting = 0
  for (const rs of older) {
    if (referenced.has(rs.podTemplateHash)) continue
    if (pass.dynamic || delaySeconds === 0 || (limit !== undefined && waiting >= limit)) {
      scale(pass, rs, 0, pass.dynamic ? 'no traffic left (dynamicStableScale)' : 'beyond scaleDownDelayRevisionLimit')
      return
    }
    waiting += 1
    if (!rs.scaleDownDeadline) {
      const deadline = new Date(pass.now.getTime() + delaySeconds * 1000).toISOString()
      pass.actions.push({ type: 'setScaleDownDeadline', name: rs.name, deadline })
      pass.requeue.push(delaySeconds * 1000)
      continue
    }
    const left = Date.parse(rs.scaleDownDeadline) - pass.now.getTime()
    if (left > 0) {
      pass.requeue.push(left)
      continue
    }
    scale(pass, rs, 0, 'scale-down delay passed')
    pass.actions.push({ type: 'setScaleDownDeadline', name: rs.name, deadline: null })
    return
  }
}
