import { KubeApiError } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { isResourceNotServed, ResourceDiscovery } from './discovery.ts'
import type { RestClient } from './rest-client.ts'

/** A RestClient whose discovery answers are taken, one per request, from `answers`. */
function restAnswering(answers: (() => unknown)[]): RestClient {
  return {
    json: async () => {
      const next = answers.shift()
      if (!next) throw new Error('no more answers')
      return next()
    },
  } as unknown as RestClient
}

const widgets = { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true }] }

describe('ResourceDiscovery', () => {
  it('says "not served" only when the API server answered without the kind', async () => {
    const discovery = new ResourceDiscovery(restAnswering([() => widgets]))
    const error = await discovery.resolve('example.dev/v1', 'Gadget').catch((e: unknown) => e)
    expect(isResourceNotServed(error)).toBe(true)
    expect((error as Error).message).toBe('[kube] the API server serves no Gadget in example.dev/v1 (is its CustomResourceDefinition installed?)')
  })

  it('a group version answered 404 serves nothing', async () => {
    const discovery = new ResourceDiscovery(
      restAnswering([
        () => {
          throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource')
        },
      ]),
    )
    expect(isResourceNotServed(await discovery.resolve('example.dev/v1', 'Widget').catch((e: unknown) => e))).toBe(true)
  })

  it('a failed discovery request is its own error, not "not served", and is asked again next time', async () => {
    const discovery = new ResourceDiscovery(
      restAnswering([
        () => {
          throw new KubeApiError(500, 'InternalError', 'etcd is restarting')
        },
        () => {
          throw new Error('[kube] GET /apis/example.dev/v1: fetch failed: other side closed (UND_ERR_SOCKET)')
        },
        () => widgets,
      ]),
    )
    const first = await discovery.resolve('example.dev/v1', 'Widget').catch((e: unknown) => e)
    expect(first).toBeInstanceOf(KubeApiError)
    expect(isResourceNotServed(first)).toBe(false)
    expect(isResourceNotServed(await discovery.resolve('example.dev/v1', 'Widget').catch((e: unknown) => e))).toBe(false)
    expect(await discovery.resolve('example.dev/v1', 'Widget')).toEqual({ apiVersion: 'example.dev/v1', kind: 'Widget', plural: 'widgets', namespaced: true })
  })

  it('recognises the error of another copy of the package by its code', () => {
    const foreign = Object.assign(new Error('[kube] the API server serves no Gadget in example.dev/v1'), { code: 'ResourceNotServed' })
    expect(isResourceNotServed(foreign)).toBe(true)
    expect(isResourceNotServed(new Error('fetch failed'))).toBe(false)
    expect(isResourceNotServed(undefined)).toBe(false)
  })
})
