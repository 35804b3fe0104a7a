/**
 * `metav1.MicroTime` as the API server writes it: RFC 3339 with exactly six fractional digits.
 *   toMicroTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678)) → '2025-01-02T03:04:05.678000Z'
 */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** Parses an RFC 3339 (Micro)Time; NaN when absent or malformed. */
export function parseTime(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN
}
