/**
 * A clock for unit tests: time moves only when the test calls `advance`. Timers due at the same
 * instant fire in the order they were set; between timers the microtask queue is drained, so
 * `await`-chains started by one timer settle before the next fires.
 */
import type { Clock, TimerHandle } from '../clock.ts'

interface Timer {
  id: number
  at: number
  fn: () => void
}

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): Promise<void>
  /** Timers not yet fired. */
  pending(): number
  /** Runs pending microtasks and I/O callbacks without moving time. */
  settle(): Promise<void>
}

export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let now = start
  let nextId = 0
  const timers = new Map<number, Timer>()
  const settle = async () => {
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return {
    now: () => now,
    setTimeout(fn, ms) {
      nextId += 1
      const timer = { id: nextId, at: now + Math.max(0, ms), fn }
      timers.set(timer.id, timer)
      return timer.id as TimerHandle
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    pending: () => timers.size,
    settle,
    async advance(ms) {
      const target = now + ms
      await settle()
      for (;;) {
        let due: Timer | undefined
        for (const t of timers.values()) if (t.at <= target && (!due || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t
        if (!due) break
        timers.delete(due.id)
        now = Math.max(now, due.at)
        due.fn()
        await settle()
      }
      now = target
      await settle()
    },
  }
}
