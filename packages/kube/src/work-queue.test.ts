import { TerminalError } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { WorkQueue } from './index.ts'
import type { ReconcileOutcome, ReconcileResult } from './index.ts'
import { createManualClock } from './testing/manual-clock.ts'

/** A reconcile whose runs the test finishes by hand. */
function gatedReconciler() {
  const runs: { key: string; finish: (result?: ReconcileResult | Error) => void }[] = []
  let active = 0
  let maxActivePerKey = 0
  const activeByKey = new Map<string, number>()
  const reconcile = (key: string) =>
    new Promise<ReconcileResult>((resolve, reject) => {
      active += 1
      activeByKey.set(key, (activeByKey.get(key) ?? 0) + 1)
      maxActivePerKey = Math.max(maxActivePerKey, activeByKey.get(key)!)
      runs.push({
        key,
        finish: (result = { type: 'done' }) => {
          active -= 1
          activeByKey.set(key, activeByKey.get(key)! - 1)
          if (result instanceof Error) reject(result)
          else resolve(result)
        },
      })
    })
  return {
    reconcile,
    runs,
    get active() {
      return active
    },
    get maxActivePerKey() {
      return maxActivePerKey
    },
  }
}

function setup(workers = 1) {
  const clock = createManualClock()
  const queue = new WorkQueue({ clock })
  const gate = gatedReconciler()
  const outcomes: [string, ReconcileOutcome][] = []
  const running = queue.run(gate.reconcile, { workers, onOutcome: (key, outcome) => outcomes.push([key, outcome]) })
  return { clock, queue, gate, outcomes, running }
}

describe('WorkQueue', () => {
  it('processes a key queued several times once', async () => {
    const clock = createManualClock()
    const queue = new WorkQueue({ clock })
    queue.add('ns/a')
    queue.add('ns/a')
    queue.add('ns/b')
    queue.add('ns/a')
    expect(queue.length).toBe(2)
    const seen: string[] = []
    const running = queue.run(async (key) => {
      seen.push(key)
      return { type: 'done' }
    })
    await clock.settle()
    expect(seen).toEqual(['ns/a', 'ns/b'])
    expect(queue.length).toBe(0)
    await queue.shutDown()
    await running
  })

  it('never processes one key concurrently; a key added while in flight runs again afterwards', async () => {
    const { clock, queue, gate } = setup(4)
    queue.add('ns/a')
    await clock.settle()
    expect(gate.runs.map((r) => r.key)).toEqual(['ns/a'])
    queue.add('ns/a') // while in flight: remembered, not started
    queue.add('ns/a')
    await clock.settle()
    expect(gate.runs).toHaveLength(1)
    expect(queue.length).toBe(0)
    gate.runs[0]!.finish()
    await clock.settle()
    expect(gate.runs.map((r) => r.key)).toEqual(['ns/a', 'ns/a'])
    gate.runs[1]!.finish()
    await clock.settle()
    expect(gate.runs).toHaveLength(2) // the two adds during the first run made one more run
    expect(gate.maxActivePerKey).toBe(1)
    await queue.shutDown()
  })

  it('runs different keys in parallel, up to the number of workers', async () => {
    const { clock, queue, gate } = setup(2)
    for (const key of ['a', 'b', 'c']) queue.add(key)
    await clock.settle()
    expect(gate.active).toBe(2)
    expect(queue.length).toBe(1)
    expect(queue.inFlight).toBe(2)
    gate.runs[0]!.finish()
    await clock.settle()
    expect(gate.runs.map((r) => r.key)).toEqual(['a', 'b', 'c'])
    gate.runs[1]!.finish()
    gate.runs[2]!.finish()
    await queue.shutDown()
  })

  it('retries a failing key with growing backoff and resets it on success', async () => {
    const { clock, queue, gate, outcomes } = setup()
    queue.add('ns/a')
    const delays: number[] = []
    for (let i = 0; i < 4; i++) {
      await clock.settle()
      gate.runs.at(-1)!.finish(new Error('conflict'))
      await clock.settle()
      const last = outcomes.at(-1)![1]
      if (last.type !== 'retry') throw new Error('expected a retry')
      delays.push(last.delayMs)
      expect(queue.scheduled).toBe(1)
      await clock.advance(last.delayMs - 1)
      expect(gate.runs).toHaveLength(i + 1) // not yet
      await clock.advance(1)
    }
    expect(delays).toEqual([5, 10, 20, 40])
    expect(queue.failures('ns/a')).toBe(4)
    gate.runs.at(-1)!.finish({ type: 'done' })
    await clock.settle()
    expect(queue.failures('ns/a')).toBe(0)
    expect(queue.scheduled).toBe(0)
    await queue.shutDown()
  })

  it('does not retry a TerminalError', async () => {
    const { clock, queue, gate, outcomes } = setup()
    queue.add('ns/bad')
    await clock.settle()
    gate.runs[0]!.finish(new TerminalError('spec.strategy: Required value'))
    await clock.settle()
    expect(outcomes.map(([, o]) => o.type)).toEqual(['terminal'])
    await clock.advance(10_000_000)
    expect(gate.runs).toHaveLength(1)
    expect(queue.scheduled).toBe(0)
    await queue.shutDown()
  })

  it('requeues after the time a reconcile asks for', async () => {
    const { clock, queue, gate } = setup()
    queue.add('ns/a')
    await clock.settle()
    gate.runs[0]!.finish({ type: 'requeueAfter', ms: 30_000 })
    await clock.advance(29_999)
    expect(gate.runs).toHaveLength(1)
    await clock.advance(1)
    expect(gate.runs).toHaveLength(2)
    gate.runs[1]!.finish()
    await queue.shutDown()
  })

  it('addAfter keeps the earliest time asked for', async () => {
    const clock = createManualClock()
    const queue = new WorkQueue({ clock })
    const seen: [string, number][] = []
    const start = clock.now()
    void queue.run(async (key) => {
      seen.push([key, clock.now() - start])
      return { type: 'done' }
    })
    queue.addAfter('a', 5_000)
    queue.addAfter('a', 1_000) // earlier: wins
    queue.addAfter('a', 3_000) // later than the pending one: ignored
    queue.addAfter('b', 0) // now
    expect(queue.scheduled).toBe(1)
    await clock.advance(10_000)
    expect(seen).toEqual([
      ['b', 0],
      ['a', 1_000],
    ])
    await queue.shutDown()
  })

  it('shutDown lets in-flight reconciles finish, drops queued keys and stops the workers', async () => {
    const { clock, queue, gate, running } = setup(1)
    queue.add('a')
    queue.add('b')
    queue.addAfter('c', 1_000)
    await clock.settle()
    let stopped = false
    const shutdown = queue.shutDown().then(() => {
      stopped = true
    })
    await clock.settle()
    expect(stopped).toBe(false) // 'a' is still running
    queue.add('d') // ignored after shutDown
    gate.runs[0]!.finish()
    await shutdown
    await running
    expect(stopped).toBe(true)
    await clock.advance(5_000)
    expect(gate.runs.map((r) => r.key)).toEqual(['a'])
    expect(queue.length).toBe(0)
  })

  it('keeps a worker alive when the outcome hook throws', async () => {
    const clock = createManualClock()
    const queue = new WorkQueue({ clock })
    const seen: string[] = []
    void queue.run(
      async (key) => {
        seen.push(key)
        return { type: 'done' }
      },
      {
        onOutcome: () => {
          throw new Error('metrics broke')
        },
      },
    )
    queue.add('a')
    await clock.settle()
    queue.add('b')
    await clock.settle()
    expect(seen).toEqual(['a', 'b'])
    await queue.shutDown()
  })

  it('refuses to run twice', () => {
    const queue = new WorkQueue({ clock: createManualClock() })
    void queue.run(async () => ({ type: 'done' }))
    expect(() => queue.run(async () => ({ type: 'done' }))).toThrow(/already running/)
    void queue.shutDown()
  })
})
