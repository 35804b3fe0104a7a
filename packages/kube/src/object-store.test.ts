import type { KubeObject } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { ObjectStore } from './object-store.ts'

function rs(namespace: string, name: string, opts: { labels?: Record<string, string>; owner?: string; rv?: string } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      namespace,
      name,
      resourceVersion: opts.rv ?? '1',
      ...(opts.labels ? { labels: opts.labels } : {}),
      ...(opts.owner
        ? { ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: opts.owner, controller: true }] }
        : {}),
    },
  }
}

const names = (objects: KubeObject[]) => objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()

describe('ObjectStore', () => {
  it('stores by namespace/name and indexes by namespace, controller uid and label', () => {
    const store = new ObjectStore()
    store.upsert(rs('a', 'web-1', { labels: { app: 'web', hash: '1' }, owner: 'uid-web' }))
    store.upsert(rs('a', 'web-2', { labels: { app: 'web', hash: '2' }, owner: 'uid-web' }))
    store.upsert(rs('b', 'api-1', { labels: { app: 'api' } }))
    expect(store.size).toBe(3)
    expect(store.get('a/web-1')?.metadata.name).toBe('web-1')
    expect(names(store.byNamespace('a'))).toEqual(['a/web-1', 'a/web-2'])
    expect(names(store.byControllerUid('uid-web'))).toEqual(['a/web-1', 'a/web-2'])
    expect(names(store.byLabel('app', 'web'))).toEqual(['a/web-1', 'a/web-2'])
    expect(names(store.byLabel('hash', '2'))).toEqual(['a/web-2'])
    expect(store.byLabel('app', 'nope')).toEqual([])
  })

  it('moves an updated object between index entries', () => {
    const store = new ObjectStore()
    store.upsert(rs('a', 'web-1', { labels: { role: 'canary' }, owner: 'u1' }))
    const previous = store.upsert(rs('a', 'web-1', { labels: { role: 'stable' }, rv: '2' }))
    expect(previous?.metadata.resourceVersion).toBe('1')
    expect(store.byLabel('role', 'canary')).toEqual([])
    expect(names(store.byLabel('role', 'stable'))).toEqual(['a/web-1'])
    expect(store.byControllerUid('u1')).toEqual([]) // the owner reference was removed
  })

  it('ignores owner references that are not the controller', () => {
    const store = new ObjectStore()
    const o = rs('a', 'x')
    o.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u2' }]
    store.upsert(o)
    expect(store.byControllerUid('u2')).toEqual([])
  })

  it('removes deleted objects from every index', () => {
    const store = new ObjectStore()
    store.upsert(rs('a', 'web-1', { labels: { app: 'web' }, owner: 'u' }))
    expect(store.delete('a/web-1')?.metadata.name).toBe('web-1')
    expect(store.delete('a/web-1')).toBeUndefined()
    expect([store.size, store.byNamespace('a'), store.byLabel('app', 'web'), store.byControllerUid('u')]).toEqual([0, [], [], []])
  })

  it('replaces its whole content', () => {
    const store = new ObjectStore()
    store.upsert(rs('a', 'old', { labels: { app: 'web' } }))
    store.replace([rs('a', 'new', { labels: { app: 'web' } })])
    expect(store.keys()).toEqual(['a/new'])
    expect(names(store.byLabel('app', 'web'))).toEqual(['a/new'])
  })

  it('supports custom indexes and refuses to shadow built-in ones', () => {
    const byImage = (o: KubeObject) => [String((o as { image?: string }).image ?? '')]
    const store = new ObjectStore({ image: byImage })
    store.upsert({ ...rs('a', 'x'), image: 'web:1' })
    store.upsert({ ...rs('a', 'y'), image: 'web:2' })
    expect(names(store.byIndex('image', 'web:2'))).toEqual(['a/y'])
    expect(() => store.byIndex('nope', 'x')).toThrow(/no index named nope/)
    expect(() => new ObjectStore({ namespace: byImage })).toThrow(/built in/)
  })

  it('keys cluster-scoped objects by name', () => {
    const store = new ObjectStore()
    store.upsert({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } })
    expect(store.keys()).toEqual(['node-1'])
  })
})
