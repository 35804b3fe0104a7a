import { describe, expect, it } from 'vitest'
import { chooseWriteOrder } from './write-order.ts'
import type { SubsetTraffic } from './write-order.ts'

const state = (canaryHash: string | undefined, stableHash: string | undefined, canaryWeight: number): SubsetTraffic => ({
  canaryHash,
  stableHash,
  canaryWeight,
  stableWeight: 100 - canaryWeight,
})

describe('chooseWriteOrder', () => {
  it.each<[string, SubsetTraffic, SubsetTraffic, string]>([
    // title, before (canary hash, stable hash, canary weight), after → order
    ['first step of an update: hashes move, then weight rises', state('v1', 'v1', 0), state('v2', 'v1', 10), 'hashes-first'],
    ['raising weight with no hash change', state('v2', 'v1', 10), state('v2', 'v1', 50), 'hashes-first'],
    ['new revision replaces a weighted canary: weight to 0 before the hash moves', state('v2', 'v1', 20), state('v3', 'v1', 0), 'weights-first'],
    ['canary lost its pods (weight back to 0) and a new hash arrives', state('v2', 'v1', 100), state('v3', 'v1', 0), 'weights-first'],
    ['promotion: the stable subset moves to the canary revision before weight returns to it', state('v2', 'v1', 100), state('v2', 'v2', 0), 'hashes-first'],
    ['promotion from a partial weight', state('v2', 'v1', 40), state('v2', 'v2', 0), 'hashes-first'],
    ['rollback to the stable revision: both orders are safe', state('v2', 'v1', 30), state('v1', 'v1', 0), 'hashes-first'],
    ['subsets not labelled yet (they select every pod)', state(undefined, undefined, 0), state('v2', 'v1', 0), 'hashes-first'],
    ['canary replaced while its weight shrinks: lower first', state('v2', 'v1', 50), state('v3', 'v1', 20), 'weights-first'],
    ['canary replaced while its weight grows: move first', state('v2', 'v1', 20), state('v3', 'v1', 50), 'hashes-first'],
    ['both hashes move and the weight drops: neither order is safe, lower first', state('v2', 'v1', 20), state('v4', 'v3', 10), 'weights-first'],
  ])('%s', (_title, before, after, order) => {
    expect(chooseWriteOrder(before, after)).toBe(order)
  })
})
