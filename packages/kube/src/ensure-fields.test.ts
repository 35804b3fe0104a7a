import { KubeApiError } from '@sluice/core'
import { createMemoryKube } from './memory/index.ts'
import type { KubeObject, ObjectRef } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { ensureFields } from './index.ts'

const ref: ObjectRef = { apiVersion: 'v1', kind: 'Service', namespace: 'prod', name: 'web-canary' }

function service(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'prod', name: 'web-canary', labels: { team: 'a' } },
    // What the API server fills in: defaults the controller never set.
    spec: { type: 'ClusterIP', clusterIP: '10.0.0.7', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' } },
  }
}

describe('ensureFields', () => {
  it('writes nothing when the live object already carries every desired field', async () => {
    const kube = createMemoryKube([service()])
    const result = await ensureFields(kube, ref, { spec: { selector: { app: 'web' } } }, { fieldManager: 'sluice' })
    expect(result).toBe('unchanged')
    expect(kube.writes.apply).toBe(0)
  })

  it('applies only the desired fields when they differ, and leaves the rest as found', async () => {
    const kube = createMemoryKube([service()])
    const desired = { spec: { selector: { app: 'web', 'rollouts-pod-template-hash': 'abc' } } }
    expect(await ensureFields(kube, ref, desired, { fieldManager: 'sluice' })).toBe('updated')
    const live = (await kube.get<KubeObject & { spec: Record<string, unknown> }>(ref))!
    expect(live.spec.selector).toEqual({ app: 'web', 'rollouts-pod-template-hash': 'abc' })
    expect(live.spec.clusterIP).toBe('10.0.0.7')
    expect(live.metadata.labels).toEqual({ team: 'a' })
    expect(await ensureFields(kube, ref, desired, { fieldManager: 'sluice' })).toBe('unchanged')
    expect(kube.writes.apply).toBe(1)
  })

  it('owns metadata fields too', async () => {
    const kube = createMemoryKube([service()])
    expect(await ensureFields(kube, ref, { metadata: { annotations: { 'sluice.dev/managed-by': 'web' } } }, { fieldManager: 'sluice' })).toBe('updated')
    expect((await kube.get(ref))!.metadata.annotations).toEqual({ 'sluice.dev/managed-by': 'web' })
  })

  it('throws a 404 KubeApiError for a missing object instead of creating a partial one', async () => {
    const kube = createMemoryKube()
    const error = await ensureFields(kube, ref, { spec: { selector: { app: 'web' } } }, { fieldManager: 'sluice' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeApiError)
    expect((error as KubeApiError).status).toBe(404)
    expect(kube.all()).toEqual([])
  })
})
