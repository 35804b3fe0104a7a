import { describe, expect, it } from 'vitest'
import { createDefaultRateLimiter, exponentialDelay, jitter, TokenBucket } from './backoff.ts'
import { createManualClock } from './testing/manual-clock.ts'

describe('exponentialDelay', () => {
  it.each([
    // failures, base, max → delay
    [0, 5, 1_000_000, 5], // below 1 counts as 1
    [1, 5, 1_000_000, 5],
    [2, 5, 1_000_000, 10],
    [4, 5, 1_000_000, 40],
    [18, 5, 1_000_000, 655_360],
    [19, 5, 1_000_000, 1_000_000], // 1_310_720 capped
    [2000, 5, 1_000_000, 1_000_000], // 2^1999 is Infinity: still the cap
    [3, 800, 30_000, 3_200], // the informer's reflector backoff
    [7, 800, 30_000, 30_000],
  ])('failure %i with base %i ms, cap %i ms → %i ms', (failures, baseMs, maxMs, expected) => {
    expect(exponentialDelay(failures, { baseMs, maxMs })).toBe(expected)
  })

  it('honours another factor', () => {
    expect(exponentialDelay(3, { baseMs: 100, maxMs: 10_000, factor: 3 })).toBe(900)
  })
})

describe('jitter', () => {
  it.each([
    // delay, ratio, random → result
    [1000, 0.2, 0, 800],
    [1000, 0.2, 0.5, 900],
    [1000, 0, 0.3, 1000], // no jitter
  ])('%i ms with ratio %f and random %f → %i ms', (delay, ratio, random, expected) => {
    expect(jitter(delay, ratio, () => random)).toBeCloseTo(expected)
  })
})

describe('TokenBucket', () => {
  it('lets a burst through, then spaces reservations at the refill rate', async () => {
    const clock = createManualClock()
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, clock)
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0])
    expect(bucket.reserve()).toBeCloseTo(100)
    expect(bucket.reserve()).toBeCloseTo(200)
    await clock.advance(1_000) // refills 10 tokens, capped at the burst of 3, after paying the 2 borrowed
    expect(bucket.reserve()).toBe(0)
  })

  it('rejects a bucket that can never hand out a token', () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 }, createManualClock())).toThrow(RangeError)
  })
})

describe('createDefaultRateLimiter', () => {
  it('backs off per key, and forget starts the key over', () => {
    const limiter = createDefaultRateLimiter(createManualClock())
    expect([limiter.when('a'), limiter.when('a'), limiter.when('a'), limiter.when('b')]).toEqual([5, 10, 20, 5])
    expect(limiter.failures('a')).toBe(3)
    limiter.forget('a')
    expect(limiter.failures('a')).toBe(0)
    expect(limiter.when('a')).toBe(5)
  })

  it('caps the overall retry rate with the token bucket', () => {
    const limiter = createDefaultRateLimiter(createManualClock(), { overall: { perSecond: 1, burst: 2 } })
    // Three different keys fail at once: the third waits for a token (1 s) although its own backoff is 5 ms.
    expect([limiter.when('a'), limiter.when('b'), limiter.when('c')]).toEqual([5, 5, 1000])
  })
})
