import type { KubeObject } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { endpointReadiness, readyEndpoints } from './observe-objects.ts'

const slice = (...ready: (boolean | undefined)[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-canary-x', namespace: 'a', labels: { 'kubernetes.io/service-name': 'web-canary' } },
  endpoints: ready.map((r) => ({ addresses: ['10.244.0.1'], conditions: r === undefined ? {} : { ready: r } })),
})

describe('readyEndpoints', () => {
  it.each([
    // slices → ready endpoints
    [[], 0], // no slice yet (a Service just created)
    [[slice()], 0], // a slice without endpoints (no pod selected)
    [[slice(true, true, false)], 2],
    [[slice(undefined)], 1], // ready unset reads as ready
    [[slice(false), slice(false)], 0], // every pod unready
    [[slice(true), slice(false, true)], 2], // several slices (many pods, or IPv4 and IPv6)
    [[{ ...slice(), endpoints: null } as unknown as KubeObject], 0], // the API sends null for none
  ] as [KubeObject[], number][])('%j → %i', (slices, expected) => {
    expect(readyEndpoints(slices)).toBe(expected)
  })
})

describe('endpointReadiness', () => {
  it('keeps the identity, the labels and the readiness of each endpoint, and nothing else', () => {
    const full = { ...slice(true, false, undefined), addressType: 'IPv4', ports: [{ name: 'http', port: 80 }] } as KubeObject
    full.metadata = { ...full.metadata, resourceVersion: '7', uid: 'u', managedFields: [{ manager: 'kcm' }] as never }
    const kept = endpointReadiness(full)
    expect(kept).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-canary-x', namespace: 'a', labels: { 'kubernetes.io/service-name': 'web-canary' }, resourceVersion: '7', uid: 'u' },
      endpoints: [{ conditions: { ready: true } }, { conditions: { ready: false } }, { conditions: {} }],
    })
    expect(readyEndpoints([kept])).toBe(readyEndpoints([full]))
  })
})
