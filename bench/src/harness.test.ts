import { describe, expect, it } from 'vitest'
import { account, CONTROLLER_EVENTS_KEY } from './accounting.ts'
import { controllerArgv, splitCommand } from './controller.ts'
import { classify } from './kube.ts'
import { apiserverDurations, apiserverRequests, meanDurations, samples, subtract } from './prom.ts'
import { toRecord } from './records.ts'
import { distribution, percentile } from './stats.ts'
import { Tracker } from './tracker.ts'

describe('classify: a request → the labels of apiserver_request_total', () => {
  it.each([
    ['GET', '/apis/apps/v1/namespaces/x/replicasets?watch=1&resourceVersion=5', undefined, 'WATCH apps/replicasets'],
    ['GET', '/apis/apps/v1/namespaces/x/replicasets', undefined, 'LIST apps/replicasets'],
    ['GET', '/apis/apps/v1/namespaces/x/replicasets/web-1', undefined, 'GET apps/replicasets'],
    ['PATCH', '/api/v1/namespaces/x/services/web', 'application/merge-patch+json', 'PATCH /services'],
    ['PATCH', '/apis/split.smi-spec.io/v1alpha1/namespaces/x/trafficsplits/web', 'application/apply-patch+yaml', 'APPLY split.smi-spec.io/trafficsplits'],
    ['PUT', '/apis/argoproj.io/v1alpha1/namespaces/x/rollouts/web/status', 'application/json', 'PUT argoproj.io/rollouts/status'],
    ['POST', '/api/v1/namespaces', 'application/json', 'POST /namespaces'],
    ['GET', '/api/v1/namespaces/x', undefined, 'GET /namespaces'],
    ['GET', '/api/v1/namespaces/x/serviceaccounts/default', undefined, 'GET /serviceaccounts'],
    ['POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', 'application/json', 'POST apiextensions.k8s.io/customresourcedefinitions'],
  ])('%s %s → %s', (method, path, type, key) => {
    expect(classify(method, path, type)).toBe(key)
  })

  it('leaves non-resource paths out', () => {
    expect(classify('GET', '/metrics')).toBeUndefined()
    expect(classify('GET', '/version')).toBeUndefined()
  })
})

const metrics = (n: number, ms: number) => `# HELP apiserver_request_total x
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="replicasets",scope="resource",subresource="",verb="PATCH",version="v1"} ${n}
apiserver_request_total{code="409",component="apiserver",dry_run="",group="apps",resource="replicasets",scope="resource",subresource="",verb="PATCH",version="v1"} 1
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/readyz",verb="GET",version=""} 40
apiserver_request_total{code="200",component="apiserver",dry_run="",group="argoproj.io",resource="rollouts",scope="resource",subresource="",verb="PATCH",version="v1alpha1"} ${n}
apiserver_request_total{code="201",component="apiserver",dry_run="",group="events.k8s.io",resource="events",scope="resource",subresource="",verb="POST",version="v1"} ${2 * n}
apiserver_request_duration_seconds_sum{component="apiserver",dry_run="",group="apps",resource="replicasets",scope="resource",subresource="",verb="PATCH",version="v1"} ${(n * ms) / 1000}
apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="apps",resource="replicasets",scope="resource",subresource="",verb="PATCH",version="v1"} ${n}
`

describe('Prometheus text', () => {
  it('sums apiserver_request_total over codes, by verb and resource, resource requests only', () => {
    expect(Object.fromEntries(apiserverRequests(metrics(10, 5)))).toEqual({
      'PATCH apps/replicasets': 11,
      'PATCH argoproj.io/rollouts': 10,
      'POST events.k8s.io/events': 20,
    })
  })

  it('differences two scrapes, keeping what changed', () => {
    expect(Object.fromEntries(subtract(apiserverRequests(metrics(30, 5)), apiserverRequests(metrics(10, 5))))).toEqual({
      'PATCH apps/replicasets': 20,
      'PATCH argoproj.io/rollouts': 20,
      'POST events.k8s.io/events': 40,
    })
  })

  it('gives the mean server time per request between two scrapes', () => {
    expect(meanDurations(apiserverDurations(metrics(30, 50)), apiserverDurations(metrics(10, 5)))).toEqual({ 'PATCH apps/replicasets': 72.5 })
  })

  it('reads labels with escaped quotes', () => {
    expect(samples('m{a="x\\"y",b="z"} 3', 'm')).toEqual([{ name: 'm', labels: { a: 'x"y', b: 'z' }, value: 3 }])
  })
})

describe('account', () => {
  it('subtracts the harness, attributes by resource (watches apart, the API server’s Service repair lists to the cluster), moves the controller’s Event writes over, rates per step', () => {
    const before = new Map([['PATCH apps/replicasets', 0]])
    const after = new Map([
      ['PATCH apps/replicasets', 10],
      ['PUT apps/replicasets/status', 7],
      ['APPLY split.smi-spec.io/trafficsplits', 20],
      ['PUT argoproj.io/rollouts/status', 30],
      ['PATCH argoproj.io/rollouts', 10],
      ['POST events.k8s.io/events', 25],
      ['LIST argoproj.io/rollouts', 1],
      ['LIST /services', 1],
      ['WATCH apps/replicasets', 2],
    ])
    const harness = new Map([['PATCH argoproj.io/rollouts', 10]])
    const a = account({ before, after, harness, controllerEventWrites: 15, steps: 10 })
    expect(a.controller).toEqual({
      'PATCH apps/replicasets': 10,
      'APPLY split.smi-spec.io/trafficsplits': 20,
      'PUT argoproj.io/rollouts/status': 30,
      'LIST argoproj.io/rollouts': 1,
      [CONTROLLER_EVENTS_KEY]: 15,
    })
    expect(a.cluster).toEqual({ 'PUT apps/replicasets/status': 7, 'LIST /services': 1, 'WRITE events (other components)': 10 })
    expect(a.watches).toEqual({ 'WATCH apps/replicasets': 2 })
    expect(a.perStep).toMatchObject({ writes: 7.5, replicaSetWrites: 1, meshWrites: 2, statusWrites: 3, otherWrites: 1.5, lists: 0.1 })
    // beyond one of each per step: 0 + 1 + 2 + 1.5
    expect(a.perStep.extraWrites).toBeCloseTo(4.5)
    expect(a.controllerLists).toBe(1)
  })
})

describe('percentiles', () => {
  it('uses the nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(xs, 50)).toBe(50)
    expect(percentile(xs, 99)).toBe(99)
    expect(percentile([5], 99)).toBe(5)
    expect(percentile([], 50)).toBeUndefined()
    expect(distribution([3, 1, 2])).toEqual({ count: 3, p50: 2, p95: 3, p99: 3, max: 3, min: 1 })
  })
})

describe('the controller command', () => {
  it('splits like a shell for quotes and escapes', () => {
    expect(splitCommand(`node a.ts --x "a b" 'c d' e\\ f --y="q\\"r"`)).toEqual(['node', 'a.ts', '--x', 'a b', 'c d', 'e f', '--y=q"r'])
    expect(() => splitCommand('node "a')).toThrow('unterminated')
  })

  it('fills {kubeconfig}, takes leading NAME=value as environment, runs node as this Node, adds the profiling flags to Node commands only', () => {
    const plain = controllerArgv('node main.ts --kubeconfig {kubeconfig}', '/k/admin.kubeconfig')
    expect(plain).toEqual({ file: process.execPath, args: ['main.ts', '--kubeconfig', '/k/admin.kubeconfig'], env: {}, profiled: false })
    expect(controllerArgv('MALLOC_ARENA_MAX=2 A=b=c node main.ts', '/k')).toEqual({ file: process.execPath, args: ['main.ts'], env: { MALLOC_ARENA_MAX: '2', A: 'b=c' }, profiled: false })
    const profiled = controllerArgv('node main.ts', '/k', { dir: '/p', cpuProfileName: 'x.cpuprofile' })
    expect(profiled.args).toEqual(['--cpu-prof', '--cpu-prof-dir=/p', '--cpu-prof-name=x.cpuprofile', '--heapsnapshot-signal=SIGUSR2', '--diagnostic-dir=/p', 'main.ts'])
    expect(controllerArgv('/usr/bin/argo-rollouts --kubeconfig {kubeconfig}', '/k', { dir: '/p', cpuProfileName: 'x' })).toEqual({
      file: '/usr/bin/argo-rollouts',
      args: ['--kubeconfig', '/k'],
      env: {},
      profiled: false,
    })
  })
})

describe('Tracker', () => {
  const rollout = (t: number, status: Record<string, unknown>) => toRecord('Rollout', 'MODIFIED', { metadata: { name: 'r-0001', generation: 2 }, status }, t)!
  const rs = (t: number, hash: string, replicas: number, available: number, current = available) =>
    toRecord(
      'ReplicaSet',
      'MODIFIED',
      {
        metadata: { name: `r-0001-${hash}`, labels: { 'rollouts-pod-template-hash': hash }, ownerReferences: [{ kind: 'Rollout', name: 'r-0001', controller: true }] },
        spec: { replicas },
        status: { replicas: current, availableReplicas: available },
      },
      t,
    )!
  const split = (t: number, canary: number) =>
    toRecord('TrafficSplit', 'MODIFIED', { metadata: { name: 'r-0001' }, spec: { backends: [{ service: 'r-0001-canary', weight: String(canary) }, { service: 'r-0001-stable', weight: String(100 - canary) }] } }, t)!

  it('measures pods available → weight, pause end → next write, and the time to promotion', () => {
    const tracker = new Tracker({ replicas: 2, pauseSeconds: 5 })
    tracker.ingest(rollout(0, { phase: 'Healthy', stableRS: 'old', currentPodHash: 'old' }))
    tracker.ingest(rs(0, 'old', 2, 2))
    tracker.ingest(split(0, 0))
    expect(tracker.allHealthy(['r-0001'])).toBe(true)
    tracker.startUpdate(1000)
    tracker.patched('r-0001', 1000)
    expect(tracker.gatedWeights()).toEqual([
      { weight: 20, pods: 1 },
      { weight: 100, pods: 2 },
    ])
    tracker.ingest(rs(1100, 'new', 1, 0, 0))
    tracker.ingest(rs(2000, 'new', 1, 1))
    tracker.ingest(split(2040, 20))
    tracker.ingest(rollout(2050, { phase: 'Paused', stableRS: 'old', currentPodHash: 'new', currentStepIndex: 1, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: new Date(2045).toISOString() }] }))
    tracker.ingest(split(7080, 50)) // pause ended at 7045
    tracker.ingest(rollout(7100, { phase: 'Paused', stableRS: 'old', currentPodHash: 'new', currentStepIndex: 3, pauseConditions: [{ reason: 'CanaryPauseStep', startTime: new Date(7090).toISOString() }] }))
    tracker.ingest(rs(12200, 'new', 2, 1)) // pause ended at 12090
    tracker.ingest(rs(13000, 'new', 2, 2))
    tracker.ingest(split(13030, 100))
    tracker.ingest(split(13100, 0))
    tracker.ingest(rollout(13120, { phase: 'Healthy', stableRS: 'new', currentPodHash: 'new', currentStepIndex: 4 }))
    tracker.ingest(rs(16200, 'old', 0, 0))
    const s = tracker.summary()
    expect(s.reactions.map((r) => [r.what, Math.round(r.ms)])).toEqual([
      ['1 canary pod(s) available → weight 20', 40],
      ['2 canary pod(s) available → weight 100', 30],
    ])
    expect(s.timers.map((r) => [r.what, Math.round(r.ms)])).toEqual([
      ['pause 2 end → weight 50', 35],
      ['pause 4 end → canary scaled to 2', 110],
    ])
    expect(s).toMatchObject({ rollouts: 1, promoted: 1, drained: 1, allPromotedMs: 12120, allDrainedMs: 15200, missingReactions: 0, meshWrites: 4 })
  })
})
