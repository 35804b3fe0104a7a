/**
 * Reads a `split.smi-spec.io/v1alpha1` backend weight. That version types `weight` as a Kubernetes
 * `resource.Quantity`, which Go clients (Argo Rollouts, Flagger) serialise as a string (`"20"`) and
 * people write as a number (`20`) or with a suffix (`500m`, `1k`); later versions use integers, but a
 * CRD without conversion serves the stored value as it is, so every version is read with this.
 *
 *   parseQuantity(20)      → 20
 *   parseQuantity('20')    → 20
 *   parseQuantity('500m')  → 0.5
 *   parseQuantity('1Ki')   → 1024
 *   parseQuantity('2e2')   → 200
 *   parseQuantity('ten')   → undefined
 */
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 }
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 }

/** The value of a number or a Kubernetes quantity string; undefined when it is neither. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = QUANTITY.exec(value.trim())
  if (!match) return undefined
  const [, number, binary, decimal, exponent] = match
  const base = Number(number)
  if (binary) return base * (BINARY[binary] ?? 1)
  if (decimal) return base * (DECIMAL[decimal] ?? 1)
  if (exponent) return base * 10 ** Number(exponent)
  return base
}
