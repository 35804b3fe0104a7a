/**
 * The Istio router (@sluice/istio) driven by the real controller on the local control plane, with
 * the Istio CRDs installed with structural schemas (packages/istio/test/crds): a host-level split, a
 * subset-level split and a rollout with header and mirror routes, each checked at every step, at
 * promotion and after an abort, and through every version the objects went through (recorded from
 * watches): weights step by step, routes summing to 100, subsets moved before or after the weights
 * so that no revision gets traffic meant for another, the user's routes, fields and subsets kept.
 * Also: a VirtualService created as networking.istio.io/v1alpha3, two VirtualServices (one
 * v1beta1) with TLS and TCP routes, a GitOps re-apply and a user editing the VirtualService while the
 * controller writes it, and a missing VirtualService (InvalidSpec, then recovery).
 */
import { abort, promote } from '@sluice/client'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import type { KubeObject, Rollout } from '@sluice/core'
import { isConflict } from '@sluice/core'
import {
  apply,
  eventsFor,
  eventually,
  pods,
  record,
  eventNotesInclude,
  rolloutWhere,
  rolloutYaml,
  serviceSelectorHash,
  servicesYaml,
  setUp,
  startController,
  tearDown,
  timeline,
  transitions,
  updateImage,
} from './harness.ts'
import type { Env, Moment, Recorder } from './harness.ts'

const crds = ['virtualservice', 'destinationrule'].map((name) => fileURLToPath(new URL(`../../../../packages/istio/test/crds/${name}.yaml`, import.meta.url)))

const V1 = 'networking.istio.io/v1'
const HASH = 'rollouts-pod-template-hash'
const MANAGED_BY = 'argo-rollouts.argoproj.io/managed-by-rollouts'

interface Destination {
  host: string
  subset?: string
  port?: { number?: number }
}
interface RouteDestination {
  destination: Destination
  weight?: number
  [field: string]: unknown
}
interface HttpRoute {
  name?: string
  route?: RouteDestination[]
  mirror?: Destination
  [field: string]: unknown
}
interface VirtualService extends KubeObject {
  spec: { hosts?: string[]; http?: HttpRoute[]; tls?: { route?: RouteDestination[] }[]; tcp?: { route?: RouteDestination[] }[]; [field: string]: unknown }
}
interface Subset {
  name: string
  labels?: Record<string, string>
  [field: string]: unknown
}
interface DestinationRule extends KubeObject {
  spec: { host: string; subsets?: Subset[]; [field: string]: unknown }
}

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-istio', crds)
})
afterEach(async () => {
  await tearDown(env)
})

// --- helpers -------------------------------------------------------------------------------------

const isPausedAt = (index: number) => (r: Rollout) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index && !r.status.abort
const weightIs = (canary: number) => (r: Rollout) => r.status?.canary?.weights?.canary.weight === canary

async function virtualService(e: Env, name = 'web', apiVersion = V1): Promise<VirtualService> {
  const vs = await e.api.get<VirtualService>({ apiVersion, kind: 'VirtualService', namespace: e.namespace, name })
  if (!vs) throw new Error(`VirtualService ${name} not found`)
  return vs
}

async function destinationRule(e: Env, name = 'web'): Promise<DestinationRule> {
  const dr = await e.api.get<DestinationRule>({ apiVersion: V1, kind: 'DestinationRule', namespace: e.namespace, name })
  if (!dr) throw new Error(`DestinationRule ${name} not found`)
  return dr
}

const httpRoute = (vs: VirtualService, name: string) => vs.spec.http?.find((r) => r.name === name)
const routeNames = (vs: VirtualService) => (vs.spec.http ?? []).map((r) => r.name ?? '(unnamed)')
const shortHost = (host: string) => host.split('.')[0]

/** The weight of the destination of a route whose short host (and subset, if given) match. */
function weightOf(route: HttpRoute | undefined, host: string, subset?: string): number | undefined {
  const entry = route?.route?.find((d) => shortHost(d.destination.host) === host && (subset === undefined || d.destination.subset === subset))
  return entry ? (entry.weight ?? 0) : undefined
}

/** Every route of a recorded VirtualService whose weights do not add up: several destinations must sum to 100, a single one is 100 or unweighted. */
function badSums(vs: VirtualService): string[] {
  const lists = { http: vs.spec.http ?? [], tls: vs.spec.tls ?? [], tcp: vs.spec.tcp ?? [] }
  const bad: string[] = []
  for (const [kind, routes] of Object.entries(lists)) {
    routes.forEach((route: { name?: string; route?: RouteDestination[] }, i) => {
      const destinations = route.route ?? []
      const weights = destinations.map((d) => d.weight)
      const ok = destinations.length === 1 ? weights[0] === undefined || weights[0] === 100 : weights.reduce<number>((sum, w) => sum + (w ?? 0), 0) === 100
      if (!ok) bad.push(`rv ${vs.metadata.resourceVersion} ${kind}[${i}] ${route.name ?? ''}: ${JSON.stringify(weights)}`)
    })
  }
  return bad
}

/** Fields of the VirtualService spec other than the route lists, and of its metadata that users set. */
const unmanaged = (vs: VirtualService) => {
  const { http: _http, tls: _tls, tcp: _tcp, ...rest } = vs.spec
  return { spec: rest, labels: vs.metadata.labels, annotations: vs.metadata.annotations }
}

/** The managers of the object's fields and the top-level fields each owns (`f:spec` → its children). */
function fieldOwners(object: KubeObject): Record<string, string[]> {
  const entries = (object.metadata.managedFields ?? []) as { manager: string; operation: string; fieldsV1?: Record<string, Record<string, unknown>> }[]
  return Object.fromEntries(entries.map((m) => [`${m.manager}/${m.operation}`, Object.entries(m.fieldsV1 ?? {}).flatMap(([k, v]) => Object.keys(v).map((child) => `${k}.${child}`))]))
}

/** What a user does with `kubectl edit`: read, change, write back with the read resourceVersion; again on a conflict. */
async function editVirtualService(e: Env, change: (vs: VirtualService) => void): Promise<VirtualService> {
  for (;;) {
    const vs = await virtualService(e)
    change(vs)
    try {
      return await e.api.replace(vs)
    } catch (error) {
      if (!isConflict(error)) throw error
    }
  }
}

interface Exposure {
  canary: { weight: number; hash: string | undefined }
  stable: { weight: number; hash: string | undefined }
}

/**
 * Judges every moment of a timeline of the Rollout, its ReplicaSets and the routing objects
 * (`exposure` reads, from the latest versions, each role's weight and the pod-template hash its
 * subset or Service selects; undefined: selects every revision, not judged):
 * - a positive canary weight only on the revision the Rollout moves to or the one its status
 *   records as carrying the canary weight; once aborted, also on the stable revision (the canary
 *   Service is pointed back at the stable pods in the same reconcile as the weight goes to 0, and
 *   before it, as in Argo Rollouts: that moves traffic towards the stable, which has the pods);
 * - a positive stable weight only on the Rollout's stable revision;
 * - no revision gets a share of the traffic its available pods cannot carry (a weight w needs
 *   ceil(w × replicas / 100) of them: the controller raises the weight only once they are there).
 */
function misroutedTraffic(moments: Moment[], exposure: (objects: Record<string, KubeObject>) => Exposure, replicas = 4): string[] {
  const wrong: string[] = []
  for (const { changed, objects } of moments) {
    const rollout = objects['Rollout/web'] as Rollout | undefined
    // The watches start with the objects as they are (older versions first): judge from the moment all are known.
    if (!rollout || !Object.keys(objects).some((k) => k.startsWith('VirtualService/'))) continue
    const { canary, stable } = exposure(objects)
    const at = `after ${changed.kind} ${changed.metadata.name} rv ${changed.metadata.resourceVersion}`
    const status = rollout.status
    const canaryMayGoTo = [status?.currentPodHash, status?.canary?.weights?.canary.podTemplateHash, ...(status?.abort ? [status.stableRS] : [])]
    if (canary.weight > 0 && canary.hash !== undefined && !canaryMayGoTo.includes(canary.hash)) {
      wrong.push(`${at}: canary weight ${canary.weight} on ${canary.hash}; the canary is ${status?.currentPodHash}`)
    }
    if (stable.weight > 0 && stable.hash !== undefined && stable.hash !== status?.stableRS) wrong.push(`${at}: stable weight ${stable.weight} on ${stable.hash}; the stable is ${status?.stableRS}`)
    const shares = new Map<string, number>()
    for (const role of [canary, stable]) if (role.hash !== undefined) shares.set(role.hash, (shares.get(role.hash) ?? 0) + role.weight)
    for (const [hash, share] of shares) {
      if (share === 0) continue
      const rs = Object.values(objects).find((o) => o.kind === 'ReplicaSet' && o.metadata.labels?.[HASH] === hash) as
        | (KubeObject & { spec?: { replicas?: number }; status?: { availableReplicas?: number } })
        | undefined
      const ready = Math.min(rs?.spec?.replicas ?? 0, rs?.status?.availableReplicas ?? 0)
      const needed = Math.ceil((share * replicas) / 100)
      if (ready < needed) wrong.push(`${at}: ${share} % on ${hash}, which has ${ready} available pods (${needed} needed)`)
    }
  }
  return wrong
}

const stopAll = (...recorders: Recorder<KubeObject>[]) => recorders.forEach((r) => r.stop())

// --- manifests -----------------------------------------------------------------------------------


/** The Rollout `web` (4 pods, short scale-down delays); `canary` holds the rest of its canary strategy, indented. */
const istioRollout = (canary: string) => rolloutYaml(`scaleDownDelaySeconds: 2\nabortScaleDownDelaySeconds: 2\n${canary.replace(/^ {6}/gm, '')}`)

// --- host-level split ----------------------------------------------------------------------------

const hostSteps = `      - setWeight: 20
      - pause: {}
      - setWeight: 50
      - pause: {}`

const hostManifest = (ns: string, steps = hostSteps) => `
${servicesYaml()}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  labels: {team: shop}
  annotations: {example.com/owner: shop-team}
spec:
  hosts: [web.example.com]
  gateways: [istio-system/public-gateway]
  http:
  - name: admin
    match: [{uri: {prefix: /admin}}]
    route:
    - destination: {host: web-admin.${ns}.svc.cluster.local, port: {number: 8080}}
    retries: {attempts: 2, perTryTimeout: 1s}
  - name: primary
    route:
    - destination: {host: web-stable.${ns}.svc.cluster.local, port: {number: 80}}
      weight: 100
      headers: {response: {set: {x-track: stable}}}
    - destination: {host: web-canary, port: {number: 80}}
      weight: 0
      headers: {response: {set: {x-track: canary}}}
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: 5xx}
    timeout: 10s
---
${istioRollout(`      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        istio:
          virtualService: {name: web, routes: [primary]}
      steps:
${steps}`)}`

const adminRoute = (ns: string, timeout?: string): HttpRoute => ({
  name: 'admin',
  match: [{ uri: { prefix: '/admin' } }],
  route: [{ destination: { host: `web-admin.${ns}.svc.cluster.local`, port: { number: 8080 } } }],
  retries: { attempts: 2, perTryTimeout: '1s' },
  ...(timeout ? { timeout } : {}),
})

const hostPrimary = (ns: string, canary: number): HttpRoute => ({
  name: 'primary',
  route: [
    { destination: { host: `web-stable.${ns}.svc.cluster.local`, port: { number: 80 } }, weight: 100 - canary, headers: { response: { set: { 'x-track': 'stable' } } } },
    { destination: { host: 'web-canary', port: { number: 80 } }, weight: canary, headers: { response: { set: { 'x-track': 'canary' } } } },
  ],
  retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx' },
  timeout: '10s',
})

const hostSpec = (ns: string, canary: number, adminTimeout?: string) => ({
  hosts: ['web.example.com'],
  gateways: ['istio-system/public-gateway'],
  http: [adminRoute(ns, adminTimeout), hostPrimary(ns, canary)],
})

describe('Istio host-level split', () => {
  it('moves the weights of the primary route step by step, keeps the user route and a user edit, promotes and aborts', { timeout: 240_000 }, async () => {
    const e = env as Env
    const ns = e.namespace
    const ref = { namespace: ns, name: 'web' }
    const vsRecorder = await record<VirtualService>(e, V1, 'VirtualService')
    const others = await Promise.all([record(e, 'argoproj.io/v1alpha1', 'Rollout'), record(e, 'apps/v1', 'ReplicaSet'), record(e, 'v1', 'Service')])
    await startController(e)
    await apply(e, hostManifest(ns))

    // Given a healthy first revision: the VirtualService already sends everything to the stable,
    // so nothing is written to it.
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && weightIs(0)(r))
    const v1 = first.status?.stableRS ?? ''
    const created = await virtualService(e)
    expect(created.spec).toEqual(hostSpec(ns, 0))
    expect(Object.keys(fieldOwners(created)).some((m) => m.startsWith('sluice-istio'))).toBe(false)
    expect(first.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v1 }, stable: { weight: 100, podTemplateHash: v1 } })

    // When a second revision reaches its first step: 20 % to the canary Service, the rest to the
    // stable, every other field of the route and the VirtualService as it was.
    const v2 = await updateImage(e, 'web', 'web:2')
    let r = await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20, podTemplateHash: v2, serviceName: 'web-canary' }, stable: { weight: 80, podTemplateHash: v1, serviceName: 'web-stable' } })
    let vs = await virtualService(e)
    expect(vs.spec).toEqual(hostSpec(ns, 20))
    expect(vs.metadata.labels).toEqual({ team: 'shop' })
    expect(vs.metadata.annotations).toEqual({ 'example.com/owner': 'shop-team' })
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v2)
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(v1)
    expect(await pods(e, 'web')).toEqual({ canary: '1/1', stable: '4/4', others: '' })
    // Server-side apply with its own field manager, owning the route list and nothing else.
    expect(fieldOwners(vs)['sluice-istio/Apply']).toEqual(['f:spec.f:http'])

    // And a user adds a timeout to their own route mid-rollout (kubectl edit).
    await editVirtualService(e, (x) => {
      const admin = httpRoute(x, 'admin')
      if (admin) admin.timeout = '5s'
    })

    // Then the next step keeps it: 50 %, the user's timeout still there.
    await promote(e.api, ref)
    r = await rolloutWhere(e, 'web', 'paused at step 3', isPausedAt(3))
    expect(r.status?.canary?.weights?.canary.weight).toBe(50)
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 50, '5s'))
    expect(await pods(e, 'web')).toEqual({ canary: '2/2', stable: '4/4', others: '' })

    // Promotion: all traffic to the canary, then the stable Service moves to the new pods and the
    // weight returns to the stable.
    await promote(e.api, ref)
    r = await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.phase === 'Healthy' && x.status.stableRS === v2 && weightIs(0)(x), 90_000)
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 0, '5s'))
    expect(await serviceSelectorHash(e, 'web-stable')).toBe(v2)
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v2 }, stable: { weight: 100, podTemplateHash: v2 } })

    // A third revision, aborted at 20 %: the weight is back at 0 at once, the canary Service points at
    // the stable pods again, the user's fields are untouched.
    const v3 = await updateImage(e, 'web', 'web:3')
    await rolloutWhere(e, 'web', 'v3 paused at step 1', isPausedAt(1))
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 20, '5s'))
    await abort(e.api, ref)
    r = await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && weightIs(0)(x))
    vs = await virtualService(e)
    expect(vs.spec).toEqual(hostSpec(ns, 0, '5s'))
    expect(await serviceSelectorHash(e, 'web-canary')).toBe(v2)
    expect(r.status?.currentPodHash).toBe(v3)
    expect(r.status?.stableRS).toBe(v2)
    await eventually('aborted canary drained after its delay', async () => (await pods(e, 'web')).canary === '0/0')
    stopAll(vsRecorder, ...others)

    // Every version of the VirtualService: the canary weight went through each step once, in order;
    // every route summed to 100 at every write; the user's route and the object's other fields
    // changed only when the user changed them.
    const seen = vsRecorder.seen
    expect(transitions(seen.map((x) => weightOf(httpRoute(x, 'primary'), 'web-canary')))).toEqual([0, 20, 50, 100, 0, 20, 0])
    expect(seen.flatMap(badSums)).toEqual([])
    expect(transitions(seen.map((x) => httpRoute(x, 'admin')))).toEqual([adminRoute(ns), adminRoute(ns, '5s')])
    expect(transitions(seen.map(unmanaged))).toEqual([unmanaged(created)])
    expect(transitions(seen.map(routeNames))).toEqual([['admin', 'primary']])
    // The primary route's fields other than weights never changed.
    const withoutWeights = (route: HttpRoute | undefined) => ({ ...route, route: route?.route?.map(({ weight: _w, ...rest }) => rest) })
    expect(transitions(seen.map((x) => withoutWeights(httpRoute(x, 'primary'))))).toEqual([withoutWeights(hostPrimary(ns, 0))])

    // At every moment, the canary and stable Services selected the revisions meant to carry their
    // weights, and those had the pods for it.
    const misrouted = misroutedTraffic(timeline(vsRecorder, ...others), (objects) => {
      const route = httpRoute(objects['VirtualService/web'] as VirtualService, 'primary')
      const selects = (name: string) => (objects[`Service/${name}`]?.spec as { selector?: Record<string, string> } | undefined)?.selector?.[HASH]
      return { canary: { weight: weightOf(route, 'web-canary') ?? 0, hash: selects('web-canary') }, stable: { weight: weightOf(route, 'web-stable') ?? 0, hash: selects('web-stable') } }
    })
    expect(misrouted).toEqual([])

    // Each weight change is reported once on the Rollout, in Argo Rollouts' words (the objects go to
    // the log), as far as the Rollout's burst of 25 Normal Events goes.
    const changed = (from: number, to: number) => `Traffic weight updated from ${from} to ${to}`
    await eventNotesInclude(e, 'web', 'TrafficWeightUpdated', ['Traffic weight updated to 0', changed(0, 20), changed(20, 50), changed(50, 100), changed(100, 0), changed(0, 20), changed(20, 0)])
  })
})

// --- subset-level split ----------------------------------------------------------------------------

const subsetManifest = (ns: string) => `
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web.${ns}.svc.cluster.local
  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
  subsets:
  - name: canary
    labels: {app: web}
  - name: stable
    labels: {app: web}
  - name: debug
    labels: {app: web, track: debug}
    trafficPolicy: {connectionPool: {http: {http1MaxPendingRequests: 10}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web]
  http:
  - name: debug
    match: [{headers: {x-debug: {exact: "on"}}}]
    route:
    - destination: {host: web, subset: debug}
  - name: primary
    route:
    - destination: {host: web, subset: stable}
      weight: 100
    - destination: {host: web, subset: canary}
      weight: 0
    timeout: 15s
---
${istioRollout(`      trafficRouting:
        istio:
          virtualService: {name: web, routes: [primary]}
          destinationRule: {name: web, canarySubsetName: canary, stableSubsetName: stable}
      steps:
      - setWeight: 25
      - pause: {}
      - setWeight: 75
      - pause: {}`)}`

const debugSubset: Subset = { name: 'debug', labels: { app: 'web', track: 'debug' }, trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 10 } } } }
const debugRoute: HttpRoute = { name: 'debug', match: [{ headers: { 'x-debug': { exact: 'on' } } }], route: [{ destination: { host: 'web', subset: 'debug' } }] }

const subsets = (canaryHash: string, stableHash: string): Subset[] => [
  { name: 'canary', labels: { app: 'web', [HASH]: canaryHash } },
  { name: 'stable', labels: { app: 'web', [HASH]: stableHash } },
  debugSubset,
]

const subsetRuleSpec = (ns: string, canaryHash: string, stableHash: string) => ({
  host: `web.${ns}.svc.cluster.local`,
  trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
  subsets: subsets(canaryHash, stableHash),
})

const subsetVsSpec = (canary: number) => ({
  hosts: ['web'],
  http: [
    debugRoute,
    {
      name: 'primary',
      route: [
        { destination: { host: 'web', subset: 'stable' }, weight: 100 - canary },
        { destination: { host: 'web', subset: 'canary' }, weight: canary },
      ],
      timeout: '15s',
    },
  ],
})

describe('Istio subset-level split', () => {
  it('points the subsets at the canary and stable pods, moves them and the weights in a safe order, keeps the other subset', { timeout: 300_000 }, async () => {
    const e = env as Env
    const ns = e.namespace
    const ref = { namespace: ns, name: 'web' }
    await startController(e)
    await apply(e, subsetManifest(ns))

    // Given a healthy first revision: both subsets select its pods; the DestinationRule is marked
    // as managed by the Rollout; the user's subset is untouched.
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && weightIs(0)(r))
    const v1 = first.status?.stableRS ?? ''
    await eventually('subsets labelled with the first revision', async () => isDeepStrictEqual((await destinationRule(e)).spec.subsets, subsets(v1, v1)))
    const dr = await destinationRule(e)
    expect(dr.spec).toEqual(subsetRuleSpec(ns, v1, v1))
    expect(dr.metadata.annotations).toEqual({ [MANAGED_BY]: 'web' })
    expect(fieldOwners(dr)['sluice-istio/Apply']?.sort()).toEqual(['f:metadata.f:annotations', 'f:spec.f:subsets'])
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(0))

    const rollouts = await record<Rollout>(e, 'argoproj.io/v1alpha1', 'Rollout')
    const replicaSets = await record(e, 'apps/v1', 'ReplicaSet')
    const rules = await record<DestinationRule>(e, V1, 'DestinationRule')
    const services = await record<VirtualService>(e, V1, 'VirtualService')

    // When a second revision reaches 25 %: the canary subset selects its pods, the stable subset
    // still the first revision's.
    const v2 = await updateImage(e, 'web', 'web:2')
    let r = await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 25, podTemplateHash: v2 }, stable: { weight: 75, podTemplateHash: v1 } })
    expect((await destinationRule(e)).spec).toEqual(subsetRuleSpec(ns, v2, v1))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(25))
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'paused at step 3', isPausedAt(3))
    expect((await destinationRule(e)).spec).toEqual(subsetRuleSpec(ns, v2, v1))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(75))

    // And a third revision replaces that canary while it carries 75 %: the canary subset moves to
    // the new pods only once the weight no longer sends them more than they can take.
    const v3 = await updateImage(e, 'web', 'web:3')
    r = await rolloutWhere(e, 'web', 'v3 paused at step 1', isPausedAt(1))
    expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 25, podTemplateHash: v3 }, stable: { weight: 75, podTemplateHash: v1 } })
    expect((await destinationRule(e)).spec).toEqual(subsetRuleSpec(ns, v3, v1))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(25))
    await eventually('the replaced canary scaled down', async () => (await pods(e, 'web')).others === '0/0')
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'v3 paused at step 3', isPausedAt(3))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(75))

    // Promotion: the stable subset moves to the new pods, and the weight returns to it.
    await promote(e.api, ref)
    r = await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.phase === 'Healthy' && x.status.stableRS === v3 && weightIs(0)(x), 90_000)
    expect((await destinationRule(e)).spec).toEqual(subsetRuleSpec(ns, v3, v3))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(0))

    // A fourth revision, aborted at 25 %: the weight goes back to the stable subset (still v3's
    // pods); the canary subset keeps the aborted revision's label, with no weight.
    const v4 = await updateImage(e, 'web', 'web:4')
    await rolloutWhere(e, 'web', 'v4 paused at step 1', isPausedAt(1))
    expect((await destinationRule(e)).spec).toEqual(subsetRuleSpec(ns, v4, v3))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(25))
    await abort(e.api, ref)
    r = await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && weightIs(0)(x))
    expect((await virtualService(e)).spec).toEqual(subsetVsSpec(0))
    expect((await destinationRule(e)).spec).toEqual(subsetRuleSpec(ns, v4, v3))
    await eventually('aborted canary drained after its delay', async () => (await pods(e, 'web')).canary === '0/0')
    stopAll(rollouts, replicaSets, rules, services)

    // The weights went through each step once, in order; every route summed to 100.
    const canaryWeights = transitions(services.seen.map((x) => weightOf(httpRoute(x, 'primary'), 'web', 'canary')))
    // (The replaced canary's weight drops to 0 at once: the new revision has no pod yet.)
    expect(canaryWeights).toEqual([0, 25, 75, 0, 25, 75, 100, 0, 25, 0])
    expect(services.seen.flatMap(badSums)).toEqual([])
    // The subsets tracked the hashes: canary to v2, then v3, stable to v3 at promotion, canary to v4.
    const hashes = transitions(rules.seen.map((x) => ['canary', 'stable'].map((name) => x.spec.subsets?.find((s) => s.name === name)?.labels?.[HASH])))
    expect(hashes).toEqual([
      [v1, v1],
      [v2, v1],
      [v3, v1],
      [v3, v3],
      [v4, v3],
    ])
    // The user's subset, route and the other fields never changed.
    expect(transitions(rules.seen.map((x) => x.spec.subsets?.find((s) => s.name === 'debug')))).toEqual([debugSubset])
    expect(transitions(rules.seen.map((x) => ({ host: x.spec.host, trafficPolicy: x.spec.trafficPolicy, names: x.spec.subsets?.map((s) => s.name) })))).toEqual([
      { host: `web.${ns}.svc.cluster.local`, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } }, names: ['canary', 'stable', 'debug'] },
    ])
    expect(transitions(services.seen.map((x) => httpRoute(x, 'debug')))).toEqual([debugRoute])

    // At every moment (the four kinds' versions merged in write order), traffic went only to the
    // revision meant for it and to pods that could carry it.
    const moments = timeline(rollouts, replicaSets, rules, services)
    const misrouted = misroutedTraffic(moments, (objects) => {
      const rule = objects['DestinationRule/web'] as DestinationRule | undefined
      const route = httpRoute(objects['VirtualService/web'] as VirtualService, 'primary')
      const label = (name: string) => rule?.spec.subsets?.find((s) => s.name === name)?.labels?.[HASH]
      return { canary: { weight: weightOf(route, 'web', 'canary') ?? 0, hash: label('canary') }, stable: { weight: weightOf(route, 'web', 'stable') ?? 0, hash: label('stable') } }
    })
    expect(misrouted).toEqual([])
  })
})

// --- header and mirror routes, a v1alpha3 VirtualService -------------------------------------------

const routesManifest = `
${servicesYaml()}---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  http:
  - name: health
    match: [{uri: {exact: /healthz}}]
    route:
    - destination: {host: web-stable, port: {number: 80}}
  - name: primary
    route:
    - destination: {host: web-stable, port: {number: 80}}
      weight: 100
    - destination: {host: web-canary, port: {number: 80}}
      weight: 0
---
${istioRollout(`      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        managedRoutes:
        - name: mirror-orders
        - name: canary-by-header
        istio:
          virtualService: {name: web, routes: [primary]}
      steps:
      - setWeight: 10
      - setHeaderRoute:
          name: canary-by-header
          match:
          - headerName: X-Canary
            headerValue: {exact: "yes"}
          - headerName: user-agent
            headerValue: {regex: ".*Firefox.*"}
      - pause: {}
      - setMirrorRoute:
          name: mirror-orders
          percentage: 50
          match:
          - method: {exact: POST}
            path: {prefix: /orders}
      - setWeight: 30
      - pause: {}
      - setHeaderRoute:
          name: canary-by-header
      - pause: {}
`)}`

const healthRoute: HttpRoute = { name: 'health', match: [{ uri: { exact: '/healthz' } }], route: [{ destination: { host: 'web-stable', port: { number: 80 } } }] }
const splitOf = (canary: number): RouteDestination[] => [
  { destination: { host: 'web-stable', port: { number: 80 } }, weight: 100 - canary },
  { destination: { host: 'web-canary', port: { number: 80 } }, weight: canary },
]
const primaryRoute = (canary: number): HttpRoute => ({ name: 'primary', route: splitOf(canary) })
const headerRoute: HttpRoute = {
  name: 'canary-by-header',
  match: [{ headers: { 'x-canary': { exact: 'yes' } } }, { headers: { 'user-agent': { regex: '.*Firefox.*' } } }],
  route: [{ destination: { host: 'web-canary', port: { number: 80 } }, weight: 100 }],
}
const mirrorRoute = (canary: number): HttpRoute => ({
  name: 'mirror-orders',
  match: [{ method: { exact: 'POST' }, uri: { prefix: '/orders' } }],
  route: splitOf(canary),
  mirror: { host: 'web-canary', port: { number: 80 } },
  mirrorPercentage: { value: 50 },
})

describe('Istio header and mirror routes', () => {
  it('creates the managed routes first in managedRoutes order, keeps them on the split, removes them at promotion and on abort (VirtualService created as v1alpha3)', { timeout: 240_000 }, async () => {
    const e = env as Env
    const ref = { namespace: e.namespace, name: 'web' }
    // Watched through the version the user wrote; the controller reads and writes through v1.
    const recorder = await record<VirtualService>(e, 'networking.istio.io/v1alpha3', 'VirtualService')
    await startController(e)
    const created = (await apply(e, routesManifest)).find((o) => o.kind === 'VirtualService')
    expect(created?.apiVersion).toBe('networking.istio.io/v1alpha3')

    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && weightIs(0)(r))
    expect((await virtualService(e)).spec.http).toEqual([healthRoute, primaryRoute(0)])

    // Step 1: the header route, above the user's routes; header names lower-cased.
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at step 2', isPausedAt(2))
    expect((await virtualService(e)).spec.http).toEqual([headerRoute, healthRoute, primaryRoute(10)])

    // Step 3-5: the mirror route goes above the header route (managedRoutes order, not creation
    // order) and follows the split.
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'paused at step 5', isPausedAt(5))
    const both = await virtualService(e)
    expect(both.spec.http).toEqual([mirrorRoute(30), headerRoute, healthRoute, primaryRoute(30)])
    // The same object through every served version.
    const alpha = await virtualService(e, 'web', 'networking.istio.io/v1alpha3')
    const beta = await virtualService(e, 'web', 'networking.istio.io/v1beta1')
    expect(alpha.apiVersion).toBe('networking.istio.io/v1alpha3')
    expect(alpha.spec).toEqual(both.spec)
    expect(beta.spec).toEqual(both.spec)

    // Step 6: the header route removed, the mirror route kept.
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'paused at step 7', isPausedAt(7))
    expect((await virtualService(e)).spec.http).toEqual([mirrorRoute(30), healthRoute, primaryRoute(30)])

    // Promotion removes every managed route.
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.phase === 'Healthy' && x.status.stableRS === x.status.currentPodHash && weightIs(0)(x), 90_000)
    expect((await virtualService(e)).spec.http).toEqual([healthRoute, primaryRoute(0)])

    // A third revision with both routes, aborted: routes gone, weights 0/100.
    await updateImage(e, 'web', 'web:3')
    await rolloutWhere(e, 'web', 'v3 paused at step 2', isPausedAt(2))
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'v3 paused at step 5', isPausedAt(5))
    expect((await virtualService(e)).spec.http).toEqual([mirrorRoute(30), headerRoute, healthRoute, primaryRoute(30)])
    await abort(e.api, ref)
    await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && weightIs(0)(x))
    expect((await virtualService(e)).spec).toEqual({ hosts: ['web.example.com'], http: [healthRoute, primaryRoute(0)] })
    recorder.stop()

    const seen = recorder.seen
    expect(seen.every((x) => x.apiVersion === 'networking.istio.io/v1alpha3')).toBe(true)
    expect(transitions(seen.map(routeNames))).toEqual([
      ['health', 'primary'],
      ['canary-by-header', 'health', 'primary'],
      ['mirror-orders', 'canary-by-header', 'health', 'primary'],
      ['mirror-orders', 'health', 'primary'],
      ['health', 'primary'],
      ['canary-by-header', 'health', 'primary'],
      ['mirror-orders', 'canary-by-header', 'health', 'primary'],
      ['health', 'primary'],
    ])
    expect(transitions(seen.map((x) => weightOf(httpRoute(x, 'primary'), 'web-canary')))).toEqual([0, 10, 30, 100, 0, 10, 30, 0])
    expect(seen.flatMap(badSums)).toEqual([])
    // The mirror route always carried the primary route's split; the user's route never changed.
    expect(seen.filter((x) => httpRoute(x, 'mirror-orders')).every((x) => isDeepStrictEqual(httpRoute(x, 'mirror-orders')?.route, httpRoute(x, 'primary')?.route))).toBe(true)
    expect(transitions(seen.map((x) => httpRoute(x, 'health')))).toEqual([healthRoute])
  })
})

// --- several VirtualServices, TLS and TCP routes ----------------------------------------------------

const edgeYaml = (ns: string) => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: web-edge}
spec:
  hosts: [web.example.com, other.example.com]
  gateways: [istio-system/edge-gateway]
  tls:
  - match: [{port: 443, sniHosts: [web.example.com]}]
    route:
    - destination: {host: web-stable.${ns}.svc.cluster.local, port: {number: 443}}
      weight: 100
    - destination: {host: web-canary.${ns}.svc.cluster.local, port: {number: 443}}
      weight: 0
  - match: [{port: 443, sniHosts: [other.example.com]}]
    route:
    - destination: {host: other, port: {number: 443}}
  tcp:
  - match: [{port: 5432}]
    route:
    - destination: {host: web-stable, port: {number: 5432}}
      weight: 100
    - destination: {host: web-canary, port: {number: 5432}}
      weight: 0
`

const edgeSpec = (ns: string, canary: number) => ({
  hosts: ['web.example.com', 'other.example.com'],
  gateways: ['istio-system/edge-gateway'],
  tls: [
    {
      match: [{ port: 443, sniHosts: ['web.example.com'] }],
      route: [
        { destination: { host: `web-stable.${ns}.svc.cluster.local`, port: { number: 443 } }, weight: 100 - canary },
        { destination: { host: `web-canary.${ns}.svc.cluster.local`, port: { number: 443 } }, weight: canary },
      ],
    },
    { match: [{ port: 443, sniHosts: ['other.example.com'] }], route: [{ destination: { host: 'other', port: { number: 443 } } }] },
  ],
  tcp: [
    {
      match: [{ port: 5432 }],
      route: [
        { destination: { host: 'web-stable', port: { number: 5432 } }, weight: 100 - canary },
        { destination: { host: 'web-canary', port: { number: 5432 } }, weight: canary },
      ],
    },
  ],
})

describe('Istio several VirtualServices', () => {
  it('shifts HTTP, TLS and TCP routes of two VirtualServices (one v1beta1) together, leaving the other TLS route alone', { timeout: 180_000 }, async () => {
    const e = env as Env
    const ns = e.namespace
    const ref = { namespace: ns, name: 'web' }
    const manifest = hostManifest(ns).replace(
      '          virtualService: {name: web, routes: [primary]}',
      `          virtualServices:
          - {name: web, routes: [primary]}
          - {name: web-edge.${ns}, tlsRoutes: [{port: 443, sniHosts: [web.example.com]}], tcpRoutes: [{port: 5432}]}`,
    )
    const recorder = await record<VirtualService>(e, V1, 'VirtualService')
    await startController(e)
    await apply(e, `${edgeYaml(ns)}---${manifest}`)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && weightIs(0)(r))

    const v2 = await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 20))
    const edge = await virtualService(e, 'web-edge', 'networking.istio.io/v1beta1')
    expect(edge.spec).toEqual(edgeSpec(ns, 20))
    // Both route lists are applied (also the one of a kind it did not change), nothing else.
    expect(fieldOwners(edge)['sluice-istio/Apply']?.sort()).toEqual(['f:spec.f:tcp', 'f:spec.f:tls'])

    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'paused at step 3', isPausedAt(3))
    expect((await virtualService(e, 'web-edge')).spec).toEqual(edgeSpec(ns, 50))
    await promote(e.api, ref)
    await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.phase === 'Healthy' && x.status.stableRS === v2 && weightIs(0)(x), 90_000)
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 0))
    expect((await virtualService(e, 'web-edge')).spec).toEqual(edgeSpec(ns, 0))

    await updateImage(e, 'web', 'web:3')
    await rolloutWhere(e, 'web', 'v3 paused at step 1', isPausedAt(1))
    expect((await virtualService(e, 'web-edge')).spec).toEqual(edgeSpec(ns, 20))
    await abort(e.api, ref)
    await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.abort === true && weightIs(0)(x))
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 0))
    expect((await virtualService(e, 'web-edge')).spec).toEqual(edgeSpec(ns, 0))
    recorder.stop()

    const edges = recorder.seen.filter((x) => x.metadata.name === 'web-edge')
    const tlsWeights = transitions(edges.map((x) => weightOf(x.spec.tls?.[0], 'web-canary')))
    const tcpWeights = transitions(edges.map((x) => weightOf(x.spec.tcp?.[0], 'web-canary')))
    expect(tlsWeights).toEqual([0, 20, 50, 100, 0, 20, 0])
    expect(tcpWeights).toEqual(tlsWeights)
    expect(recorder.seen.flatMap(badSums)).toEqual([])
    expect(transitions(edges.map((x) => x.spec.tls?.[1]))).toEqual([edgeSpec(ns, 0).tls[1]])
  })
})

// --- others writing the VirtualService -----------------------------------------------------------

describe('Istio VirtualService written by others mid-rollout', () => {
  it('takes the weights back from a GitOps re-apply, and loses none of a concurrent editor\'s changes', { timeout: 240_000 }, async () => {
    const e = env as Env
    const ns = e.namespace
    const ref = { namespace: ns, name: 'web' }
    const steps = `      - setWeight: 20
      - pause: {}
      - setWeight: 40
      - pause: {duration: 1}
      - setWeight: 60
      - pause: {duration: 1}
      - setWeight: 80
      - pause: {duration: 1}`
    const recorder = await record<VirtualService>(e, V1, 'VirtualService')
    await startController(e)
    const manifest = hostManifest(ns, steps)
    const original = (await apply(e, manifest)).find((o) => o.kind === 'VirtualService') as VirtualService
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && weightIs(0)(r))
    const v2 = await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 20))

    // A GitOps tool re-applies the manifest from Git (server-side, forced): the weights go back to
    // 100/0 and the controller, woken by the watch, sets them again.
    const synced = Date.now()
    const { apiVersion, kind, spec } = original
    await e.api.apply({ apiVersion, kind, metadata: { name: 'web', namespace: ns }, spec }, { fieldManager: 'gitops', force: true })
    await eventually('the weights taken back', async () => isDeepStrictEqual((await virtualService(e)).spec, hostSpec(ns, 20)), 30_000)
    process.stderr.write(`[e2e istio] weights restored ${Date.now() - synced} ms after a GitOps re-apply\n`)
    expect(fieldOwners(await virtualService(e))['sluice-istio/Apply']).toEqual(['f:spec.f:http'])

    // A user keeps editing their route (kubectl edit, retried on conflicts) while the controller
    // moves through the timed steps: every edit survives; none is undone by a write computed from
    // an older read (the controller's applies carry the resourceVersion they read).
    let edits = 0
    let stop = false
    const editor = (async () => {
      while (!stop) {
        await editVirtualService(e, (x) => {
          const admin = httpRoute(x, 'admin')
          if (admin) admin.timeout = `${edits + 1}s`
        })
        edits += 1
        await new Promise((r) => setTimeout(r, 25))
      }
    })()
    try {
      await promote(e.api, ref)
      await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.phase === 'Healthy' && x.status.stableRS === v2 && weightIs(0)(x), 90_000)
    } finally {
      stop = true
      await editor
    }
    recorder.stop()
    expect(edits).toBeGreaterThan(20)
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 0, `${edits}s`))

    const seen = recorder.seen
    const timeouts = seen.map((x) => Number.parseInt(String(httpRoute(x, 'admin')?.timeout ?? '0'), 10))
    const undone = timeouts.flatMap((t, i) => (i > 0 && t < (timeouts[i - 1] ?? 0) ? [`rv ${seen[i]?.metadata.resourceVersion}: timeout ${timeouts[i - 1]}s → ${t}s`] : []))
    expect(undone).toEqual([])
    expect(transitions(seen.map((x) => weightOf(httpRoute(x, 'primary'), 'web-canary')))).toEqual([0, 20, 0, 20, 40, 60, 80, 100, 0])
    expect(seen.flatMap(badSums)).toEqual([])
  })
})

// A VirtualService name may contain dots (`web.internal.<ns>`: namespace after the last dot); the
// controller must watch it under the same name the router reads.
describe('Istio VirtualService with a dot in its name', () => {
  it('is watched like any other: a GitOps re-apply is undone at once', { timeout: 120_000 }, async () => {
    const e = env as Env
    const ns = e.namespace
    const manifest = hostManifest(ns)
      .replace('metadata:\n  name: web\n  labels', 'metadata:\n  name: web.internal\n  labels')
      .replace('virtualService: {name: web, routes', `virtualService: {name: web.internal.${ns}, routes`)
    await startController(e)
    const original = (await apply(e, manifest)).find((o) => o.kind === 'VirtualService') as VirtualService
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && weightIs(0)(r))
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    expect((await virtualService(e, 'web.internal')).spec).toEqual(hostSpec(ns, 20))
    // Let every requeue of the step settle, so that only the VirtualService watch can wake the Rollout.
    await new Promise((r) => setTimeout(r, 5000))
    const { apiVersion, kind, spec } = original
    await e.api.apply({ apiVersion, kind, metadata: { name: 'web.internal', namespace: ns }, spec }, { fieldManager: 'gitops', force: true })
    await eventually('the weights taken back', async () => isDeepStrictEqual((await virtualService(e, 'web.internal')).spec, hostSpec(ns, 20)), 10_000)
  })
})

// --- a VirtualService that does not exist yet --------------------------------------------------------

describe('Istio missing VirtualService', () => {
  it('marks the Rollout InvalidSpec naming the field, and recovers once the VirtualService is created', { timeout: 180_000 }, async () => {
    const e = env as Env
    const ns = e.namespace
    await startController(e)
    const documents = hostManifest(ns).split('---')
    const vsYaml = documents[2] ?? ''
    await apply(e, [documents[0], documents[1], documents[3]].join('---'))

    const invalid = await rolloutWhere(e, 'web', 'InvalidSpec', (r) => r.status?.conditions?.some((c) => c.type === 'InvalidSpec' && c.status === 'True') === true)
    const path = 'spec.strategy.canary.trafficRouting.istio.virtualService.name'
    const expected = `${path}: Not found: "web": VirtualService "web" not found in namespace "${ns}"`
    expect(invalid.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.message).toContain(expected)
    expect(invalid.status?.phase).toBe('Degraded')
    expect(invalid.status?.message).toContain(path)
    // Events are recorded after the status write, asynchronously: wait for it.
    await eventually('a Warning Event naming the field', async () =>
      (await eventsFor(e, 'web')).some((ev) => ev.type === 'Warning' && ev.reason === 'InvalidSpec' && ev.note.startsWith(expected)),
    )

    // Creating the VirtualService wakes the Rollout (the controller watches VirtualServices).
    await apply(e, vsYaml)
    const healthy = await rolloutWhere(e, 'web', 'valid and healthy', (r) => r.status?.phase === 'Healthy' && !r.status.conditions?.some((c) => c.type === 'InvalidSpec'))
    expect(healthy.status?.canary?.weights?.canary.weight).toBe(0)

    // And the rollout then works as usual.
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    expect((await virtualService(e)).spec).toEqual(hostSpec(ns, 20))
  })
})
