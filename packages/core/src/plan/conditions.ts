import type { RolloutCondition, RolloutConditionType, RolloutStatus } from '../api/rollout.ts'

export function getCondition(status: RolloutStatus, type: RolloutConditionType): RolloutCondition | undefined {
  return status.conditions?.find((c) => c.type === type)
}

/**
 * Sets a condition. `lastTransitionTime` moves only when the status changes; `lastUpdateTime` moves
 * when anything changes or `touch` is set (Progressing refreshes it on progress).
 */
export function setCondition(
  status: RolloutStatus,
  now: Date,
  condition: Pick<RolloutCondition, 'type' | 'status' | 'reason' | 'message'>,
  touch = false,
): void {
  const at = now.toISOString()
  const conditions = status.conditions ?? []
  const existing = conditions.find((c) => c.type === condition.type)
  if (!existing) {
    status.conditions = [...conditions, { ...condition, lastTransitionTime: at, lastUpdateTime: at }]
    return
  }
  const changed = existing.status !== condition.status || existing.reason !== condition.reason || existing.message !== condition.message
  if (existing.status !== condition.status) existing.lastTransitionTime = at
  if (changed || touch) existing.lastUpdateTime = at
  existing.status = condition.status
  existing.reason = condition.reason
  existing.message = condition.message
}

export function removeCondition(status: RolloutStatus, type: RolloutConditionType): void {
  if (!status.conditions) return
  status.conditions = status.conditions.filter((c) => c.type !== type)
}
