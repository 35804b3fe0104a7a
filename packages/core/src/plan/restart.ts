// ---------------------------------------------------------------------------------------------------
// 3. Restart

import type { Pass } from './pass.ts'

/** Evicts pods created before spec.restartAt, at most max(maxUnavailable, 1) at a time. Returns true while pods are being evicted. */
export function planRestart(pass: Pass): boolean {
  const restartAt = pass.rollout.spec.restartAt
  if (!restartAt || restartAt === pass.status.restartedAt) return false
  const at = Date.parse(restartAt)
  if (at > pass.now.getTime()) {
    pass.requeue.push(at - pass.now.getTime())
    return false
  }
  const pods = pass.observed.pods ?? []
  const stale = pods.filter((p) => !p.terminating && Date.parse(p.createdAt) < at).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  const terminating = pods.filter((p) => p.terminating).length
  if (stale.length === 0) {
    if (terminating === 0) {
      pass.status.restartedAt = restartAt
      pass.events.push({ type: 'Normal', reason: 'RolloutRestarted', message: `Restarted every pod created before ${restartAt}` })
    } else {
      pass.requeue.push(pass.options.restartRetryMs)
    }
    return false
  }
  const all = pass.observed.replicaSets
  const available = all.reduce((n, rs) => n + rs.availableReplicas, 0)
  const specTotal = all.reduce((n, rs) => n + rs.replicas, 0)
  const concurrency = Math.max(pass.maxUnavailable, 1)
  const budget = Math.min(concurrency - terminating, available - (Math.max(pass.replicas, specTotal) - concurrency))
  for (const pod of stale.slice(0, Math.max(0, budget))) pass.actions.push({ type: 'evictPod', name: pod.name })
  pass.requeue.push(pass.options.restartRetryMs)
  return true
}
