/**
 * The conformance suite every traffic adapter runs (unit speed, against an in-memory API):
 *
 *   describeTrafficRouter('my-router', (target) => {
 *     const kube = createMemoryKube(fixtures)          // @sluice/kube/memory
 *     return { kube, router: createMyRouter({ target, config }, { kube }) }
 *   })
 *
 * The fixtures must fit `conformanceTarget`: Rollout `default/web`, Services `web-canary` and
 * `web-stable`, managed routes `header-1`, `header-2`, `mirror-1`.
 */
import { describe, expect, it } from 'vitest'
import type { KubeApi, KubeObject } from '../api/kube-object.ts'
import { describeObject } from '../kube/owner-refs.ts'
import { jsonEqual } from '../kube/json.ts'
import type { DesiredTraffic, HeaderRoute, MirrorRoute, RouterTarget, TrafficRouter } from '../traffic/traffic-router.ts'

export const conformanceTarget: RouterTarget = {
  rollout: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    name: 'web',
    namespace: 'default',
    uid: '6f1c1d0e-0000-4000-8000-00000000c0de',
  },
  canaryService: 'web-canary',
  stableService: 'web-stable',
  managedRoutes: ['header-1', 'header-2', 'mirror-1'],
}

/**
 * A KubeApi the suite can look into: `createMemoryKube` of `@sluice/kube/memory` is one (core keeps
 * the interface only; the implementation lives beside the real client).
 */
export interface InspectableKube extends KubeApi {
  /** Every stored object. */
  all(): KubeObject[]
  /** Stores objects as they are (fixtures, bystanders). */
  seed(...objects: KubeObject[]): void
  /** How many writes each verb has served. */
  readonly writes: Readonly<Record<string, number>>
}

export interface ConformanceSetup {
  router: TrafficRouter
  kube: InspectableKube
}

/** Builds the desired traffic the suite applies: `canaryWeight` of `maxWeight` to the canary, the rest to stable. */
export function desiredTraffic(canaryWeight: number, extra: Partial<DesiredTraffic> = {}): DesiredTraffic {
  const maxWeight = extra.maxWeight ?? 100
  return {
    canary: { weight: canaryWeight, serviceName: conformanceTarget.canaryService, podTemplateHash: 'c4n4ry' },
    stable: { weight: maxWeight - canaryWeight, serviceName: conformanceTarget.stableService, podTemplateHash: 'st4bl3' },
    additional: [],
    maxWeight,
    headerRoutes: [],
    mirrorRoutes: [],
    ...extra,
  }
}

function snapshot(kube: InspectableKube): Map<string, KubeObject> {
  return new Map(kube.all().map((o) => [describeObject(o), o]))
}

function changedObjects(before: Map<string, KubeObject>, after: Map<string, KubeObject>): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  return [...names].filter((n) => !jsonEqual(before.get(n), after.get(n))).sort()
}

export function describeTrafficRouter(name: string, setup: (target: RouterTarget) => ConformanceSetup | Promise<ConformanceSetup>): void {
  describe(`${name}: traffic router conformance`, () => {
    it('names itself and declares its capabilities', async () => {
      const { router } = await setup(conformanceTarget)
      expect(router.name).toBe(name)
      expect(typeof router.capabilities.mirroring).toBe('boolean')
      expect(typeof router.capabilities.weightVerification).toBe('boolean')
      expect(router.capabilities.weightVerification).toBe(typeof router.verify === 'function')
    })

    it('finds nothing wrong with the fixture objects', async () => {
      const { router } = await setup(conformanceTarget)
      expect(await router.validate()).toEqual([])
    })

    it.each([0, 1, 5, 33, 50, 99, 100])('round-trips a canary weight of %i through apply and observe', async (weight) => {
      const { router } = await setup(conformanceTarget)
      await router.apply(desiredTraffic(weight))
      expect((await router.observe()).canaryWeight).toBe(weight)
    })

    it('moves the weight up and back to 0', async () => {
      const { router } = await setup(conformanceTarget)
      await router.apply(desiredTraffic(40))
      await router.apply(desiredTraffic(80))
      expect((await router.observe()).canaryWeight).toBe(80)
      await router.apply(desiredTraffic(0))
      expect((await router.observe()).canaryWeight).toBe(0)
    })

    it('is idempotent: a second apply writes nothing', async () => {
      const { router, kube } = await setup(conformanceTarget)
      const desired = desiredTraffic(30)
      await router.apply(desired)
      const before = snapshot(kube)
      const writes = { ...kube.writes }
      const changes = await router.apply(desired)
      expect(changes.filter((c) => c.result !== 'unchanged')).toEqual([])
      expect(changedObjects(before, snapshot(kube))).toEqual([])
      expect(kube.writes).toEqual(writes)
    })

    it('reports exactly the objects it changed', async () => {
      const { router, kube } = await setup(conformanceTarget)
      await router.apply(desiredTraffic(0))
      for (const weight of [25, 60, 0]) {
        const before = snapshot(kube)
        const changes = await router.apply(desiredTraffic(weight))
        const reported = changes.filter((c) => c.result !== 'unchanged').map((c) => c.object).sort()
        expect(reported).toEqual(changedObjects(before, snapshot(kube)))
      }
    })

    it('leaves objects it does not own alone', async () => {
      const { router, kube } = await setup(conformanceTarget)
      const bystander: KubeObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bystander', namespace: 'default' },
        data: { keep: 'me' },
      }
      kube.seed(bystander)
      const before = kube.all().find((o) => o.kind === 'ConfigMap')
      await router.apply(desiredTraffic(50))
      await router.apply(desiredTraffic(0))
      expect(kube.all().find((o) => o.kind === 'ConfigMap')).toEqual(before)
    })

    it('keeps the weight when the pod-template hashes move', async () => {
      const { router } = await setup(conformanceTarget)
      await router.apply(desiredTraffic(0))
      const moved = desiredTraffic(0)
      moved.canary.podTemplateHash = 'n3wh4sh'
      moved.stable.podTemplateHash = 'c4n4ry'
      await router.apply(moved)
      expect((await router.observe()).canaryWeight).toBe(0)
    })

    it('routes a header only if it declares header routing, and then creates, orders and removes managed routes', async () => {
      const { router } = await setup(conformanceTarget)
      const support = router.capabilities.headerRouting
      if (!support) return
      const matchType = support.matchTypes[0] ?? 'exact'
      const route = (n: string, value: string): HeaderRoute => ({
        name: n,
        match: [{ headerName: 'x-canary', headerValue: { [matchType]: value } }],
      })
      await router.apply(desiredTraffic(20, { headerRoutes: [route('header-1', 'yes')] }))
      let observed = await router.observe()
      expect(observed.headerRoutes).toEqual(['header-1'])
      expect(observed.canaryWeight).toBe(20)

      await router.apply(desiredTraffic(20, { headerRoutes: [route('header-1', 'yes'), route('header-2', 'also')] }))
      expect((await router.observe()).headerRoutes).toEqual(['header-1', 'header-2'])

      await router.apply(desiredTraffic(20, { headerRoutes: [route('header-2', 'also')] }))
      expect((await router.observe()).headerRoutes).toEqual(['header-2'])

      await router.apply(desiredTraffic(0))
      observed = await router.observe()
      expect(observed.headerRoutes).toEqual([])
      expect(observed.canaryWeight).toBe(0)
    })

    it('mirrors traffic only if it declares mirroring, and then creates and removes mirror routes', async () => {
      const { router } = await setup(conformanceTarget)
      if (!router.capabilities.mirroring) return
      const mirror: MirrorRoute = { name: 'mirror-1', match: [{ method: { exact: 'GET' } }], percentage: 40 }
      await router.apply(desiredTraffic(10, { mirrorRoutes: [mirror] }))
      expect((await router.observe()).mirrorRoutes).toEqual(['mirror-1'])
      await router.apply(desiredTraffic(10))
      expect((await router.observe()).mirrorRoutes).toEqual([])
    })

    it('honours maxTrafficWeight only if it declares it', async () => {
      const { router } = await setup(conformanceTarget)
      if (!router.capabilities.maxTrafficWeight) return
      await router.apply(desiredTraffic(250, { maxWeight: 1000 }))
      expect((await router.observe()).canaryWeight).toBe(250)
    })
  })
}
