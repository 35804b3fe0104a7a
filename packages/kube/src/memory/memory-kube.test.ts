import { describe, expect, it } from 'vitest'
import { createMemoryKube } from './memory-kube.ts'
import { KubeApiError } from '@sluice/core'
import type { KubeObject } from '@sluice/core'

const cm = (data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'ns', ...extra },
  data,
})
const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'c' }

describe('createMemoryKube', () => {
  it('answers 404 as undefined on get and as KubeApiError on patch', async () => {
    const kube = createMemoryKube()
    expect(await kube.get(ref)).toBeUndefined()
    await expect(kube.mergePatch(ref, { data: { a: '1' } })).rejects.toMatchObject({ status: 404 })
  })

  it('refuses a second create and a replace with a stale resourceVersion', async () => {
    const kube = createMemoryKube()
    const created = await kube.create(cm({ a: '1' }))
    await expect(kube.create(cm({ a: '1' }))).rejects.toBeInstanceOf(KubeApiError)
    await kube.replace({ ...created, data: { a: '2' } })
    await expect(kube.replace({ ...created, data: { a: '3' } })).rejects.toMatchObject({ status: 409, reason: 'Conflict' })
  })

  it('bumps generation only when something besides metadata and status changes', async () => {
    const kube = createMemoryKube()
    const a = await kube.create(cm({ a: '1' }))
    const b = await kube.mergePatch(ref, { metadata: { labels: { x: 'y' } } })
    const c = await kube.mergePatch(ref, { data: { a: '2' } })
    expect([a.metadata.generation, b.metadata.generation, c.metadata.generation]).toEqual([1, 1, 2])
    expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(Number(b.metadata.resourceVersion))
  })

  it('merge-patches with null deleting a key', async () => {
    const kube = createMemoryKube([cm({ a: '1', b: '2' })])
    const patched = await kube.mergePatch(ref, { data: { a: null, c: '3' } })
    expect(patched.data).toEqual({ b: '2', c: '3' })
  })

  it('server-side apply removes what the manager dropped and keeps what others set', async () => {
    const kube = createMemoryKube([cm({ user: 'u' })])
    await kube.apply(cm({ mine: '1', other: '2' }), { fieldManager: 'me' })
    await kube.apply(cm({ mine: '1' }), { fieldManager: 'me' })
    expect((await kube.get(ref))?.data).toEqual({ user: 'u', mine: '1' })
  })

  it('server-side apply that changes nothing does not write', async () => {
    const kube = createMemoryKube()
    const first = await kube.apply(cm({ a: '1' }), { fieldManager: 'me' })
    const second = await kube.apply(cm({ a: '1' }), { fieldManager: 'me' })
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion)
    expect(kube.writes.apply).toBe(1)
  })

  it('server-side apply without force conflicts with another manager', async () => {
    const kube = createMemoryKube([cm({ a: '1' })])
    await expect(kube.apply(cm({ a: '2' }), { fieldManager: 'me', force: false })).rejects.toMatchObject({ status: 409 })
    await kube.apply(cm({ a: '2' }), { fieldManager: 'me', force: true })
    expect((await kube.get(ref))?.data).toEqual({ a: '2' })
  })

  it('lists by kind, namespace and label selector', async () => {
    const kube = createMemoryKube([
      cm({}, { name: 'one', labels: { app: 'web' } }),
      cm({}, { name: 'two', labels: { app: 'db' } }),
      cm({}, { name: 'three', namespace: 'other', labels: { app: 'web' } }),
    ])
    const names = (await kube.list({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns' }, { labelSelector: 'app=web' })).map((o) => o.metadata.name)
    expect(names).toEqual(['one'])
  })
})
