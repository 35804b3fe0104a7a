import { describe, expect, it } from 'vitest'
import {
  basicCanaryReplicas,
  isCanaryProgressMet,
  podsForWeight,
  splitBasicCanary,
  trafficRoutedReplicas,
} from './canary-replicas.ts'
import type { ReplicaCounts } from './canary-replicas.ts'
import { resolveIntOrPercent, resolveSurgeAndUnavailable } from './surge.ts'

describe('resolveSurgeAndUnavailable', () => {
  it.each([
    // replicas, maxSurge, maxUnavailable → surge, unavailable
    [10, undefined, undefined, 3, 2], // 25 %: 2.5 rounds up for surge, down for unavailable (spec §3.5)
    [3, undefined, undefined, 1, 0], // 0.75 → 1 and 0
    [1, undefined, undefined, 1, 0],
    [4, 0, 0, 0, 1], // both 0: unavailable becomes 1 so the update can progress
    [2, 1, 5, 1, 2], // unavailable capped at replicas
    [0, undefined, undefined, 0, 0], // no pods, nothing unavailable
    [10, '50%', '10%', 5, 1],
  ])('%i replicas, surge %s, unavailable %s → %i, %i', (replicas, surge, unavailable, expectedSurge, expectedUnavailable) => {
    expect(resolveSurgeAndUnavailable(replicas, surge, unavailable)).toEqual({ maxSurge: expectedSurge, maxUnavailable: expectedUnavailable })
  })

  it('rounds percentages the requested way', () => {
    expect(resolveIntOrPercent('33%', 10, true)).toBe(4)
    expect(resolveIntOrPercent('33%', 10, false)).toBe(3)
    expect(resolveIntOrPercent(7, 10, false)).toBe(7)
  })
})

describe('splitBasicCanary (spec §3.2 step A, §3.5)', () => {
  it.each([
    // replicas, weight, maxSurge → canary, stable
    [10, 5, 3, 1, 10], // uses surge: 1/11 = 9.1 % beats 1/10 = 10 %
    [10, 33, 3, 3, 7], // 30 % beats 40 %, 36.4 %, 27.3 %
    [10, 50, 3, 5, 5],
    [10, 100, 3, 10, 0],
    [10, 0, 3, 0, 10],
    [3, 10, 1, 1, 3], // 4 pods, 25 %
    [3, 10, 0, 1, 2], // no surge: 33 %
    [1, 1, 1, 1, 1], // R = 1 with surge: any weight 1..99 → 1 + 1
    [1, 50, 1, 1, 1],
    [1, 99, 1, 1, 1],
    [1, 100, 1, 1, 0],
    [1, 49, 0, 0, 1], // R = 1 without surge: below 50 stays on stable
    [1, 50, 0, 1, 0], // at 50 and above the one pod moves
    [0, 50, 1, 0, 0], // nothing to split
    [2, 1, 0, 1, 1], // a 1..99 weight never means 0 canary pods with R ≥ 2
    [2, 99, 0, 1, 1], // ... nor 0 stable pods
    [10, 24, 1, 3, 8], // 27.3 %
    [10, 20, 1, 2, 8], // 20 %
    [5, 50, 0, 3, 2], // a tie at 2.5: the rounded-up candidate comes first
  ])('R %i at weight %i (surge %i) → canary %i, stable %i', (replicas, weight, surge, canary, stable) => {
    expect(splitBasicCanary(replicas, weight, 100, surge)).toEqual({ canary, stable })
  })

  it('works on a weight scale other than 100', () => {
    expect(splitBasicCanary(10, 500, 1000, 3)).toEqual({ canary: 5, stable: 5 })
  })
})

/**
 * Drives basicCanaryReplicas the way the controller does, with pods becoming available at once:
 * each pass applies one ReplicaSet change, the stable first. Returns the transitions.
 */
function simulateBasic(replicas: number, weight: number, start: { canary: number; stable: number }, passes = 12): string[] {
  const { maxSurge, maxUnavailable } = resolveSurgeAndUnavailable(replicas)
  let canary: ReplicaCounts = { replicas: start.canary, available: start.canary }
  let stable: ReplicaCounts = { replicas: start.stable, available: start.stable }
  const moves: string[] = []
  for (let i = 0; i < passes; i++) {
    const next = basicCanaryReplicas({ replicas, weight, maxWeight: 100, maxSurge, maxUnavailable, canary, stable, otherReplicas: 0 })
    if (next.stable !== stable.replicas) {
      moves.push(`stable ${stable.replicas}→${next.stable}`)
      stable = { replicas: next.stable, available: next.stable }
    } else if (next.canary !== canary.replicas) {
      moves.push(`canary ${canary.replicas}→${next.canary}`)
      canary = { replicas: next.canary, available: next.canary }
    } else break
  }
  return moves
}

describe('basicCanaryReplicas: reconcile sequences of spec §3.5 (R = 10, surge 3, unavailable 2)', () => {
  it.each([
    [50, ['stable 10→8', 'canary 0→5', 'stable 8→5']],
    [33, ['stable 10→8', 'canary 0→3', 'stable 8→7']],
    [5, ['canary 0→1']], // stable stays at 10: 1 + 10 pods
    [100, ['stable 10→8', 'canary 0→5', 'stable 8→3', 'canary 5→10', 'stable 3→0']], // no steps: straight to 100 %
  ])('setWeight %i', (weight, moves) => {
    expect(simulateBasic(10, weight as number, { canary: 0, stable: 10 })).toEqual(moves)
  })

  it('goes back to stable within the same limits on abort (weight 0)', () => {
    // surge first (5 + 8 = 13 = R + 3), then the whole canary can go: 8 stable pods = R − 2 stay available
    expect(simulateBasic(10, 0, { canary: 5, stable: 5 })).toEqual(['stable 5→8', 'canary 5→0', 'stable 8→10'])
  })

  it('holds the stable while the canary pods are not available', () => {
    const split = basicCanaryReplicas({
      replicas: 10,
      weight: 50,
      maxWeight: 100,
      maxSurge: 3,
      maxUnavailable: 2,
      canary: { replicas: 5, available: 0 },
      stable: { replicas: 8, available: 8 },
      otherReplicas: 0,
    })
    expect(split).toEqual({ canary: 5, stable: 8 })
  })

  it('drains older ReplicaSets first', () => {
    const split = basicCanaryReplicas({
      replicas: 10,
      weight: 50,
      maxWeight: 100,
      maxSurge: 3,
      maxUnavailable: 2,
      canary: { replicas: 0, available: 0 },
      stable: { replicas: 10, available: 10 },
      otherReplicas: 3,
    })
    expect(split).toEqual({ canary: 0, stable: 10 })
  })

  it('puts every pod on the canary when there is no stable yet (first deploy)', () => {
    const split = basicCanaryReplicas({
      replicas: 4,
      weight: 25,
      maxWeight: 100,
      maxSurge: 1,
      maxUnavailable: 1,
      canary: { replicas: 0, available: 0 },
      stable: undefined,
      otherReplicas: 0,
    })
    expect(split).toEqual({ canary: 4, stable: 0 })
  })

  it('R = 3, setWeight 10 → 1 canary + 3 stable (25 % of pods)', () => {
    expect(simulateBasic(3, 10, { canary: 0, stable: 3 })).toEqual(['canary 0→1'])
  })
})

describe('trafficRoutedReplicas (spec §3.3, §3.5)', () => {
  it.each([
    // replicas, weight, dynamic, recorded [canary, stable] → canary, stable
    [10, 5, false, undefined, 1, 10], // ceil(0.5)
    [10, 33, false, undefined, 4, 10], // ceil(3.3); stable stays at R
    [10, 50, false, undefined, 5, 10],
    [10, 100, false, undefined, 10, 10], // the last step: 2R pods
    [10, 5, true, [5, 95], 1, 10], // ceil(9.5) = 10
    [10, 33, true, [33, 67], 4, 7], // once 67 % is recorded on stable
    [10, 33, true, [0, 100], 4, 10], // stable keeps its pods until traffic has left it
    [10, 50, true, [50, 50], 5, 5],
    [10, 100, true, [100, 0], 10, 0],
    [3, 10, false, undefined, 1, 3],
  ])('R %i, weight %i, dynamic %s, recorded %j → %i/%i', (replicas, weight, dynamic, recorded, canary, stable) => {
    const r = recorded as [number, number] | undefined
    expect(
      trafficRoutedReplicas({
        replicas,
        weight,
        maxWeight: 100,
        dynamicStableScale: dynamic as boolean,
        aborted: false,
        ...(r ? { recorded: { canary: r[0], stable: r[1] } } : {}),
      }),
    ).toEqual({ canary, stable })
  })

  it('raises non-zero counts to minPodsPerReplicaSet, capped at R', () => {
    expect(trafficRoutedReplicas({ replicas: 10, weight: 5, maxWeight: 100, minPodsPerReplicaSet: 2, dynamicStableScale: false, aborted: false })).toEqual({ canary: 2, stable: 10 })
    expect(trafficRoutedReplicas({ replicas: 1, weight: 5, maxWeight: 100, minPodsPerReplicaSet: 2, dynamicStableScale: false, aborted: false })).toEqual({ canary: 1, stable: 1 })
    expect(trafficRoutedReplicas({ replicas: 10, weight: 0, maxWeight: 100, minPodsPerReplicaSet: 2, dynamicStableScale: false, aborted: false })).toEqual({ canary: 0, stable: 10 })
  })

  it('takes an explicit setCanaryScale count as it is', () => {
    expect(
      trafficRoutedReplicas({ replicas: 4, weight: 50, maxWeight: 100, explicitCanaryReplicas: 1, minPodsPerReplicaSet: 2, dynamicStableScale: false, aborted: false }),
    ).toEqual({ canary: 1, stable: 4 })
  })

  it('R = 4 dynamic abort: the canary keeps the pods its recorded weight needs (spec §3.5)', () => {
    // abort from weight 75: the gradual abort weight is 25, but 75 is still recorded on the canary
    expect(
      trafficRoutedReplicas({ replicas: 4, weight: 25, maxWeight: 100, dynamicStableScale: true, aborted: true, recorded: { canary: 75, stable: 25 } }),
    ).toEqual({ canary: 3, stable: 3 })
  })

  it('sizes against maxTrafficWeight', () => {
    expect(trafficRoutedReplicas({ replicas: 10, weight: 250, maxWeight: 1000, dynamicStableScale: false, aborted: false })).toEqual({ canary: 3, stable: 10 })
    expect(podsForWeight(1, 10, 1000)).toBe(1)
  })
})

describe('isCanaryProgressMet', () => {
  it.each([
    // available, desired, spec, threshold → met
    [4, 4, 4, undefined, true],
    [3, 4, 4, undefined, false],
    [4, 4, 5, undefined, false], // spec must equal desired too
    [3, 4, 4, { type: 'Percent', value: 75 }, true],
    [2, 4, 4, { type: 'Percent', value: 75 }, false],
    [0, 0, 0, { type: 'Percent', value: 90 }, true], // desired 0 counts as reached
    [2, 10, 10, { type: 'Pods', value: 2 }, true],
  ] as const)('%i of %i (spec %i), threshold %j → %s', (available, desired, spec, threshold, met) => {
    expect(isCanaryProgressMet(available, desired, spec, threshold)).toBe(met)
  })
})
