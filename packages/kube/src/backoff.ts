import { isServerUnavailable, retryAfterMs } from './api-error.ts'
import type { Clock } from './clock.ts'

export interface ExponentialBackoffOptions {
  /** Delay after the first failure, in ms. */
  baseMs: number
  /** The delay never exceeds this, in ms. */
  maxMs: number
  /** Growth per failure. Default 2. */
  factor?: number
}

/**
 * The delay after `failures` consecutive failures: `baseMs · factor^(failures-1)`, capped at `maxMs`.
 *   exponentialDelay(1,  { baseMs: 5, maxMs: 1_000_000 }) → 5
 *   exponentialDelay(4,  { baseMs: 5, maxMs: 1_000_000 }) → 40
 *   exponentialDelay(30, { baseMs: 5, maxMs: 1_000_000 }) → 1_000_000   // 5·2^29 ms would be 31 days
 * `failures` below 1 count as 1.
 */
export function exponentialDelay(failures: number, options: ExponentialBackoffOptions): number {
  const exponent = Math.max(0, failures - 1)
  const delay = options.baseMs * Math.pow(options.factor ?? 2, exponent)
  return Number.isFinite(delay) ? Math.min(delay, options.maxMs) : options.maxMs
}

/**
 * Spreads a delay over `[delay·(1-ratio), delay]` so that many clients failing together do not
 * retry together. `random` returns a number in [0, 1).
 *   jitter(1000, 0.2, () => 0)   → 800
 *   jitter(1000, 0.2, () => 0.5) → 900
 */
export function jitter(delayMs: number, ratio: number, random: () => number = Math.random): number {
  return delayMs * (1 - ratio * (1 - random()))
}

/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. `reserve()` takes a token and returns how
 * long the caller must wait before using it (0 while tokens are left), like Go's `rate.Limiter.Reserve`.
 * With 10/s and burst 100: the first 100 reservations wait 0 ms, the 101st 100 ms, the 102nd 200 ms.
 */
export class TokenBucket {
  readonly #perSecond: number
  readonly #burst: number
  readonly #clock: Clock
  #tokens: number
  #last: number

  constructor(options: { perSecond: number; burst: number }, clock: Clock) {
    if (!(options.perSecond > 0) || !(options.burst >= 1)) throw new RangeError('TokenBucket needs perSecond > 0 and burst >= 1')
    this.#perSecond = options.perSecond
    this.#burst = options.burst
    this.#clock = clock
    this.#tokens = options.burst
    this.#last = clock.now()
  }

  /** Takes one token; returns the wait in ms before it may be used. */
  reserve(): number {
    const now = this.#clock.now()
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#perSecond)
    this.#last = now
    this.#tokens -= 1
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#perSecond) * 1000
  }
}

/** Decides how long a failed key waits before it is retried. */
export interface RateLimiter {
  /** Records one more failure of `key` (with what it failed, when known) and returns the delay before its retry, in ms. */
  when(key: string, error?: unknown): number
  /** Forgets the failures of `key` (it succeeded, or will not be retried). */
  forget(key: string): void
  /** Consecutive failures recorded for `key`. */
  failures(key: string): number
}

export interface DefaultRateLimiterOptions {
  /** Per-key backoff. Default 5 ms doubling up to 1000 s (client-go's controller defaults). */
  perKey?: ExponentialBackoffOptions
  /** Overall retry budget across keys. Default 10 per second, burst 100. */
  overall?: { perSecond: number; burst: number }
  /**
   * The per-key delay never exceeds this while the failure is the API server being unavailable
   * (`isServerUnavailable`: no answer, 429, 5xx), so that work resumes within this long of the
   * server answering again. Default 2 s.
   */
  unavailableMaxMs?: number
  /** A Retry-After longer than this is taken as this (a server asking for minutes is not obeyed blindly). Default 30 s. */
  retryAfterMaxMs?: number
  /** Random numbers in [0, 1) for jitter. Default Math.random. */
  random?: () => number
}

/**
 * The work queue's default: the larger of a per-key exponential backoff and an overall token bucket,
 * so one failing key backs off on its own and a storm of failures cannot exceed the overall rate.
 *
 * While the API server is unavailable, every key fails for the same reason and a long per-key delay
 * only postpones the recovery (after an 83 s outage, keys waited up to 41 s more). Such failures
 * therefore back off as usual but never beyond `unavailableMaxMs`, with 25 % jitter so that keys
 * that failed together do not all retry together; a 429 with Retry-After waits at least that long
 * (`retryAfterMs`: a 503's is not taken). They take no token from the overall bucket: it guards a server that answers, and while none
 * does, the bucket would only build a debt that delays every key long after the server is back.
 *   (unavailable) failure 1 → 5 ms, 5 → 80 ms, 10 → 1.5–2 s, 20 → 1.5–2 s
 *   (other) failure 14 → 41 s, as before
 *   429 with Retry-After: 4 → 4 s
 */
export function createDefaultRateLimiter(clock: Clock, options: DefaultRateLimiterOptions = {}): RateLimiter {
  const perKey = options.perKey ?? { baseMs: 5, maxMs: 1_000_000 }
  const unavailableMaxMs = options.unavailableMaxMs ?? 2000
  const retryAfterMaxMs = options.retryAfterMaxMs ?? 30_000
  const random = options.random ?? Math.random
  const bucket = new TokenBucket(options.overall ?? { perSecond: 10, burst: 100 }, clock)
  const failures = new Map<string, number>()
  return {
    when(key, error) {
      const n = (failures.get(key) ?? 0) + 1
      failures.set(key, n)
      if (error !== undefined && isServerUnavailable(error)) {
        const backoff = exponentialDelay(n, { ...perKey, maxMs: Math.min(perKey.maxMs, unavailableMaxMs) })
        const capped = backoff < unavailableMaxMs ? backoff : jitter(backoff, 0.25, random)
        return Math.max(capped, Math.min(retryAfterMs(error) ?? 0, retryAfterMaxMs))
      }
      return Math.max(exponentialDelay(n, perKey), bucket.reserve())
    },
    forget(key) {
      failures.delete(key)
    },
    failures(key) {
      return failures.get(key) ?? 0
    },
  }
}
