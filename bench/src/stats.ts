/** Percentiles and friends over small arrays of numbers. */

/** Nearest-rank percentile (p in 0..100) of `values`; undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export interface Distribution {
  count: number
  p50: number | undefined
  p95: number | undefined
  p99: number | undefined
  max: number | undefined
  min: number | undefined
}

export function distribution(values: readonly number[]): Distribution {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length === 0 ? undefined : Math.max(...values),
    min: values.length === 0 ? undefined : Math.min(...values),
  }
}
