import { describe, expect, it } from 'vitest'
import { createPalette, isColorWanted } from './colors.ts'

describe('isColorWanted', () => {
  it.each([
    // isTTY, env → colour
    [true, {}, true],
    [false, {}, false], // a pipe or a file
    [undefined, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true], // no-color.org: only a non-empty value counts
    [true, { TERM: 'dumb' }, false],
    [false, { FORCE_COLOR: '1' }, true],
    [false, { FORCE_COLOR: '0' }, false],
    [true, { NO_COLOR: '1', FORCE_COLOR: '1' }, false], // NO_COLOR wins
  ])('isTTY %s, env %j → %s', (isTTY, env, wanted) => {
    expect(isColorWanted(isTTY === undefined ? {} : { isTTY }, env)).toBe(wanted)
  })
})

describe('createPalette', () => {
  it('paints with ANSI codes only when enabled', () => {
    expect(createPalette(true).red('x')).toBe('\u001b[31mx\u001b[39m')
    expect(createPalette(false).red('x')).toBe('x')
    expect(createPalette(true).bold('')).toBe('')
  })
})
