/** The routers' objects as the checker reads them: the split each one has in effect. */
import { describe, expect, it } from 'vitest'
import type { ViewOf } from './timeline.ts'
import { ingressView, mappingView, rolloutView, serviceNameOf, splitsOf, trafficSplitView, virtualServiceView } from './views.ts'

const rollout = (trafficRouting: Record<string, unknown>) =>
  rolloutView({
    metadata: { name: 'web' },
    spec: { replicas: 4, strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable', trafficRouting, steps: [{ setWeight: 20 }] } } },
  })
const mesh = (entries: [string, ViewOf['TrafficSplit' | 'VirtualService' | 'Ingress' | 'Mapping']][]) => new Map(entries)
const pairs = (canary: number, stable: number) => [
  { service: 'web-canary', weight: canary },
  { service: 'web-stable', weight: stable },
]

describe('splitsOf', () => {
  it('SMI: the TrafficSplit backends (weights as numbers or quantities)', () => {
    const split = trafficSplitView({ spec: { backends: [{ service: 'web-canary', weight: '20' }, { service: 'web-stable', weight: 80 }] } })
    expect(splitsOf(rollout({ smi: {} }), mesh([['TrafficSplit/web', split]]))).toEqual([{ source: 'TrafficSplit/web', backends: pairs(20, 80) }])
  })

  it('Istio: each managed route of the VirtualService, hosts shortened to Service names', () => {
    const vs = virtualServiceView({
      spec: {
        http: [
          { name: 'admin', route: [{ destination: { host: 'admin' } }] },
          { name: 'primary', route: [{ destination: { host: 'web-canary.ns.svc.cluster.local' }, weight: 30 }, { destination: { host: 'web-stable.ns.svc.cluster.local' }, weight: 70 }] },
        ],
      },
    })
    expect(splitsOf(rollout({ istio: { virtualService: { name: 'web.ns', routes: ['primary'] } } }), mesh([['VirtualService/web', vs]]))).toEqual([{ source: 'VirtualService/web route primary', backends: pairs(30, 70) }])
  })

  it('NGINX: the canary Ingress weight; the rest to the stable; nothing before the canary Ingress exists', () => {
    const ingress = ingressView({ metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '40', other: 'x' } } })
    const r = rollout({ nginx: { stableIngress: 'shop' } })
    expect(splitsOf(r, mesh([['Ingress/web-shop-canary', ingress]]))).toEqual([{ source: 'Ingress/web-shop-canary', backends: pairs(40, 60) }])
    expect(splitsOf(r, mesh([]))).toEqual([])
  })

  it('ALB: the forward action of the stable Service on the Ingress', () => {
    const action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ ServiceName: 'web-canary', ServicePort: '80', Weight: 10 }, { ServiceName: 'web-stable', ServicePort: '80', Weight: 90 }] } }
    const ingress = ingressView({ metadata: { annotations: { 'alb.ingress.kubernetes.io/actions.web-stable': JSON.stringify(action) } } })
    expect(splitsOf(rollout({ alb: { ingress: 'shop' } }), mesh([['Ingress/shop', ingress]]))).toEqual([{ source: 'Ingress/shop actions.web-stable', backends: pairs(10, 90) }])
  })

  it('Ambassador: the canary Mapping weight, 0 without one', () => {
    const r = rollout({ ambassador: { mappings: ['web'] } })
    const base = mappingView({ spec: { service: 'web-stable:80' } })
    const canary = mappingView({ spec: { service: 'web-canary:80', weight: 25 } })
    expect(splitsOf(r, mesh([['Mapping/web', base], ['Mapping/web-canary', canary]]))).toEqual([{ source: 'Mapping/web(-canary)', backends: pairs(25, 75) }])
    expect(splitsOf(r, mesh([['Mapping/web', base]]))).toEqual([{ source: 'Mapping/web(-canary)', backends: pairs(0, 100) }])
  })

  it.each([
    ['web-canary.ns.svc.cluster.local', 'web-canary'],
    ['http://web-stable.ns:80', 'web-stable'],
    ['web:8080', 'web'],
  ])('serviceNameOf(%s) → %s', (address, name) => {
    expect(serviceNameOf(address)).toBe(name)
  })
})
