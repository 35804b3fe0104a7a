import type { IntOrPercent } from '../api/rollout.ts'

/** `"25%"` → 25; undefined for anything that is not a whole-number percentage. */
export function parsePercent(value: string): number | undefined {
  const match = /^(\d+)%$/.exec(value.trim())
  return match ? Number(match[1]) : undefined
}

/**
 * Resolves an int-or-percentage against `total`: ints are taken as they are, percentages scale
 * `total` and round up (`roundUp`) or down.
 *   resolveIntOrPercent('25%', 10, true)  → 3   // 2.5 rounded up (maxSurge)
 *   resolveIntOrPercent('25%', 10, false) → 2   // 2.5 rounded down (maxUnavailable)
 *   resolveIntOrPercent(4, 10, true)      → 4
 * Strings without `%` are rejected by validation (Argo treats `"5"` as 5 %; we refuse the ambiguity).
 */
export function resolveIntOrPercent(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value
  const percent = parsePercent(value) ?? 0
  const scaled = (percent * total) / 100
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled)
}

export interface SurgeAndUnavailable {
  maxSurge: number
  maxUnavailable: number
}

/**
 * maxSurge (default 25 %, rounded up) and maxUnavailable (default 25 %, rounded down) for
 * `replicas` pods. When both come out 0, maxUnavailable becomes 1 so that an update can progress;
 * maxUnavailable never exceeds `replicas`.
 *   replicas 10 → surge 3, unavailable 2;  replicas 3 → surge 1, unavailable 0;  replicas 1 → 1, 0
 */
export function resolveSurgeAndUnavailable(
  replicas: number,
  maxSurge: IntOrPercent = '25%',
  maxUnavailable: IntOrPercent = '25%',
): SurgeAndUnavailable {
  const surge = resolveIntOrPercent(maxSurge, replicas, true)
  let unavailable = resolveIntOrPercent(maxUnavailable, replicas, false)
  if (surge === 0 && unavailable === 0) unavailable = 1
  if (replicas === 0) unavailable = 0
  return { maxSurge: surge, maxUnavailable: Math.min(unavailable, replicas) }
}
