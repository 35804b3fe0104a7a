import type { Rollout } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { referencedObjects } from './referenced-objects.ts'

const rollout = (canary: Record<string, unknown>): Rollout =>
  ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: 'apps' }, spec: { strategy: { canary } } }) as Rollout

describe('referencedObjects', () => {
  it.each([
    // trafficRouting → the objects whose changes must wake the Rollout
    [{ canaryService: 'c', stableService: 's' }, ['Service apps/c', 'Service apps/s']],
    [{ trafficRouting: { istio: { virtualService: { name: 'vs.mesh' }, destinationRule: { name: 'dr' } } } }, ['VirtualService mesh/vs', 'DestinationRule apps/dr']],
    [{ trafficRouting: { istio: { virtualServices: [{ name: 'a' }, { name: 'b.other.svc.cluster.local' }] } } }, ['VirtualService apps/a', 'VirtualService other/b']],
    // the namespace is after the last dot: names may contain dots, namespaces may not
    [{ trafficRouting: { istio: { virtualService: { name: 'web.internal.mesh' } } } }, ['VirtualService mesh/web.internal']],
    [{ trafficRouting: { nginx: { stableIngresses: ['i1', 'i2'] } } }, ['Ingress apps/i1', 'Ingress apps/i2']],
    [{ trafficRouting: { alb: { ingress: 'lb', servicePort: 80 } } }, ['Ingress apps/lb']],
    [{ trafficRouting: { smi: {} } }, ['TrafficSplit apps/web']],
    [{ trafficRouting: { smi: { trafficSplitName: 'split' } } }, ['TrafficSplit apps/split']],
    [{ trafficRouting: { ambassador: { mappings: ['m1'] } } }, ['Mapping apps/m1']],
  ])('%j → %j', (canary, expected) => {
    expect(referencedObjects(rollout(canary)).map((o) => `${o.kind} ${o.namespace}/${o.name}`)).toEqual(expected)
  })
})
