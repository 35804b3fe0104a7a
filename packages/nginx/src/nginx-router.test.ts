import { describe, expect, it } from 'vitest'
import { AdapterError, formatFieldError, isTerminal } from '@sluice/core'
import type { HeaderRoute, KubeObject, NginxTrafficRouting, RouterTarget } from '@sluice/core'
import { conformanceTarget, describeTrafficRouter, desiredTraffic } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import { createNginxRouter, nginxCapabilities } from './index.ts'
import { loadFixture } from './__fixtures__/fixtures.ts'
import type { Ingress } from './ingress.ts'

const P = 'nginx.ingress.kubernetes.io'
const ingressRef = (name: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'default', name })
const canaryRef = ingressRef('web-web-canary')

function setup(config: NginxTrafficRouting = { stableIngress: 'web' }, extra: KubeObject[] = [], target: RouterTarget = conformanceTarget) {
  const kube = createMemoryKube([...loadFixture('ingress.basic.yaml'), ...extra])
  return { kube, router: createNginxRouter({ target, config }, { kube }) }
}

const headerRoute = (name: string, headerName: string, exact: string): HeaderRoute => ({ name, match: [{ headerName, headerValue: { exact } }] })

describeTrafficRouter('nginx', (target) => setup({ stableIngress: 'web' }, [], target))

describe('nginx router', () => {
  it('declares what ingress-nginx can do', () => {
    expect(setup().router.capabilities).toEqual(nginxCapabilities)
    expect(nginxCapabilities).toEqual({
      headerRouting: { matchTypes: ['exact', 'regex', 'prefix'], maxMatches: 1 },
      mirroring: false,
      maxTrafficWeight: true,
      weightVerification: false,
      additionalDestinations: false,
    })
  })

  it('creates a canary Ingress owned by the Rollout with the stable path only, the class and the TLS', async () => {
    const { kube, router } = setup()
    const changes = await router.apply(desiredTraffic(20))
    expect(changes).toEqual([{ object: 'Ingress default/web-web-canary', result: 'created', detail: 'created with canary weight 20' }])
    const canary = await kube.get<Ingress>(canaryRef)
    expect(canary?.metadata.ownerReferences).toEqual([
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: conformanceTarget.rollout.uid, controller: true, blockOwnerDeletion: true },
    ])
    expect(canary?.metadata.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      [`${P}/canary`]: 'true',
      [`${P}/canary-weight`]: '20',
      'sluice.dev/managed-annotations': `kubernetes.io/ingress.class,${P}/canary,${P}/canary-weight`,
    })
    expect(canary?.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [
        {
          host: 'shop.example.com',
          http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-canary', port: { name: 'http' } } } }] },
        },
      ],
    })
  })

  it('never writes the stable Ingress', async () => {
    const { kube, router } = setup()
    const before = await kube.get(ingressRef('web'))
    await router.apply(desiredTraffic(50, { headerRoutes: [headerRoute('header-1', 'x-canary', 'yes')] }))
    await router.apply(desiredTraffic(0))
    expect(await kube.get(ingressRef('web'))).toEqual(before)
  })

  it('keeps annotations added to the canary Ingress by hand, and removes those it set and no longer wants', async () => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(10, { headerRoutes: [headerRoute('header-1', 'x-canary', 'yes')] }))
    await kube.mergePatch(canaryRef, { metadata: { annotations: { 'example.com/oncall': 'team-a', [`${P}/proxy-read-timeout`]: '30' } } })
    expect((await kube.get<Ingress>(canaryRef))?.metadata.annotations?.[`${P}/canary-by-header`]).toBe('x-canary')

    const changes = await router.apply(desiredTraffic(10))
    expect(changes).toEqual([{ object: 'Ingress default/web-web-canary', result: 'updated', detail: 'header routes [header-1] → []' }])
    const annotations = (await kube.get<Ingress>(canaryRef))?.metadata.annotations ?? {}
    expect(annotations['example.com/oncall']).toBe('team-a')
    expect(annotations[`${P}/proxy-read-timeout`]).toBe('30')
    expect(Object.keys(annotations).filter((k) => k.includes('canary-by-header') || k === 'sluice.dev/header-routes')).toEqual([])
    expect(await router.observe()).toEqual({ canaryWeight: 10, headerRoutes: [], mirrorRoutes: [] })
  })

  it('removes an annotation dropped from additionalIngressAnnotations', async () => {
    const kube = createMemoryKube(loadFixture('ingress.basic.yaml'))
    const withCookie = createNginxRouter({ target: conformanceTarget, config: { stableIngress: 'web', additionalIngressAnnotations: { 'canary-by-cookie': 'beta' } } }, { kube })
    await withCookie.apply(desiredTraffic(10))
    expect((await kube.get<Ingress>(canaryRef))?.metadata.annotations?.[`${P}/canary-by-cookie`]).toBe('beta')
    const without = createNginxRouter({ target: conformanceTarget, config: { stableIngress: 'web' } }, { kube })
    expect((await without.apply(desiredTraffic(10)))[0]?.result).toBe('updated')
    expect((await kube.get<Ingress>(canaryRef))?.metadata.annotations?.[`${P}/canary-by-cookie`]).toBeUndefined()
    expect((await without.apply(desiredTraffic(10)))[0]?.result).toBe('unchanged')
  })

  it('follows the stable Ingress when its paths or TLS change', async () => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(10))
    const stable = await kube.get<Ingress>(ingressRef('web'))
    const { tls: _dropped, ...spec } = stable?.spec ?? {}
    await kube.replace({ ...stable, spec: { ...spec, rules: [{ http: { paths: [{ path: '/v2', pathType: 'Prefix', backend: { service: { name: 'web-stable', port: { number: 80 } } } }] } }] } } as Ingress)
    expect((await router.apply(desiredTraffic(10)))[0]?.result).toBe('updated')
    const canary = await kube.get<Ingress>(canaryRef)
    expect(canary?.spec?.tls).toBeUndefined()
    expect(canary?.spec?.rules).toEqual([{ http: { paths: [{ path: '/v2', pathType: 'Prefix', backend: { service: { name: 'web-canary', port: { number: 80 } } } }] } }])
  })

  it('routes two header routes on one header through one pattern, and reports them in order', async () => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(0, { headerRoutes: [headerRoute('header-1', 'x-canary', 'yes'), { name: 'header-2', match: [{ headerName: 'x-canary', headerValue: { prefix: 'beta-' } }] }] }))
    const annotations = (await kube.get<Ingress>(canaryRef))?.metadata.annotations ?? {}
    expect(annotations[`${P}/canary-by-header`]).toBe('x-canary')
    expect(annotations[`${P}/canary-by-header-pattern`]).toBe('^(?:yes|beta-.*)$')
    expect(annotations[`${P}/canary-by-header-value`]).toBeUndefined()
    expect((await router.observe()).headerRoutes).toEqual(['header-1', 'header-2'])
  })

  it('refuses, as a terminal error, header routes on two different headers', async () => {
    const { router } = setup()
    const error = await router
      .apply(desiredTraffic(0, { headerRoutes: [headerRoute('header-1', 'x-a', '1'), headerRoute('header-2', 'x-b', '2')] }))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AdapterError)
    expect(isTerminal(error)).toBe(true)
    expect(String(error)).toMatch(/routes a canary by one header only/)
  })

  it('refuses what the capabilities exclude, should the engine ever pass it', async () => {
    const { router } = setup()
    const mirror = { name: 'mirror-1', match: [{ method: { exact: 'GET' } }], percentage: 10 }
    for (const desired of [desiredTraffic(10, { mirrorRoutes: [mirror] }), desiredTraffic(10, { additional: [{ weight: 5, serviceName: 'x' }] })]) {
      expect(isTerminal(await router.apply(desired).catch((e: unknown) => e))).toBe(true)
    }
  })

  it('writes canary-weight-total on a scale other than 100', async () => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(250, { maxWeight: 1000 }))
    const annotations = (await kube.get<Ingress>(canaryRef))?.metadata.annotations ?? {}
    expect([annotations[`${P}/canary-weight`], annotations[`${P}/canary-weight-total`]]).toEqual(['250', '1000'])
    await router.apply(desiredTraffic(25))
    expect((await kube.get<Ingress>(canaryRef))?.metadata.annotations?.[`${P}/canary-weight-total`]).toBeUndefined()
  })

  it('refuses to overwrite a canary Ingress it does not control', async () => {
    const foreign: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web-web-canary', namespace: 'default', annotations: { owner: 'someone-else' } },
      spec: { rules: [] },
    }
    const { kube, router } = setup({ stableIngress: 'web' }, [foreign])
    const before = await kube.get(canaryRef)
    expect((await router.validate()).map(formatFieldError)).toEqual([
      'spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: "web": Ingress default/web-web-canary exists and is not controlled by Rollout default/web; Sluice will not overwrite it (delete or rename it)',
    ])
    const error = await router.apply(desiredTraffic(10)).catch((e: unknown) => e)
    expect(isTerminal(error)).toBe(true)
    expect(String(error)).toMatch(/\[nginx\] Ingress default\/web-web-canary: exists and is not controlled by Rollout default\/web/)
    expect(await kube.get(canaryRef)).toEqual(before)
  })

  it('gives each of several stable Ingresses its canary Ingress and updates all of them', async () => {
    const api: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web-api', namespace: 'default' },
      spec: { rules: [{ host: 'api.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-stable', port: { number: 80 } } } }] } }] },
    }
    const { kube, router } = setup({ stableIngresses: ['web', 'web-api'] }, [api])
    expect(await router.validate()).toEqual([])
    await router.apply(desiredTraffic(10))
    // The first canary Ingress is already up to date when the second is not: both are still visited.
    await kube.mergePatch(ingressRef('web-web-api-canary'), { metadata: { annotations: { [`${P}/canary-weight`]: '99' } } })
    const changes = await router.apply(desiredTraffic(10))
    expect(changes.map((c) => [c.object, c.result])).toEqual([
      ['Ingress default/web-web-canary', 'unchanged'],
      ['Ingress default/web-web-api-canary', 'updated'],
    ])
    expect((await kube.get<Ingress>(ingressRef('web-web-api-canary')))?.metadata.annotations?.[`${P}/canary-weight`]).toBe('10')
  })

  it('observes nothing before the first apply', async () => {
    expect(await setup().router.observe()).toEqual({ canaryWeight: undefined, headerRoutes: [], mirrorRoutes: [] })
  })

  describe('validation, with full field paths', () => {
    it.each<[string, NginxTrafficRouting, string[]]>([
      [
        'both stable fields',
        { stableIngress: 'web', stableIngresses: ['web'] },
        ['spec.strategy.canary.trafficRouting.nginx: Invalid value: exactly one of stableIngress and stableIngresses must be set, not both'],
      ],
      ['neither', {}, ['spec.strategy.canary.trafficRouting.nginx: Required value: one of stableIngress and stableIngresses (non-empty) must be set']],
      ['an empty list', { stableIngresses: [] }, ['spec.strategy.canary.trafficRouting.nginx: Required value: one of stableIngress and stableIngresses (non-empty) must be set']],
      [
        'a missing Ingress in a list',
        { stableIngresses: ['web', 'gone'] },
        ['spec.strategy.canary.trafficRouting.nginx.stableIngresses[1]: Not found: "gone": Ingress default/gone not found'],
      ],
      [
        'a repeated Ingress',
        { stableIngresses: ['web', 'web'] },
        ['spec.strategy.canary.trafficRouting.nginx.stableIngresses[1]: Invalid value: "web": the Ingress is listed twice'],
      ],
    ])('%s', async (_name, config, messages) => {
      expect((await setup(config).router.validate()).map(formatFieldError)).toEqual(messages)
    })

    it('needs a path to the stable Service', async () => {
      const target = { ...conformanceTarget, stableService: 'web-other' }
      expect((await setup({ stableIngress: 'web' }, [], target).router.validate()).map(formatFieldError)).toEqual([
        'spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: "web": Ingress default/web has no path whose backend is the stable Service "web-other"',
      ])
      const error = await setup({ stableIngress: 'web' }, [], target).router.apply(desiredTraffic(10)).catch((e: unknown) => e)
      expect(isTerminal(error)).toBe(true)
    })

    it('needs both Services', async () => {
      const target = { ...conformanceTarget, canaryService: '', stableService: '' }
      expect((await setup({ stableIngress: 'web' }, [], target).router.validate()).map((e) => e.path)).toEqual([
        'spec.strategy.canary.canaryService',
        'spec.strategy.canary.stableService',
      ])
    })
  })
})
