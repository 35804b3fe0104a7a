import { describe, expect, it } from 'vitest'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { AdapterError, formatFieldError, isTerminal, KubeApiError } from '@sluice/core'
import type { AlbTrafficRouting, HeaderRoute, KubeObject, RouterTarget } from '@sluice/core'
import { conformanceTarget, describeTrafficRouter, desiredTraffic } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import { albCapabilities, createAlbRouter } from './index.ts'
import { loadFixture } from './__fixtures__/fixtures.ts'
import type { Ingress } from './ingress.ts'

const P = 'alb.ingress.kubernetes.io'
const ref = (name = 'web') => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'default', name })
const CONFIG: AlbTrafficRouting = { ingress: 'web', servicePort: 80 }

function setup(config: AlbTrafficRouting = CONFIG, extra: KubeObject[] = [], target: RouterTarget = conformanceTarget) {
  const kube = createMemoryKube([...loadFixture('ingress.basic.yaml'), ...extra])
  return { kube, router: createAlbRouter({ target, config }, { kube }) }
}

const headerRoute = (name: string, ...values: [string, string][]): HeaderRoute => ({
  name,
  match: values.map(([headerName, exact]) => ({ headerName, headerValue: { exact } })),
})

describeTrafficRouter('alb', (target) => setup(CONFIG, [], target))

describe('alb router', () => {
  it('declares verification only when it is given an ELBv2 client', () => {
    const kube = createMemoryKube()
    const plain = createAlbRouter({ target: conformanceTarget, config: CONFIG }, { kube })
    expect(plain.capabilities).toEqual({ ...albCapabilities, weightVerification: false })
    expect(plain.verify).toBeUndefined()
    const client = new ElasticLoadBalancingV2Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
    const verifying = createAlbRouter({ target: conformanceTarget, config: CONFIG, verifyWeights: { client } }, { kube })
    expect(verifying.capabilities).toEqual(albCapabilities)
    expect(typeof verifying.verify).toBe('function')
    expect(albCapabilities).toEqual({
      headerRouting: { matchTypes: ['exact'] },
      mirroring: false,
      maxTrafficWeight: false,
      weightVerification: true,
      additionalDestinations: false,
    })
  })

  it('writes the weighted action and the bookkeeping, and leaves every other annotation and rule as it was', async () => {
    const { kube, router } = setup()
    const before = (await kube.get<Ingress>(ref())) as Ingress
    const changes = await router.apply(desiredTraffic(20))
    expect(changes).toEqual([{ object: 'Ingress default/web', result: 'updated', detail: 'canary weight unset → 20' }])
    const after = (await kube.get<Ingress>(ref())) as Ingress
    expect(after.metadata.annotations).toEqual({
      ...before.metadata.annotations,
      [`${P}/actions.web-stable`]:
        '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":20},{"ServiceName":"web-stable","ServicePort":"80","Weight":80}]}}',
      'rollouts.argoproj.io/managed-alb-annotations': `{"web":["${P}/actions.web-stable"]}`,
    })
    expect(after.spec).toEqual(before.spec)
    expect(after.status).toEqual(before.status)
    expect(after.metadata.generation).toBe(before.metadata.generation)
  })

  it('adds header-route paths before the action path of the rules that route to it, and removes them again', async () => {
    const { kube, router } = setup()
    const before = (await kube.get<Ingress>(ref())) as Ingress
    await router.apply(desiredTraffic(10, { headerRoutes: [headerRoute('header-1', ['X-Canary', 'yes'], ['x-canary', 'also'])] }))
    const during = (await kube.get<Ingress>(ref())) as Ingress
    expect(during.spec?.rules?.[0]?.http?.paths.map((p) => `${p.path} → ${p.backend.service?.name}`)).toEqual([
      '/ → header-1',
      '/docs → docs',
      '/ → web-stable',
    ])
    expect(during.spec?.rules?.[1]).toEqual(before.spec?.rules?.[1])
    expect(during.metadata.annotations?.[`${P}/conditions.header-1`]).toBe(
      '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Canary","values":["yes","also"]}}]',
    )
    expect(during.metadata.annotations?.[`${P}/actions.header-1`]).toBe(
      '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":100}]}}',
    )
    expect(JSON.parse(during.metadata.annotations?.['rollouts.argoproj.io/managed-alb-annotations'] ?? '')).toEqual({
      web: [`${P}/actions.header-1`, `${P}/actions.web-stable`, `${P}/conditions.header-1`],
    })
    expect(await router.observe()).toEqual({ canaryWeight: 10, headerRoutes: ['header-1'], mirrorRoutes: [] })

    const changes = await router.apply(desiredTraffic(0))
    expect(changes[0]?.detail).toBe('canary weight 10 → 0, header routes [header-1] → []')
    const after = (await kube.get<Ingress>(ref())) as Ingress
    expect(after.spec).toEqual(before.spec)
    expect(Object.keys(after.metadata.annotations ?? {}).filter((k) => k.includes('header-1'))).toEqual([])
  })

  it('keeps the annotations a user adds while it works, and another Rollout’s bookkeeping entry', async () => {
    const { kube, router } = setup()
    await router.apply(desiredTraffic(10))
    await kube.mergePatch(ref(), {
      metadata: {
        annotations: {
          [`${P}/healthcheck-path`]: '/healthz',
          'rollouts.argoproj.io/managed-alb-annotations': `{"api":["${P}/actions.api-stable"],"web":["${P}/actions.web-stable"]}`,
        },
      },
    })
    await router.apply(desiredTraffic(40, { headerRoutes: [headerRoute('header-2', ['x-beta', 'on'])] }))
    await router.apply(desiredTraffic(40))
    const annotations = (await kube.get<Ingress>(ref()))?.metadata.annotations ?? {}
    expect(annotations[`${P}/healthcheck-path`]).toBe('/healthz')
    expect(annotations[`${P}/actions.ssl-redirect`]).toMatch(/redirect/)
    expect(JSON.parse(annotations['rollouts.argoproj.io/managed-alb-annotations'] ?? '')).toEqual({
      api: [`${P}/actions.api-stable`],
      web: [`${P}/actions.web-stable`],
    })
  })

  it('writes paths with a resourceVersion precondition, so a concurrent edit fails the write instead of being lost', async () => {
    const { kube } = setup()
    const stale = (await kube.get<Ingress>(ref())) as Ingress
    const racing = { ...kube, get: async <T extends KubeObject>() => stale as unknown as T }
    await kube.mergePatch(ref(), { spec: { rules: [...(stale.spec?.rules ?? []), { host: 'new.example.com' }] } })
    const raced = createAlbRouter({ target: conformanceTarget, config: CONFIG }, { kube: racing })
    const error = await raced.apply(desiredTraffic(10, { headerRoutes: [headerRoute('header-1', ['x', 'y'])] })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeApiError)
    expect((await kube.get<Ingress>(ref()))?.spec?.rules?.at(-1)).toEqual({ host: 'new.example.com' })
    // Annotations alone are merged key by key and need no precondition.
    expect((await raced.apply(desiredTraffic(10)))[0]?.result).toBe('updated')
  })

  it('adds stickiness to every action', async () => {
    const { kube, router } = setup({ ...CONFIG, stickinessConfig: { enabled: true, durationSeconds: 3600 } })
    await router.apply(desiredTraffic(30, { headerRoutes: [headerRoute('header-1', ['x', 'y'])] }))
    const annotations = (await kube.get<Ingress>(ref()))?.metadata.annotations ?? {}
    for (const key of [`${P}/actions.web-stable`, `${P}/actions.header-1`]) {
      expect(JSON.parse(annotations[key] ?? '').ForwardConfig.TargetGroupStickinessConfig).toEqual({ Enabled: true, DurationSeconds: 3600 })
    }
  })

  it('uses rootService for the action and a custom annotation prefix', async () => {
    const ingress: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'root', namespace: 'default' },
      spec: { rules: [{ http: { paths: [{ path: '/*', pathType: 'ImplementationSpecific', backend: { service: { name: 'web-root', port: { name: 'use-annotation' } } } }] } }] },
    }
    const { kube, router } = setup({ ingress: 'root', servicePort: 8080, rootService: 'web-root', annotationPrefix: 'custom.io' }, [ingress])
    expect(await router.validate()).toEqual([])
    await router.apply(desiredTraffic(50, { headerRoutes: [headerRoute('header-1', ['x', 'y'])] }))
    const after = (await kube.get<Ingress>(ref('root'))) as Ingress
    expect(JSON.parse(after.metadata.annotations?.['custom.io/actions.web-root'] ?? '')).toEqual({
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { ServiceName: 'web-canary', ServicePort: '8080', Weight: 50 },
          { ServiceName: 'web-stable', ServicePort: '8080', Weight: 50 },
        ],
      },
    })
    expect(after.spec?.rules?.[0]?.http?.paths[0]).toEqual({
      path: '/*',
      pathType: 'ImplementationSpecific',
      backend: { service: { name: 'header-1', port: { name: 'use-annotation' } } },
    })
    expect(await router.observe()).toEqual({ canaryWeight: 50, headerRoutes: ['header-1'], mirrorRoutes: [] })
  })

  it('updates every Ingress, even after one that needs no change', async () => {
    const second: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web-internal', namespace: 'default' },
      spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-stable', port: { name: 'use-annotation' } } } }] } }] },
    }
    const { kube, router } = setup({ ingresses: ['web', 'web-internal'], servicePort: 80 }, [second])
    await router.apply(desiredTraffic(10))
    await kube.mergePatch(ref('web-internal'), { metadata: { annotations: { [`${P}/actions.web-stable`]: null } } })
    const changes = await router.apply(desiredTraffic(10))
    expect(changes.map((c) => [c.object, c.result])).toEqual([
      ['Ingress default/web', 'unchanged'],
      ['Ingress default/web-internal', 'updated'],
    ])
  })

  it.each<[string, HeaderRoute, RegExp]>([
    // ALB ANDs the conditions of a rule, but the matches of a route are alternatives
    ['two headers in one route', headerRoute('header-1', ['x-a', '1'], ['x-b', '2']), /use one header per route/],
    // ALB reads * and ? as wildcards
    ['a wildcard in an exact value', headerRoute('header-1', ['x-a', 'v*']), /contains \* or \?/],
    // only exact values (the capabilities say so; this is the last line of defence)
    ['a prefix match', { name: 'header-1', match: [{ headerName: 'x-a', headerValue: { prefix: 'v' } }] }, /exact values only/],
  ])('refuses %s as a terminal error and writes nothing', async (_name, route, message) => {
    const { kube, router } = setup()
    const writes = { ...kube.writes }
    const error = await router.apply(desiredTraffic(10, { headerRoutes: [route] })).catch((e: unknown) => e)
    expect(isTerminal(error)).toBe(true)
    expect(String(error)).toMatch(message)
    expect(kube.writes).toEqual(writes)
  })

  it('refuses what the capabilities exclude, should the engine ever pass it', async () => {
    const { router } = setup()
    const mirror = { name: 'mirror-1', match: [{ method: { exact: 'GET' } }], percentage: 10 }
    for (const desired of [
      desiredTraffic(10, { mirrorRoutes: [mirror] }),
      desiredTraffic(10, { additional: [{ weight: 5, serviceName: 'x' }] }),
      desiredTraffic(100, { maxWeight: 1000 }),
    ]) {
      expect(isTerminal(await router.apply(desired).catch((e: unknown) => e))).toBe(true)
    }
  })

  it('refuses a bookkeeping annotation it cannot read instead of dropping other Rollouts’ entries', async () => {
    const { kube, router } = setup()
    await kube.mergePatch(ref(), { metadata: { annotations: { 'rollouts.argoproj.io/managed-alb-annotations': 'not json' } } })
    const error = await router.apply(desiredTraffic(10)).catch((e: unknown) => e)
    expect(isTerminal(error)).toBe(true)
    expect(String(error)).toMatch(/managed-alb-annotations is not a JSON object/)
  })

  // Port 9 (discard) has no listener on loopback: the connection is refused at once, no emulator needed.
  it('turns an ELBv2 failure into a retryable AdapterError', async () => {
    const broken = new ElasticLoadBalancingV2Client({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    })
    const kube = createMemoryKube(loadFixture('ingress.basic.yaml'))
    const router = createAlbRouter({ target: conformanceTarget, config: CONFIG, verifyWeights: { client: broken } }, { kube })
    const error = await router.verify?.(desiredTraffic(20)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AdapterError)
    expect(isTerminal(error)).toBe(false)
    expect(String(error)).toMatch(/^AdapterError: \[alb\] Ingress default\/web: reading its load balancer through the ELBv2 API failed: /)
    broken.destroy()
  })

  it('observes nothing before the first apply', async () => {
    expect(await setup().router.observe()).toEqual({ canaryWeight: undefined, headerRoutes: [], mirrorRoutes: [] })
  })

  describe('validation, with full field paths', () => {
    const noAnnotationPath: Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'plain', namespace: 'default' },
      spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-stable', port: { number: 80 } } } }] } }] },
    }
    it.each<[string, AlbTrafficRouting, string[]]>([
      ['both ingress fields', { ingress: 'web', ingresses: ['web'], servicePort: 80 }, ['spec.strategy.canary.trafficRouting.alb: Invalid value: exactly one of ingress and ingresses must be set, not both']],
      ['neither', { servicePort: 80 }, ['spec.strategy.canary.trafficRouting.alb: Required value: one of ingress and ingresses (non-empty) must be set']],
      ['a missing Ingress in a list', { ingresses: ['web', 'gone'], servicePort: 80 }, ['spec.strategy.canary.trafficRouting.alb.ingresses[1]: Not found: "gone": Ingress default/gone not found']],
      [
        'an Ingress without the action Service',
        { ingresses: ['web'], servicePort: 80, rootService: 'web-root' },
        ['spec.strategy.canary.trafficRouting.alb.ingresses[0]: Invalid value: "web": Ingress default/web has no path whose backend is the Service "web-root"'],
      ],
      [
        'a path without use-annotation',
        { ingress: 'plain', servicePort: 80 },
        [
          'spec.strategy.canary.trafficRouting.alb.ingress: Invalid value: "plain": the paths of Ingress default/plain to "web-stable" must use the port name "use-annotation", or the AWS Load Balancer Controller ignores the weights in the actions.web-stable annotation',
        ],
      ],
      [
        'a stickiness duration out of range',
        { ingress: 'web', servicePort: 80, stickinessConfig: { enabled: true, durationSeconds: 604801 } },
        ['spec.strategy.canary.trafficRouting.alb.stickinessConfig.durationSeconds: Invalid value: 604801: must be between 1 and 604800 seconds'],
      ],
      [
        'stickiness without a duration',
        { ingress: 'web', servicePort: 80, stickinessConfig: { enabled: true } },
        ['spec.strategy.canary.trafficRouting.alb.stickinessConfig.durationSeconds: Required value: target-group stickiness needs a duration'],
      ],
      // stickiness turned off needs no duration
      ['stickiness off', { ingress: 'web', servicePort: 80, stickinessConfig: { enabled: false, durationSeconds: 0 } }, []],
      ['no servicePort', { ingress: 'web' } as AlbTrafficRouting, ['spec.strategy.canary.trafficRouting.alb.servicePort: Required value: the Service port of the target groups is required']],
      ['a servicePort out of range', { ingress: 'web', servicePort: 70000 }, ['spec.strategy.canary.trafficRouting.alb.servicePort: Invalid value: 70000: must be a port number between 1 and 65535']],
    ])('%s', async (_name, config, messages) => {
      expect((await setup(config, [noAnnotationPath]).router.validate()).map(formatFieldError)).toEqual(messages)
    })

    it('checks the managed route names it turns into backend Service names', async () => {
      const target = { ...conformanceTarget, managedRoutes: ['header-1', 'Header_2', 'web-canary'] }
      expect((await setup(CONFIG, [], target).router.validate()).map(formatFieldError)).toEqual([
        'spec.strategy.canary.trafficRouting.managedRoutes[1].name: Invalid value: "Header_2": the ALB router uses the route name as an Ingress backend Service name: it must be a DNS-1035 label (a-z, 0-9, "-", at most 63 characters, starting with a letter)',
        'spec.strategy.canary.trafficRouting.managedRoutes[2].name: Invalid value: "web-canary": a managed route must not have the name of the canary, stable or root Service',
      ])
    })

    it('needs both Services', async () => {
      const target = { ...conformanceTarget, canaryService: '', stableService: '' }
      const paths = (await setup(CONFIG, [], target).router.validate()).map((e) => e.path)
      expect(paths.slice(0, 2)).toEqual(['spec.strategy.canary.canaryService', 'spec.strategy.canary.stableService'])
    })
  })
})
