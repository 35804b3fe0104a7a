/** Left-aligned columns separated by two spaces, kubectl style. Pure. */

/** A cell's text, and how to paint it once padded (colour codes would break the padding). */
export interface Cell {
  text: string
  paint?: (text: string) => string
}

export function renderTable(header: readonly string[], rows: readonly (readonly (string | Cell)[])[], paintHeader: (text: string) => string = (t) => t): string[] {
  const cells = rows.map((row) => row.map((c) => (typeof c === 'string' ? { text: c } : c)))
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.text.length ?? 0)))
  const line = (row: readonly Cell[]) =>
    row
      .map((cell, i) => {
        const padded = i === row.length - 1 ? cell.text : cell.text.padEnd(widths[i] ?? 0)
        return cell.paint ? cell.paint(padded) : padded
      })
      .join('  ')
      .trimEnd()
  return [line(header.map((text) => ({ text, paint: paintHeader }))), ...cells.map(line)]
}
