import { KubeApiError } from '@sluice/core'
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

describe('createDefaultRateLimiter while the API server is unavailable', () => {
  const refused = () => new Error('[kube] PUT /apis/argoproj.io/v1alpha1/namespaces/a/rollouts/web/status: fetch failed: connect ECONNREFUSED 127.0.0.1:6443', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }),
  })
  const delays = (error: () => unknown, failures: number, random = () => 0) => {
    const limiter = createDefaultRateLimiter(createManualClock(), { random })
    return Array.from({ length: failures }, () => limiter.when('a', error()))
  }

  it.each([
    // error, failures → delay of the last one (ms), random 0 (the short end of the 25 % jitter)
    ['connection refused', refused, 1, 5],
    ['connection refused', refused, 9, 1280],
    ['connection refused', refused, 10, 1500], // 2560 capped at 2 s, jittered down to 1.5 s
    ['connection refused', refused, 60, 1500], // an hour of them: still 1.5–2 s
    ['503', () => new KubeApiError(503, 'ServiceUnavailable', 'HTTP 503'), 30, 1500],
    ['500', () => new KubeApiError(500, 'InternalError', 'etcdserver: request timed out'), 30, 1500],
    ['503 with Retry-After 5 (a starting API server)', () => new KubeApiError(503, 'ServiceUnavailable', 'the request has been made before all known HTTP paths have been installed, please try again', { retryAfterSeconds: 5 }), 1, 5],
    ['429 with Retry-After 4', () => new KubeApiError(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 4 }), 1, 4000],
    ['429 with Retry-After 600', () => new KubeApiError(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 600 }), 1, 30_000], // capped
    ['409 (not unavailability)', () => new KubeApiError(409, 'Conflict', 'the object has been modified'), 14, 40_960], // as before the cap
    ['a plain error', () => new Error('router said no'), 14, 40_960],
  ] as [string, () => unknown, number, number][])('%s × %i → %i ms', (_what, error, failures, expected) => {
    expect(delays(error, failures).at(-1)).toBe(expected)
  })

  it('spreads keys at the cap over 1.5–2 s', () => {
    expect(delays(refused, 20, () => 0.999).at(-1)).toBeCloseTo(2000, -1)
    expect(delays(refused, 20, () => 0.5).at(-1)).toBe(1750)
  })

  it('takes no token from the overall bucket, so that keys are not held back once the server answers again', () => {
    const limiter = createDefaultRateLimiter(createManualClock(), { overall: { perSecond: 1, burst: 2 }, random: () => 0 })
    for (let i = 0; i < 50; i++) limiter.when(`k${i}`, refused())
    // The bucket is untouched: the next two failures of another kind still find their tokens.
    expect([limiter.when('x', new Error('x')), limiter.when('y', new Error('y')), limiter.when('z', new Error('z'))]).toEqual([5, 5, 1000])
  })
})
