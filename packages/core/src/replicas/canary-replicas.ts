/**
 * How many pods the canary and stable ReplicaSets get (spec §3). Pure arithmetic on counts; the
 * planner feeds it what it observed. Weights are on the rollout's scale 0..W (W = maxTrafficWeight,
 * default 100).
 */

/** What the math needs to know of one ReplicaSet. */
export interface ReplicaCounts {
  /** spec.replicas */
  replicas: number
  /** status.availableReplicas */
  available: number
}

export interface ReplicaSplit {
  canary: number
  stable: number
}

/**
 * Splits `replicas` pods so the canary share is as close to `weight`/`maxWeight` as whole pods allow,
 * using one surge pod when that gets closer (spec §3.2 step A). A weight strictly between 0 and
 * `maxWeight` never yields 0 canary pods when there are at least 2 replicas (or 1 and a surge pod),
 * and never yields all pods on the canary. Ties go to the earlier candidate: (round up, total),
 * (round down, total), (round up, total + 1), (round down, total + 1).
 *   splitBasicCanary(10, 5, 100, 3)  → { canary: 1, stable: 10 }  // 1/11 = 9.1 % beats 1/10 = 10 %
 *   splitBasicCanary(10, 33, 100, 3) → { canary: 3, stable: 7 }   // 30 % beats 40 %, 36.4 %, 27.3 %
 *   splitBasicCanary(1, 50, 100, 0)  → { canary: 1, stable: 0 }   // one pod cannot be split
 */
export function splitBasicCanary(replicas: number, weight: number, maxWeight: number, maxSurge: number): ReplicaSplit {
  if (replicas === 0) return { canary: 0, stable: 0 }
  // The float association matters: it mirrors the reference implementation, so ties break the same way.
  const exact = (replicas * weight) / maxWeight
  const up = Math.ceil(exact)
  const down = Math.floor(exact)
  const share = weight / maxWeight
  const isTie = (total: number) => (total * share) % 1 === 0.5
  const zeroAllowed = weight === maxWeight || weight === 0 || (replicas === 1 && maxSurge === 0)

  const candidates: [canary: number, total: number][] = []
  if (up < replicas || zeroAllowed) candidates.push([up, replicas])
  if (!isTie(replicas) && (down !== 0 || zeroAllowed)) candidates.push([down, replicas])
  if (maxSurge > 0) {
    candidates.push([up, replicas + 1])
    if (!isTie(replicas + 1) && (down !== 0 || zeroAllowed)) candidates.push([down, replicas + 1])
  }

  let best: [number, number] | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const [canary, total] of candidates) {
    const distance = Math.abs((canary * maxWeight) / total - weight)
    if (distance < bestDistance) {
      best = [canary, total]
      bestDistance = distance
    }
  }
  if (!best) return { canary: 0, stable: replicas }
  return { canary: best[0], stable: best[1] - best[0] }
}

export interface BasicCanaryInput {
  /** spec.replicas (R) */
  replicas: number
  /** Desired canary weight on the 0..maxWeight scale. */
  weight: number
  maxWeight: number
  maxSurge: number
  maxUnavailable: number
  /** The canary (new) ReplicaSet; undefined before it exists. */
  canary: ReplicaCounts | undefined
  /** The stable ReplicaSet; undefined on the first deploy. Pass undefined too when stable and canary are the same ReplicaSet. */
  stable: ReplicaCounts | undefined
  /** spec.replicas of every other ReplicaSet still scaled up. */
  otherReplicas: number
}

/**
 * The canary and stable counts for a canary without traffic routing (spec §3.2), where the weight is
 * approximated by pod counts and every change respects maxSurge and maxUnavailable:
 *
 * 1. target split from `splitBasicCanary` (all pods to the canary without a distinct stable);
 * 2. scale up within surge: the stable first, then the canary, while pods total ≤ R + maxSurge;
 * 3. while older ReplicaSets still have pods, stop here (they are drained first);
 * 4. scale down the ReplicaSet being drained (stable while the canary grows, canary while it
 *    shrinks) as far as keeping R − maxUnavailable pods available allows; only the other
 *    ReplicaSet's *available* pods count toward that, so a crashing drained set can still shrink;
 * 5. re-balance so the total stays within R + maxSurge without dropping below the availability floor.
 *
 * The caller applies one ReplicaSet change per reconcile (stable first), so the sequence for R = 10,
 * weight 50 from (0 canary, 10 stable) is: stable 10→8, canary 0→5, stable 8→5.
 */
export function basicCanaryReplicas(input: BasicCanaryInput): ReplicaSplit {
  const { replicas, maxSurge, maxUnavailable, canary, stable } = input
  let target = splitBasicCanary(replicas, input.weight, input.maxWeight, maxSurge)
  if (!stable) target = { canary: replicas, stable: 0 }

  let canaryCount = canary?.replicas ?? 0
  let stableCount = stable?.replicas ?? 0
  const maxTotal = replicas + maxSurge

  let room = maxTotal - (input.otherReplicas + canaryCount + stableCount)
  if (room > 0 && stable && stableCount < target.stable) {
    const next = Math.min(target.stable, stableCount + room)
    room -= next - stableCount
    stableCount = next
  }
  if (room > 0 && canaryCount < target.canary) {
    canaryCount = Math.min(target.canary, canaryCount + room)
  }
  if (input.otherReplicas > 0) return { canary: canaryCount, stable: stableCount }

  const minAvailable = replicas - maxUnavailable
  const growing = !canary || target.canary >= canary.replicas
  const countable = countForScaleDown(canary, !growing) + countForScaleDown(stable, growing)
  if (countable <= minAvailable) return { canary: canaryCount, stable: stableCount }
  const scaleDown = countable - minAvailable

  if (growing) {
    stableCount = drainTowards(stable, target.stable, scaleDown, stableCount)
    const [s, c] = keepWithinLimits(stable, canary, stableCount, canaryCount, maxTotal, minAvailable)
    return { canary: c, stable: s }
  }
  canaryCount = drainTowards(canary, target.canary, scaleDown, canaryCount)
  const [c, s] = keepWithinLimits(canary, stable, canaryCount, stableCount, maxTotal, minAvailable)
  return { canary: c, stable: s }
}

/** Pods a ReplicaSet contributes to the availability floor: its spec when drained (or when it is already shrinking), else its available pods. */
function countForScaleDown(rs: ReplicaCounts | undefined, draining: boolean): number {
  if (!rs) return 0
  if (rs.replicas < rs.available || draining) return rs.replicas
  return rs.available
}

function drainTowards(rs: ReplicaCounts | undefined, desired: number, scaleDown: number, current: number): number {
  if (rs && rs.replicas > desired) return Math.max(desired, rs.replicas - scaleDown)
  return current
}

/**
 * Cuts the adjusted ReplicaSet when drain + adjust exceeds `maxTotal`, gives back as many of its
 * available pods as the availability floor needs, then cuts the drained one by what still overshoots.
 * Returns [drain, adjust].
 */
function keepWithinLimits(
  drain: ReplicaCounts | undefined,
  adjust: ReplicaCounts | undefined,
  drainCount: number,
  adjustCount: number,
  maxTotal: number,
  minAvailable: number,
): [number, number] {
  const overshoot = Math.max(0, drainCount + adjustCount - maxTotal)
  if (overshoot === 0) return [drainCount, adjustCount]
  let adjusted = adjustCount - overshoot
  const availableAfter = Math.min(adjust?.available ?? 0, adjusted) + Math.min(drain?.available ?? 0, drainCount)
  const shortfall = Math.max(0, minAvailable - availableAfter)
  const spareAvailable = Math.max(0, Math.min(adjust?.available ?? 0, adjustCount) - adjusted)
  adjusted += Math.min(shortfall, spareAvailable)
  const remaining = Math.max(0, drainCount + adjusted - maxTotal)
  return [Math.max(0, drainCount - remaining), adjusted]
}

/** Pods needed to carry `weight` of `maxWeight` with `replicas` pods in all: always rounds up. */
export function podsForWeight(weight: number, replicas: number, maxWeight: number): number {
  return Math.ceil((weight * replicas) / maxWeight)
}

export interface TrafficRoutedInput {
  replicas: number
  /** The weight the canary is sized for (a setCanaryScale weight, or the traffic weight). */
  weight: number
  /** The canary's share of traffic, which the stable's size follows under dynamicStableScale (default: `weight`). */
  trafficWeight?: number
  maxWeight: number
  /** An explicit canary count from `setCanaryScale.replicas`, which `minPodsPerReplicaSet` does not raise. */
  explicitCanaryReplicas?: number
  minPodsPerReplicaSet?: number
  dynamicStableScale: boolean
  aborted: boolean
  /** The weights the router carries now (status.canary.weights), when known. */
  recorded?: { canary: number; stable: number }
}

/**
 * The canary and stable counts with traffic routing (spec §3.3). The weight, not the pod ratio,
 * splits traffic, so the canary is sized for its weight (rounding up) and the stable stays at R for
 * the whole update unless `dynamicStableScale` lets it shrink as traffic leaves it. With recorded
 * weights, dynamic scaling never shrinks a ReplicaSet below what the traffic it still carries needs.
 *   R 10, weight 33            → canary 4, stable 10
 *   R 10, weight 33, dynamic   → canary 4, stable 7  (once 67 % is recorded on the stable)
 *   R 10, weight 5, minPods 2  → canary 2, stable 10
 */
export function trafficRoutedReplicas(input: TrafficRoutedInput): ReplicaSplit {
  const { replicas, weight, maxWeight } = input
  const minPods = (n: number) =>
    n === 0 || input.minPodsPerReplicaSet === undefined ? n : Math.max(n, Math.min(input.minPodsPerReplicaSet, replicas))
  let canary = input.explicitCanaryReplicas ?? minPods(podsForWeight(weight, replicas, maxWeight))
  if (!input.dynamicStableScale) return { canary, stable: replicas }

  let stable = podsForWeight(maxWeight - (input.trafficWeight ?? weight), replicas, maxWeight)
  if (input.recorded) {
    stable = Math.max(stable, podsForWeight(input.recorded.stable, replicas, maxWeight))
    if (input.aborted) canary = Math.max(canary, podsForWeight(input.recorded.canary, replicas, maxWeight))
  }
  return { canary: input.explicitCanaryReplicas !== undefined ? canary : minPods(canary), stable: minPods(stable) }
}

export interface ProgressThreshold {
  type: 'Percent' | 'Pods'
  value: number
}

/**
 * True when enough canary pods are available for a step to count as reached: all desired ones by
 * default; with a threshold, a percentage of them or a number of pods.
 */
export function isCanaryProgressMet(available: number, desired: number, specReplicas: number, threshold?: ProgressThreshold): boolean {
  if (!threshold || threshold.value < 0) return specReplicas === desired && available === desired
  if (threshold.type === 'Pods') return available >= threshold.value
  if (desired === 0) return true
  return (available / desired) * 100 >= threshold.value - 1e-10
}
