/**
 * ANSI styles for text output, switched off as a whole when colour is not wanted. Pad before you
 * paint: the escape codes have no width on screen but count in `String.length`.
 */
export interface Palette {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
}

const codes: Record<keyof Palette, readonly [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
}

export function createPalette(enabled: boolean): Palette {
  const style = (name: keyof Palette) => (text: string) => (enabled && text !== '' ? `\u001b[${codes[name][0]}m${text}\u001b[${codes[name][1]}m` : text)
  return {
    bold: style('bold'),
    dim: style('dim'),
    red: style('red'),
    green: style('green'),
    yellow: style('yellow'),
    cyan: style('cyan'),
  }
}

/**
 * Colour on a terminal only, as https://no-color.org asks: NO_COLOR (any non-empty value) turns it
 * off, FORCE_COLOR (non-empty, not "0") turns it on even into a pipe, and TERM=dumb turns it off.
 */
export function isColorWanted(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR) return false
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}
