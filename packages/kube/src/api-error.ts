/**
 * Turns an API server answer into a `KubeApiError` carrying the server's own message (never a
 * client library's wrapper text or a stack trace), and recognises the errors the runtime reacts to.
 */
import { KubeApiError } from '@sluice/core'
import { STATUS_CODES } from 'node:http'

/**
 * Builds the error for a non-2xx answer from its status and body. A `metav1.Status` body gives
 * reason and message; any other body gives the HTTP reason phrase and the start of the body.
 *   toKubeApiError(404, '{"kind":"Status","code":404,"reason":"NotFound","message":"pods \"x\" not found"}')
 *     → KubeApiError(404, 'NotFound', 'pods "x" not found')
 *   toKubeApiError(503, 'upstream connect error') → KubeApiError(503, 'ServiceUnavailable', 'HTTP 503: upstream connect error')
 */
export function toKubeApiError(status: number, body: string, context?: string): KubeApiError {
  const parsed = parseStatus(body)
  if (parsed?.message) return new KubeApiError(parsed.code ?? status, parsed.reason || reasonFor(status), parsed.message)
  const text = body.trim().slice(0, 300)
  const where = context ? `${context}: ` : ''
  return new KubeApiError(status, parsed?.reason || reasonFor(status), `${where}HTTP ${status}${text ? `: ${text}` : ''}`)
}

/** The `Status` object a watch sends as an `ERROR` event, as an error. */
export function statusToError(status: unknown): KubeApiError {
  const s = (status ?? {}) as { code?: unknown; reason?: unknown; message?: unknown }
  const code = typeof s.code === 'number' ? s.code : 500
  const reason = typeof s.reason === 'string' && s.reason ? s.reason : reasonFor(code)
  const message = typeof s.message === 'string' && s.message ? s.message : `watch error ${code}`
  return new KubeApiError(code, reason, message)
}

/**
 * True when a list or watch asked for a resourceVersion the server no longer has: 410 Gone/Expired,
 * or an error whose message says "too old resource version" (older servers send it with other codes).
 * The remedy is a fresh list.
 */
export function isResourceExpired(error: unknown): boolean {
  if (error instanceof KubeApiError && (error.status === 410 || error.reason === 'Expired' || error.reason === 'Gone')) return true
  return error instanceof Error && /too old resource version/i.test(error.message)
}

function parseStatus(body: string): { code?: number; reason?: string; message?: string } | undefined {
  if (!body.trimStart().startsWith('{')) return undefined
  try {
    const s = JSON.parse(body) as { kind?: unknown; code?: unknown; reason?: unknown; message?: unknown }
    return {
      ...(typeof s.code === 'number' ? { code: s.code } : {}),
      ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
      ...(typeof s.message === 'string' ? { message: s.message } : {}),
    }
  } catch {
    return undefined
  }
}

/** `Not Found` → `NotFound`: the reason the API server would give for a bare status. */
function reasonFor(status: number): string {
  return (STATUS_CODES[status] ?? 'Unknown').replace(/[^A-Za-z]/g, '')
}
