const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * Parses a pause duration into milliseconds: a number (seconds), a string of digits (seconds), or a
 * Go-style duration (`30s`, `5m`, `1h30m`, `1.5h`). Fractions of a second are truncated, as the
 * reference does. Returns undefined when the text is not a duration or is negative.
 *   parseDuration(30) → 30000;  parseDuration('1m30s') → 90000;  parseDuration('soon') → undefined
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value * 1000 : undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  if (!/^(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined
  let ms = 0
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d*)?)(ns|us|µs|ms|s|m|h)/g)) {
    ms += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0)
  }
  return Math.floor(ms / 1000) * 1000
}
