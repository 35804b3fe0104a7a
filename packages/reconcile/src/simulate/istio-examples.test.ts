/**
 * Runs the repository's Istio examples (examples/istio-*.yaml, the input of `sluice plan`) through
 * the rollout simulator with the Istio router, to promotion and to an abort, and checks what the plan
 * shows: the weights of each step, the managed routes, and that the user's route and DestinationRule
 * subset are the same in every state.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { createIstioRouter, istioCapabilities } from '@sluice/istio'
import type { KubeObject, Rollout } from '@sluice/core'
import { simulateRollout } from './simulate-rollout.ts'
type HttpRoute = { name?: string; route?: { destination: { host: string; subset?: string }; weight?: number }[]; [field: string]: unknown }
type Subset = { name: string; labels?: Record<string, string> }

type Spec<T> = KubeObject & { spec: T }

function loadExample(file: string): { rollout: Rollout; objects: KubeObject[] } {
  const text = readFileSync(new URL(`../../../../examples/${file}`, import.meta.url), 'utf8')
  const documents = parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject)
  const rollouts = documents.filter((o) => o.kind === 'Rollout') as Rollout[]
  expect(rollouts).toHaveLength(1)
  const rollout = rollouts[0] as Rollout
  return { rollout, objects: documents.filter((o) => o !== rollout) }
}

async function plan(file: string, abortAtStep?: number) {
  const { rollout, objects } = loadExample(file)
  const config = rollout.spec.strategy?.canary?.trafficRouting?.istio ?? {}
  const result = await simulateRollout({
    rollout,
    objects,
    createRouters: (target, kube) => [createIstioRouter({ target, config }, { kube })],
    routerCapabilities: { istio: istioCapabilities },
    ...(abortAtStep === undefined ? {} : { abortAtStep }),
  })
  const states = [...result.steps, result.final]
  const find = <T>(state: (typeof states)[number], kind: string) => state.resources.find((o) => o.kind === kind) as Spec<T> | undefined
  return {
    objects,
    result,
    states,
    http: (state: (typeof states)[number]) => find<{ http: HttpRoute[] }>(state, 'VirtualService')?.spec.http ?? [],
    subsets: (state: (typeof states)[number]) => find<{ subsets: Subset[] }>(state, 'DestinationRule')?.spec.subsets ?? [],
  }
}

const seeded = <T>(objects: KubeObject[], kind: string) => (objects.find((o) => o.kind === kind) as Spec<T>).spec
const weightsOf = (http: HttpRoute[], name: string) => http.find((r) => r.name === name)?.route?.map((d) => d.weight)

describe('examples/istio-host.yaml', () => {
  it('moves the primary route 80/20, 50/50, 20/80 and back to stable after promotion; the admin route never changes', async () => {
    const { objects, states, http } = await plan('istio-host.yaml')
    expect(states.map((s) => `${s.step}: ${weightsOf(http(s), 'primary')?.join('/')}`)).toEqual([
      'setWeight: 20: 80/20',
      'pause: 30s: 80/20',
      'setWeight: 50: 50/50',
      'pause: 50/50',
      'setWeight: 80: 20/80',
      'pause: 1m: 20/80',
      'final: 100/0',
    ])
    const admin = seeded<{ http: HttpRoute[] }>(objects, 'VirtualService').http[0]
    for (const state of states) expect(http(state)[0]).toEqual(admin)
    // Promoted: the VirtualService reads exactly as the user wrote it.
    expect(http(states.at(-1)!)).toEqual(seeded<{ http: HttpRoute[] }>(objects, 'VirtualService').http)
  })

  it('returns all traffic to stable on abort', async () => {
    const { objects, result, http } = await plan('istio-host.yaml', 2)
    expect(result.final.phase).toBe('Degraded')
    expect(http(result.final)).toEqual(seeded<{ http: HttpRoute[] }>(objects, 'VirtualService').http)
  })
})

describe('examples/istio-subset.yaml', () => {
  it('labels the subsets, shifts the weights, and keeps the debug route and subset', async () => {
    const { objects, result, states, http, subsets } = await plan('istio-subset.yaml')
    const { stable, canary } = result.hashes
    expect(states.map((s) => weightsOf(http(s), 'primary')?.join('/'))).toEqual(['90/10', '90/10', '75/25', '75/25', '50/50', '50/50', '25/75', '25/75', '100/0'])
    const hashes = (state: (typeof states)[number]) => subsets(state).map((s) => `${s.name}=${s.labels?.['rollouts-pod-template-hash'] ?? '-'}`)
    expect(hashes(states[0]!)).toEqual([`canary=${canary}`, `stable=${stable}`, 'debug=-'])
    // Promoted: both subsets select the new pods; stable carries the traffic again.
    expect(hashes(result.final)).toEqual([`canary=${canary}`, `stable=${canary}`, 'debug=-'])
    const user = seeded<{ subsets: Subset[] }>(objects, 'DestinationRule').subsets[2]
    for (const state of states) {
      expect(subsets(state)[2]).toEqual(user)
      expect(http(state)[0]).toEqual(seeded<{ http: HttpRoute[] }>(objects, 'VirtualService').http[0])
    }
  })

  it('leaves the canary subset on the canary pods and sends everything to stable on abort', async () => {
    const { result, http, subsets } = await plan('istio-subset.yaml', 2)
    expect(weightsOf(http(result.final), 'primary')).toEqual([100, 0])
    expect(subsets(result.final).map((s) => s.labels?.['rollouts-pod-template-hash'])).toEqual([result.hashes.canary, result.hashes.stable, undefined])
  })
})

describe('examples/istio-header-mirror.yaml', () => {
  it('adds the header and mirror routes above the user routes, removes the header route by name, and both at promotion', async () => {
    const { objects, states, http } = await plan('istio-header-mirror.yaml')
    expect(states.map((s) => `${s.step}: ${http(s).map((r) => `${r.name}(${r.route?.map((d) => d.weight ?? '-').join('/')})`).join(' ')}`)).toEqual([
      'setWeight: 10: health(-) primary(90/10)',
      'setHeaderRoute: canary-by-header: canary-by-header(100) health(-) primary(90/10)',
      'pause: canary-by-header(100) health(-) primary(90/10)',
      'setMirrorRoute: mirror-orders: canary-by-header(100) mirror-orders(90/10) health(-) primary(90/10)',
      'setWeight: 30: canary-by-header(100) mirror-orders(70/30) health(-) primary(70/30)',
      'pause: 2m: canary-by-header(100) mirror-orders(70/30) health(-) primary(70/30)',
      'setHeaderRoute: canary-by-header (remove): mirror-orders(70/30) health(-) primary(70/30)',
      'setWeight: 60: mirror-orders(40/60) health(-) primary(40/60)',
      'pause: mirror-orders(40/60) health(-) primary(40/60)',
      'final: health(-) primary(100/0)',
    ])
    const header = http(states[1]!)[0]
    expect(header?.match).toEqual([{ headers: { 'x-canary': { exact: 'yes' } } }, { headers: { 'user-agent': { regex: '.*Firefox/1[0-9]{2}.*' } } }])
    expect(header?.route).toEqual([{ destination: { host: 'web-canary', port: { number: 80 } }, weight: 100 }])
    const mirror = http(states[3]!)[1]
    expect(mirror).toMatchObject({
      match: [{ method: { exact: 'POST' }, uri: { prefix: '/orders' } }],
      mirror: { host: 'web-canary', port: { number: 80 } },
      mirrorPercentage: { value: 50 },
    })
    expect(http(states.at(-1)!)).toEqual(seeded<{ http: HttpRoute[] }>(objects, 'VirtualService').http)
  })

  it('removes the managed routes on abort', async () => {
    const { objects, result, http } = await plan('istio-header-mirror.yaml', 2)
    expect(result.final.headerRoutes).toEqual([])
    expect(http(result.final)).toEqual(seeded<{ http: HttpRoute[] }>(objects, 'VirtualService').http)
  })
})
