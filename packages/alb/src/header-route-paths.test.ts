import { describe, expect, it } from 'vitest'
import { withHeaderRoutePaths } from './header-route-paths.ts'
import type { IngressPath, IngressRule } from './ingress.ts'

const annotated = (path: string, service: string, pathType = 'Prefix'): IngressPath => ({ path, pathType, backend: { service: { name: service, port: { name: 'use-annotation' } } } })
const numbered = (path: string, service: string): IngressPath => ({ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } })
const rule = (host: string | undefined, ...paths: IngressPath[]): IngressRule => ({ ...(host ? { host } : {}), http: { paths } })
const input = (routes: string[]) => ({ actionService: 'web-root', managedRoutes: ['h1', 'h2', 'm1'], routes })

describe('withHeaderRoutePaths', () => {
  it.each<[string, IngressRule[], string[], IngressRule[]]>([
    // no header route: nothing changes
    ['no routes', [rule('a', annotated('/', 'web-root'))], [], [rule('a', annotated('/', 'web-root'))]],
    // a route path copies the action path and goes first
    ['one route', [rule('a', numbered('/docs', 'docs'), annotated('/', 'web-root'))], ['h1'], [rule('a', annotated('/', 'h1'), numbered('/docs', 'docs'), annotated('/', 'web-root'))]],
    // routes in precedence order, each with every action path
    [
      'two routes, two action paths',
      [rule(undefined, annotated('/api', 'web-root'), annotated('/*', 'web-root', 'ImplementationSpecific'))],
      ['h1', 'h2'],
      [
        rule(
          undefined,
          annotated('/api', 'h1'),
          annotated('/*', 'h1', 'ImplementationSpecific'),
          annotated('/api', 'h2'),
          annotated('/*', 'h2', 'ImplementationSpecific'),
          annotated('/api', 'web-root'),
          annotated('/*', 'web-root', 'ImplementationSpecific'),
        ),
      ],
    ],
    // a rule of another host without the action Service gets no route (Argo Rollouts adds /* to every rule)
    ['another host', [rule('cdn', numbered('/', 'cdn')), rule('a', annotated('/', 'web-root'))], ['h1'], [rule('cdn', numbered('/', 'cdn')), rule('a', annotated('/', 'h1'), annotated('/', 'web-root'))]],
    // routes no longer wanted are removed, in every rule; order is rebuilt from the routes given
    [
      'removal and reorder',
      [rule('a', annotated('/', 'h1'), annotated('/', 'h2'), annotated('/', 'web-root')), rule('b', annotated('/*', 'h1'), numbered('/', 'other'))],
      ['h2'],
      [rule('a', annotated('/', 'h2'), annotated('/', 'web-root')), rule('b', numbered('/', 'other'))],
    ],
    // a user path to a Service that happens to share a route name, but without use-annotation, is not the router's
    ['user path named like a route', [rule('a', numbered('/x', 'h1'), annotated('/', 'web-root'))], [], [rule('a', numbered('/x', 'h1'), annotated('/', 'web-root'))]],
    // a path to the action Service that bypasses the annotation (a port number) is not weighted, so gets no route
    ['action Service by port number', [rule('a', numbered('/health', 'web-root'), annotated('/', 'web-root'))], ['h1'], [rule('a', annotated('/', 'h1'), numbered('/health', 'web-root'), annotated('/', 'web-root'))]],
    // a rule without http stays as it is
    ['host-only rule', [{ host: 'bare' }], ['h1'], [{ host: 'bare' }]],
  ])('%s', (_name, rules, routes, expected) => {
    expect(withHeaderRoutePaths(rules, input(routes))).toEqual(expected)
  })
})
