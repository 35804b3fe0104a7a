import { describe, expect, it } from 'vitest'
import { desiredTraffic } from '@sluice/core/testing'
import { planIngressUpdate } from './alb-ingress.ts'
import type { IngressUpdateInput } from './alb-ingress.ts'
import type { Ingress, IngressPath } from './ingress.ts'

const P = 'alb.ingress.kubernetes.io'
const BOOK = 'rollouts.argoproj.io/managed-alb-annotations'
const action = (canary: number) =>
  `{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":${canary}},{"ServiceName":"web-stable","ServicePort":"80","Weight":${100 - canary}}]}}`
const toCanary = '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":100}]}}'
const conditions = '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"x-canary","values":["yes"]}}]'
const path = (service: string): IngressPath => ({ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { name: 'use-annotation' } } } })

const ingress = (annotations: Record<string, string>, services: string[] = ['web-stable']): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '41', annotations },
  spec: { rules: [{ http: { paths: services.map(path) } }] },
})

const input = (desired: IngressUpdateInput['desired']): IngressUpdateInput => ({
  prefix: P,
  actionService: 'web-stable',
  forward: { canaryService: 'web-canary', stableService: 'web-stable', servicePort: 80, stickiness: undefined },
  rollout: 'web',
  managedRoutes: ['header-1', 'header-2'],
  desired,
})
const header1 = { name: 'header-1', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] }

describe('planIngressUpdate', () => {
  it.each<[string, Ingress, IngressUpdateInput['desired'], unknown]>([
    [
      // first write: the action and the bookkeeping, annotations only, so no precondition
      'first weight',
      ingress({ [`${P}/scheme`]: 'internal' }),
      desiredTraffic(20),
      { metadata: { annotations: { [`${P}/actions.web-stable`]: action(20), [BOOK]: `{"web":["${P}/actions.web-stable"]}` } } },
    ],
    [
      // nothing to do: no patch at all, even if the JSON is formatted differently
      'in effect',
      ingress({ [`${P}/actions.web-stable`]: JSON.stringify(JSON.parse(action(20)), null, 2), [BOOK]: `{"web":["${P}/actions.web-stable"]}` }),
      desiredTraffic(20),
      undefined,
    ],
    [
      // a header route: its annotations, and its path with the resourceVersion read
      'header route added',
      ingress({ [`${P}/actions.web-stable`]: action(20), [BOOK]: `{"web":["${P}/actions.web-stable"]}` }),
      desiredTraffic(20, { headerRoutes: [header1] }),
      {
        metadata: {
          annotations: {
            [`${P}/actions.header-1`]: toCanary,
            [`${P}/conditions.header-1`]: conditions,
            [BOOK]: `{"web":["${P}/actions.header-1","${P}/actions.web-stable","${P}/conditions.header-1"]}`,
          },
          resourceVersion: '41',
        },
        spec: { rules: [{ http: { paths: [path('header-1'), path('web-stable')] } }] },
      },
    ],
    [
      // the route goes away: annotations deleted with null, path dropped
      'header route removed',
      ingress(
        {
          [`${P}/actions.web-stable`]: action(20),
          [`${P}/actions.header-1`]: toCanary,
          [`${P}/conditions.header-1`]: conditions,
          [BOOK]: `{"web":["${P}/actions.header-1","${P}/actions.web-stable","${P}/conditions.header-1"]}`,
        },
        ['header-1', 'web-stable'],
      ),
      desiredTraffic(20),
      {
        metadata: {
          annotations: { [`${P}/actions.header-1`]: null, [`${P}/conditions.header-1`]: null, [BOOK]: `{"web":["${P}/actions.web-stable"]}` },
          resourceVersion: '41',
        },
        spec: { rules: [{ http: { paths: [path('web-stable')] } }] },
      },
    ],
    [
      // managed-route annotations are removed even when the bookkeeping does not list them (e.g. after a crash)
      'unlisted managed-route annotation',
      ingress({ [`${P}/actions.web-stable`]: action(0), [`${P}/conditions.header-2`]: conditions, [BOOK]: `{"web":["${P}/actions.web-stable"]}` }),
      desiredTraffic(0),
      { metadata: { annotations: { [`${P}/conditions.header-2`]: null } } },
    ],
    [
      // a previously managed action that a path still reads stays (removing it would break that path);
      // one no path reads is removed; either way it leaves the bookkeeping
      'old root actions',
      ingress(
        {
          [`${P}/actions.web-stable`]: action(0),
          [`${P}/actions.old-root`]: action(0),
          [`${P}/actions.gone-root`]: action(0),
          [BOOK]: `{"web":["${P}/actions.gone-root","${P}/actions.old-root","${P}/actions.web-stable"]}`,
        },
        ['old-root', 'web-stable'],
      ),
      desiredTraffic(0),
      { metadata: { annotations: { [`${P}/actions.gone-root`]: null, [BOOK]: `{"web":["${P}/actions.web-stable"]}` } } },
    ],
  ])('%s', (_name, current, desired, patch) => {
    const update = planIngressUpdate(current, input(desired))
    expect(update.ok && update.patch).toEqual(patch ?? undefined)
  })
})
