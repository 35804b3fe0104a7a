import { KubeApiError } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { isConnectionFailure, isResourceExpired, isServerUnavailable, parseRetryAfter, retryAfterMs, statusToError, toKubeApiError } from './api-error.ts'

describe('toKubeApiError', () => {
  it('takes status, reason and message from a Status body', () => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "x": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      code: 409,
    })
    const error = toKubeApiError(409, body, 'PUT /apis/coordination.k8s.io/v1/namespaces/a/leases/x')
    expect(error).toBeInstanceOf(KubeApiError)
    expect([error.status, error.reason]).toEqual([409, 'Conflict'])
    expect(error.message).toMatch(/^Operation cannot be fulfilled on leases/)
  })

  it('falls back to the HTTP reason phrase and the start of a non-Status body', () => {
    const error = toKubeApiError(503, 'upstream connect error', 'GET /api/v1/pods')
    expect([error.status, error.reason, error.message]).toEqual([503, 'ServiceUnavailable', 'GET /api/v1/pods: HTTP 503: upstream connect error'])
  })

  it('handles an empty body', () => {
    expect(toKubeApiError(404, '').message).toBe('HTTP 404')
    expect(toKubeApiError(404, '').reason).toBe('NotFound')
  })
})

describe('statusToError and isResourceExpired', () => {
  it('turns a watch ERROR Status into a 410 that calls for a relist', () => {
    const error = statusToError({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (2345)' })
    expect([error.status, error.reason, error.message]).toEqual([410, 'Expired', 'too old resource version: 1 (2345)'])
    expect(isResourceExpired(error)).toBe(true)
  })

  it.each([
    [new KubeApiError(410, 'Gone', 'gone'), true],
    [new KubeApiError(500, 'InternalError', 'too old resource version: 5 (9)'), true],
    [new Error('Too old resource version'), true],
    [new KubeApiError(409, 'Conflict', 'modified'), false],
    ['410', false],
  ])('%s → %s', (error, expected) => {
    expect(isResourceExpired(error)).toBe(expected)
  })

  it('survives a malformed Status', () => {
    expect(statusToError(null).status).toBe(500)
    expect(statusToError({ code: 'x' }).message).toBe('watch error 500')
  })
})

describe('unavailability', () => {
  const socketError = (code: string, message: string) => Object.assign(new Error(message), { code })
  it.each([
    // error → no answer at all, server unavailable
    ['connection refused, wrapped by fetch and the REST client', new Error('[kube] GET /api: fetch failed', { cause: new TypeError('fetch failed', { cause: socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6443') }) }), true, true],
    ['a watch stream cut off', new TypeError('terminated', { cause: socketError('UND_ERR_SOCKET', 'other side closed') }), true, true],
    ['connection reset', socketError('ECONNRESET', 'read ECONNRESET'), true, true],
    ['no answer in time', new Error('[kube] GET /api: no answer within 30000 ms'), false, true],
    ['429', new KubeApiError(429, 'TooManyRequests', 'slow down'), false, true],
    ['503', new KubeApiError(503, 'ServiceUnavailable', 'HTTP 503'), false, true],
    ['501', new KubeApiError(501, 'NotImplemented', 'no'), false, false],
    ['404', new KubeApiError(404, 'NotFound', 'rollouts "x" not found'), false, false],
    ['409', new KubeApiError(409, 'Conflict', 'modified'), false, false],
    ['a TLS error', new Error('[kube] GET /api: fetch failed: self-signed certificate'), false, false],
  ] as [string, unknown, boolean, boolean][])('%s → %s, %s', (_what, error, connection, unavailable) => {
    expect([isConnectionFailure(error), isServerUnavailable(error)]).toEqual([connection, unavailable])
  })

  it.each([
    // header → seconds
    ['1', 1],
    ['120', 120],
    [' 3 ', 3],
    ['Mon, 01 Jun 2026 12:00:05 GMT', 5], // an HTTP date 5 s after now
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as [string | undefined, number | undefined][])('Retry-After %j → %s s', (header, seconds) => {
    expect(parseRetryAfter(header, Date.parse('2026-06-01T12:00:00Z'))).toBe(seconds)
  })

  it('carries Retry-After from the answer to the error', () => {
    const error = toKubeApiError(429, '{"kind":"Status","code":429,"reason":"TooManyRequests","message":"too many requests, please try again later"}', 'GET /api', '2')
    expect([error.status, error.retryAfterSeconds, retryAfterMs(error)]).toEqual([429, 2, 2000])
    expect(toKubeApiError(503, 'down').retryAfterSeconds).toBeUndefined()
  })

  it("takes only a 429's Retry-After (a starting API server's 503 says 5 s, and is ready long before)", () => {
    const starting = toKubeApiError(503, '{"kind":"Status","code":503,"reason":"ServiceUnavailable","message":"the request has been made before all known HTTP paths have been installed, please try again"}', 'GET /apis/argoproj.io/v1alpha1/rollouts', '5')
    expect([starting.retryAfterSeconds, retryAfterMs(starting), isServerUnavailable(starting)]).toEqual([5, undefined, true])
  })
})
