/**
 * "Did you mean": the known word closest to a misspelt one, by edit distance (insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1).
 *   suggest('promte', ['promote', 'pause']) → 'promote'   // one insertion
 *   suggest('staus', ['status', 'set'])     → 'status'    // one insertion
 *   suggest('deploy', ['get', 'list'])      → undefined   // nothing within reach
 * Reach: one edit for words of up to 4 letters, two for longer ones; else a known word it begins.
 */
export function suggest(word: string, known: readonly string[]): string | undefined {
  // Flags are compared without their dashes: `--fast` is not two edits from `--as`.
  const bare = (w: string) => w.replace(/^-+/, '').toLowerCase()
  const reach = bare(word).length <= 4 ? 1 : 2
  let best: { word: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(bare(word), bare(candidate))
    if (distance <= reach && (!best || distance < best.distance)) best = { word: candidate, distance }
  }
  // A prefix of a long enough word is a typo too: `sluice prom` → promote.
  return best?.word ?? (bare(word).length >= 3 ? known.find((k) => k.startsWith(word)) : undefined)
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) (rows[0] as number[])[j] = j
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[]
    const above = rows[i - 1] as number[]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1)
      row[j] = d
    }
  }
  return (rows[a.length] as number[])[b.length] as number
}

/** ` (did you mean "x"?)`, or '' when no known word is close. */
export function didYouMean(word: string, known: readonly string[], quote = true): string {
  const match = suggest(word, known)
  if (match === undefined) return ''
  return quote ? ` (did you mean "${match}"?)` : ` (did you mean ${match}?)`
}
