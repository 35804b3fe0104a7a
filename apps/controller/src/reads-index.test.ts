import type { KubeObject, Rollout } from '@sluice/core'
import { Informer } from '@sluice/kube'
import type { ListWatchSource } from '@sluice/kube'
import { describe, expect, it } from 'vitest'
import { createRouterRegistry } from '@sluice/routers'
import { readsIndex, referenceKey } from './reads-index.ts'

const referenceKeys = readsIndex(createRouterRegistry())

describe('the index of what Rollouts read', () => {
  const named = (name: string, namespace: string, canary: Record<string, unknown>): Rollout =>
    ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name, namespace }, spec: { strategy: { canary } } }) as Rollout

  it('keys each object once, namespace included', () => {
    expect(referenceKeys(named('web', 'apps', { canaryService: 's', stableService: 's', trafficRouting: { smi: {} } }))).toEqual(['Service/apps/s', 'TrafficSplit/apps/web'])
  })

  it('finds the Rollouts reading an object, across namespaces for VirtualServices, and no others', async () => {
    const items = [
      named('a', 'apps', { canaryService: 'a-canary', stableService: 'a-stable', trafficRouting: { istio: { virtualService: { name: 'vs.mesh' } } } }),
      named('b', 'other', { canaryService: 'a-canary', stableService: 'b-stable', trafficRouting: { istio: { virtualService: { name: 'vs.mesh' } } } }),
    ]
    // A source that lists the two Rollouts and then watches forever without news.
    const source: ListWatchSource = {
      listPage: async <T extends KubeObject>() => ({ items: items as unknown as T[], resourceVersion: '1' }),
      watch: async () => {
        let end: (how: 'aborted') => void = () => {}
        return { done: new Promise((resolve) => (end = resolve)), abort: () => end('aborted') }
      },
    }
    const informer = new Informer<Rollout>(source, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', indexers: { reads: referenceKeys } })
    informer.start()
    await informer.waitForSync()
    const reading = (kind: string, namespace: string, name: string) =>
      informer.store
        .byIndex('reads', referenceKey({ kind, namespace, name }))
        .map((r) => r.metadata.name)
        .sort()
    expect(reading('VirtualService', 'mesh', 'vs')).toEqual(['a', 'b'])
    expect(reading('Service', 'apps', 'a-canary')).toEqual(['a'])
    expect(reading('Service', 'other', 'a-canary')).toEqual(['b'])
    expect(reading('Service', 'apps', 'b-stable')).toEqual([])
    expect(reading('Ingress', 'apps', 'a-canary')).toEqual([])
    await informer.stop()
  })
})
