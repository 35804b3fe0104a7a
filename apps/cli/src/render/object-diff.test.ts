import { describe, expect, it } from 'vitest'
import type { KubeObject } from '@sluice/core'
import { diffFields, diffObjects } from './object-diff.ts'

describe('diffFields', () => {
  it.each([
    // before, after → changes
    [{ a: 1 }, { a: 1 }, []],
    [{ a: 1 }, { a: 2 }, [{ path: 'a', before: 1, after: 2 }]],
    [{ a: { b: 'x' } }, { a: {} }, [{ path: 'a.b', before: 'x' }]],
    [{}, { a: { b: 'x' } }, [{ path: 'a.b', after: 'x' }]],
    [{ m: { 'example.io/key': '1' } }, { m: { 'example.io/key': '2' } }, [{ path: 'm["example.io/key"]', before: '1', after: '2' }]],
    [{ l: [1, 2] }, { l: [1, 3, 4] }, [{ path: 'l[1]', before: 2, after: 3 }, { path: 'l[2]', after: 4 }]],
    [{ l: 'x' }, { l: ['x'] }, [{ path: 'l', before: 'x', after: ['x'] }]], // the type changed
    [{ s: { w: '20' } }, { s: { w: 20 } }, [{ path: 's.w', before: '20', after: 20 }]],
  ])('%j → %j', (before, after, changes) => {
    expect(diffFields(before, after)).toEqual(changes)
  })

  it('matches named list elements by name: an inserted route is one change, the others keep their identity', () => {
    const primary = { name: 'primary', route: [{ weight: 100 }] }
    const header = { name: 'canary-header', route: [{ weight: 100 }] }
    expect(diffFields({ http: [primary] }, { http: [header, { ...primary, route: [{ weight: 80 }] }] })).toEqual([
      { path: 'http[0]', after: header },
      { path: 'http[1].route[0].weight', before: 100, after: 80 },
    ])
    expect(diffFields({ http: [header, primary] }, { http: [primary] })).toEqual([{ path: 'http[0]', before: header }])
  })
})

describe('diffObjects', () => {
  const svc = (name: string, selector: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { selector } })
  const split: KubeObject = {
    apiVersion: 'split.smi-spec.io/v1alpha1',
    kind: 'TrafficSplit',
    metadata: { name: 'web', namespace: 'default', ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: 'u', controller: true }] },
    spec: { service: 'web' },
  }

  it('reports created, updated and deleted objects; unchanged ones are left out', () => {
    const before = [svc('a', { app: 'web' }), svc('b', { app: 'web' }), svc('gone', {})]
    const after = [svc('a', { app: 'web' }), svc('b', { app: 'web', hash: 'h1' }), split]
    expect(diffObjects(before, after)).toEqual([
      { object: 'Service default/b', change: 'updated', fields: [{ path: 'spec.selector.hash', after: 'h1' }] },
      { object: 'TrafficSplit default/web', change: 'created', owner: 'Rollout web', fields: [{ path: 'spec.service', after: 'web' }] },
      { object: 'Service default/gone', change: 'deleted' },
    ])
  })
})
