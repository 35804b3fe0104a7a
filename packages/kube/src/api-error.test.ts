import { KubeApiError } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { isResourceExpired, statusToError, toKubeApiError } from './api-error.ts'

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
