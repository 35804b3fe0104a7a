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
export function toKubeApiError(status: number, body: string, context?: string, retryAfter?: string): KubeApiError {
  const parsed = parseStatus(body)
  const seconds = parseRetryAfter(retryAfter)
  const options = seconds === undefined ? undefined : { retryAfterSeconds: seconds }
  if (parsed?.message) return new KubeApiError(parsed.code ?? status, parsed.reason || reasonFor(status), parsed.message, options)
  const text = body.trim().slice(0, 300)
  const where = context ? `${context}: ` : ''
  return new KubeApiError(status, parsed?.reason || reasonFor(status), `${where}HTTP ${status}${text ? `: ${text}` : ''}`, options)
}

/**
 * A Retry-After header in seconds: a number of seconds, or an HTTP date (counted from `now`).
 *   parseRetryAfter('1') → 1    parseRetryAfter('soon') → undefined
 */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined
  const text = header.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

/** Error codes of a request that got no answer: nothing listens, the connection broke, or it timed out. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

/**
 * True when a request failed without an answer from the API server (connection refused or reset,
 * a stream cut off): the server is down or unreachable, and asking again soon costs it nothing.
 * Looks through `cause` chains, where fetch keeps the useful part. A request that timed out is not
 * one: the server may be busy with it, and asking again at once adds to its load.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof KubeApiError) return false
  let e: unknown = error
  for (let depth = 0; e instanceof Error && depth < 6; depth++) {
    const code = (e as Error & { code?: unknown }).code
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true
    if (/ECONNREFUSED|ECONNRESET|socket hang up|other side closed/.test(e.message)) return true
    e = e.cause
  }
  return false
}

/**
 * True when the API server is unavailable for now, so that retrying after a short, capped delay is
 * right: no answer at all (`isConnectionFailure`) or none in time, 429 Too Many Requests, or a 5xx
 * (the server or something in front of it failed; 501 Not Implemented excepted, which retrying
 * cannot change).
 */
export function isServerUnavailable(error: unknown): boolean {
  if (isConnectionFailure(error)) return true
  if (error instanceof Error && /^\[kube\] .*: no answer within \d+ ms$/.test(error.message)) return true
  return error instanceof KubeApiError && (error.status === 429 || (error.status >= 500 && error.status !== 501))
}

/**
 * The Retry-After of a 429 Too Many Requests, in ms (undefined for any other answer, or none): the
 * server's rate limiting (priority and fairness) means it. A 503's Retry-After is not taken: a
 * starting API server answers "the request has been made before all known HTTP paths have been
 * installed" with a flat 5 s, and is ready well before that, so obeying it only delays the recovery
 * (the capped backoff for unavailability applies instead).
 */
export function retryAfterMs(error: unknown): number | undefined {
  return error instanceof KubeApiError && error.status === 429 && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined
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
