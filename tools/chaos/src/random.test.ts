import { describe, expect, it } from 'vitest'
import { Random } from './random.ts'

describe('Random', () => {
  it('repeats its sequence for a seed, and differs across seeds', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(7)))
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(7)))
    const c = Array.from({ length: 5 }, ((r) => () => r.next())(new Random(8)))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    for (const x of a) expect(x >= 0 && x < 1).toBe(true)
  })

  it('draws integers within bounds, both ends reachable', () => {
    const r = new Random(1)
    const seen = new Set(Array.from({ length: 200 }, () => r.int(2, 4)))
    expect([...seen].sort()).toEqual([2, 3, 4])
  })

  it('forks independent sources by label', () => {
    const root = new Random(3)
    expect(root.fork('faults').next()).not.toBe(root.fork('scenario').next())
    expect(new Random(3).fork('faults').next()).toBe(new Random(3).fork('faults').next())
  })
})
