import { describe, expect, it } from 'vitest'
import { editDistance, suggest } from './suggest.ts'

describe('suggest', () => {
  it.each([
    // typed, known words → suggestion
    ['promte', ['promote', 'pause'], 'promote'], // a letter left out
    ['lsit', ['list', 'lint'], 'list'], // two letters swapped
    ['stauts', ['status', 'set'], 'status'], // swapped
    ['prom', ['promote', 'pause'], 'promote'], // the start of a command
    ['--timout', ['--timeout', '--to-revision'], '--timeout'], // a flag
    ['--fast', ['--full', '--as'], undefined], // two edits from --as, but "fast" has 4 letters: one edit only
    ['deploy', ['get', 'list', 'status'], undefined], // nothing near
  ] as const)('%s among %j → %s', (word, known, expected) => {
    expect(suggest(word, known)).toBe(expected)
  })

  it.each([
    // a, b → distance
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1], // a swap is one edit
    ['status', 'status', 0],
  ] as const)('editDistance(%s, %s) = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
  })
})
