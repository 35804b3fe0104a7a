// ---------------------------------------------------------------------------------------------------
// 6. ReplicaSet scaling, continued: old revisions beyond spec.revisionHistoryLimit

import type { Pass } from './pass.ts'

/**
 * Old revisions are kept as ReplicaSets scaled to 0, so that `undo` can return to them, up to
 * spec.revisionHistoryLimit (default 10) besides the canary and the stable; beyond it the oldest
 * ones are deleted (spec §8 step 5.5). Only ReplicaSets with no pod wanted and none left go, and
 * none this pass writes to, so nothing that serves or drains traffic is touched.
 */
export function planHistoryCleanup(pass: Pass): void {
  const limit = pass.revisionHistoryLimit
  const excess = pass.older.length - limit
  if (excess <= 0) return
  // The newest `limit` revisions always stay; of the older ones, those still busy wait for a later pass.
  const touched = new Set(pass.actions.flatMap((a) => ('name' in a ? [a.name] : [])))
  const oldest = [...pass.older].sort((a, b) => a.revision - b.revision || a.name.localeCompare(b.name)).slice(0, excess)
  for (const rs of oldest) {
    if (rs.replicas === 0 && rs.currentReplicas === 0 && !touched.has(rs.name)) pass.actions.push({ type: 'deleteReplicaSet', name: rs.name })
  }
}
