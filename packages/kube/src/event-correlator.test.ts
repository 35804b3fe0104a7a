import { describe, expect, it } from 'vitest'
import { COMBINED_PREFIX, EventCorrelator, Lru } from './event-correlator.ts'

const MIN = 60_000
type Row = { at: number; object?: string; type?: string; reason?: string; note: string }
const event = (r: Row) => ({ object: r.object ?? 'rollout/web', type: r.type ?? 'Normal', reason: r.reason ?? 'TrafficWeightUpdated', note: r.note })

/** Runs the rows through one correlator; each result is the note written, `=` plus the note for a repeat of an earlier key, or `-` when dropped. */
function run(rows: Row[], options = {}): string[] {
  const c = new EventCorrelator(options)
  const seen = new Set<string>()
  return rows.map((r) => {
    const out = c.correlate(event(r), r.at)
    if (!out) return '-'
    const repeat = seen.has(out.key)
    seen.add(out.key)
    return repeat ? `=${out.note}` : out.note
  })
}

const notes = (n: number, from = 1, at = (i: number) => i * 1000) => Array.from({ length: n }, (_, i) => ({ at: at(i), note: `w ${from + i}` }))

describe('EventCorrelator', () => {
  it.each([
    // rows → what each row becomes
    ['an identical repeat is the same Event', [{ at: 0, note: 'a' }, { at: MIN, note: 'a' }], ['a', '=a']],
    ['an identical repeat an hour later is still the same Event', [{ at: 0, note: 'a' }, { at: 60 * MIN, note: 'a' }], ['a', '=a']],
    ['another note is another Event', [{ at: 0, note: 'a' }, { at: 0, note: 'b' }], ['a', 'b']],
    ['another reason is never combined', [...notes(9), { at: 9000, reason: 'Other', note: 'w 10' }], [...notes(9).map((r) => r.note), 'w 10']],
    ['9 distinct notes stay apart', notes(9), notes(9).map((r) => r.note)],
    [
      'the 10th distinct note and later ones are combined into one Event',
      notes(12),
      [...notes(9).map((r) => r.note), `${COMBINED_PREFIX}w 10`, `=${COMBINED_PREFIX}w 11`, `=${COMBINED_PREFIX}w 12`],
    ],
    [
      'a gap of more than 10 minutes since the last similar event starts the count again',
      [...notes(9), { at: 8000 + 10 * MIN + 1, note: 'w 10' }],
      [...notes(9).map((r) => r.note), 'w 10'],
    ],
    [
      'a gap of exactly 10 minutes does not',
      [...notes(9), { at: 8000 + 10 * MIN, note: 'w 10' }],
      [...notes(9).map((r) => r.note), `${COMBINED_PREFIX}w 10`],
    ],
    [
      'similar events 2 minutes apart keep the group open past 10 minutes',
      notes(10, 1, (i) => i * 2 * MIN),
      [...notes(9).map((r) => r.note), `${COMBINED_PREFIX}w 10`],
    ],
  ] as [string, Row[], string[]][])('%s', (_name, rows, expected) => {
    expect(run(rows)).toEqual(expected)
  })

  it.each([
    // occurrences at t = 0 (all on one object and type), then later ones → how many pass
    [25, [], 25], // the burst
    [30, [], 25], // 5 over the burst are dropped
    [30, [5 * MIN - 1], 25], // no whole token back yet
    [30, [5 * MIN, 5 * MIN], 26], // one token after 5 minutes, not two
    [30, [10 * MIN, 10 * MIN, 10 * MIN], 27], // two after 10 minutes
    [25, [24 * 60 * MIN, ...Array(30).fill(24 * 60 * MIN)], 50], // never more than the burst comes back
  ])('%i at once, then at %j → %i written', (burst, later, passed) => {
    const rows = [...Array.from({ length: burst }, (_, i) => ({ at: 0, reason: `R${i}`, note: 'n' })), ...later.map((at, i) => ({ at, reason: `L${i}`, note: 'n' }))]
    expect(run(rows).filter((r) => r !== '-')).toHaveLength(passed)
  })

  it('a repeat takes a token too, and objects and types have buckets of their own', () => {
    const rows: Row[] = [
      ...Array.from({ length: 26 }, () => ({ at: 0, note: 'same' })),
      { at: 0, type: 'Warning', note: 'w' },
      { at: 0, object: 'rollout/api', note: 'a' },
    ]
    expect(run(rows).slice(24)).toEqual(['=same', '-', 'w', 'a'])
  })

  it('keeps at most maxEntries keys: a forgotten group starts again', () => {
    const c = new EventCorrelator({ maxEntries: 2, maxSimilar: 2 })
    expect(c.correlate(event({ at: 0, note: 'a' }), 0)?.note).toBe('a')
    c.correlate(event({ at: 0, reason: 'X', note: 'x' }), 0)
    c.correlate(event({ at: 0, reason: 'Y', note: 'y' }), 0)
    // TrafficWeightUpdated's group was evicted, so its second note is not combined.
    expect(c.correlate(event({ at: 0, note: 'b' }), 0)?.note).toBe('b')
    expect(c.correlate(event({ at: 0, note: 'c' }), 0)?.note).toBe(`${COMBINED_PREFIX}c`)
  })
})

describe('Lru', () => {
  it('drops the least recently used key beyond its size', () => {
    const lru = new Lru<number>(2)
    lru.set('a', 1)
    lru.set('b', 2)
    lru.get('a')
    lru.set('c', 3)
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.size]).toEqual([1, undefined, 3, 2])
  })
})
