/**
 * Reads the Prometheus text format, just enough for `apiserver_request_total` and a controller's own
 * counters, and does the arithmetic on request counts (difference, per-step rates).
 */
import { requestKey } from './kube.ts'
import type { RequestKey } from './kube.ts'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Every sample of `name` in a /metrics text. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const match = LINE.exec(line)
    if (!match || match[1] !== name) continue
    const labels: Record<string, string> = {}
    for (const l of (match[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, '$1')
    const value = Number(match[3])
    if (Number.isFinite(value)) out.push({ name, labels, value })
  }
  return out
}

/** `apiserver_request_total` summed over codes, by verb and group/resource/subresource; resource requests only. */
export function apiserverRequests(text: string): Map<RequestKey, number> {
  const totals = new Map<RequestKey, number>()
  for (const s of samples(text, 'apiserver_request_total')) {
    const { verb = '', group = '', resource = '', subresource = '' } = s.labels
    if (!resource) continue // /metrics, /readyz, discovery
    const key = requestKey(verb, group, resource, subresource)
    totals.set(key, (totals.get(key) ?? 0) + s.value)
  }
  return totals
}

/** `apiserver_request_duration_seconds` sum and count by request key (resource requests only). */
export function apiserverDurations(text: string): Map<RequestKey, { seconds: number; count: number }> {
  const out = new Map<RequestKey, { seconds: number; count: number }>()
  for (const [name, field] of [
    ['apiserver_request_duration_seconds_sum', 'seconds'],
    ['apiserver_request_duration_seconds_count', 'count'],
  ] as const) {
    for (const s of samples(text, name)) {
      const { verb = '', group = '', resource = '', subresource = '' } = s.labels
      if (!resource) continue
      const key = requestKey(verb, group, resource, subresource)
      const entry = out.get(key) ?? { seconds: 0, count: 0 }
      entry[field] += s.value
      out.set(key, entry)
    }
  }
  return out
}

/** Mean server-side time (ms) per request key between two scrapes. */
export function meanDurations(after: ReadonlyMap<RequestKey, { seconds: number; count: number }>, before: ReadonlyMap<RequestKey, { seconds: number; count: number }>): Record<RequestKey, number> {
  const out: Record<RequestKey, number> = {}
  for (const [key, a] of after) {
    const b = before.get(key) ?? { seconds: 0, count: 0 }
    const count = a.count - b.count
    if (count > 0) out[key] = Math.round(((a.seconds - b.seconds) * 1000 * 10) / count) / 10
  }
  return out
}

/** after − before, keeping non-zero entries. */
export function subtract(after: ReadonlyMap<RequestKey, number>, before: ReadonlyMap<RequestKey, number>): Map<RequestKey, number> {
  const out = new Map<RequestKey, number>()
  for (const key of new Set([...after.keys(), ...before.keys()])) {
    const d = (after.get(key) ?? 0) - (before.get(key) ?? 0)
    if (d !== 0) out.set(key, d)
  }
  return out
}

export const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION'])

export const verbOf = (key: RequestKey) => key.split(' ')[0] ?? ''
