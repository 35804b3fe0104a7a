// EventRecorder against a real API server: events.k8s.io/v1 Events, aggregation into a series, and
// how the same Event reads through the core v1 API (what `kubectl describe` shows).
import type { KubeConfig } from '@kubernetes/client-node'
import type { KubeObject } from '@sluice/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { createKubeApi, EventRecorder } from '../src/index.ts'
import type { Logger } from '../src/index.ts'
import { kubeConfig, testNamespace } from './cluster.ts'

let kc: KubeConfig

beforeAll(() => {
  kc = kubeConfig()
})

describe('EventRecorder (real API server)', () => {
  it('records an Event, aggregates repeats into its series, and keeps distinct notes apart', async () => {
    const ns = await testNamespace(kc, 'events')
    const api = createKubeApi(kc)
    const subject = await api.create<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: ns, name: 'web' }, data: {} })
    const recorder = new EventRecorder({ kube: api, reportingController: 'sluice.dev/controller', reportingInstance: 'test-pod' })

    recorder.record(subject, { type: 'Warning', reason: 'InvalidSpec', note: 'spec.strategy: Required value', action: 'Validate' })
    await recorder.flush()
    for (let i = 0; i < 4; i++) recorder.record(subject, { type: 'Warning', reason: 'InvalidSpec', note: 'spec.strategy: Required value', action: 'Validate' })
    recorder.record(subject, { type: 'Normal', reason: 'StepCompleted', note: 'step 1/3 completed' })
    await recorder.flush()

    const events = await api.list<KubeObject & Record<string, unknown>>({ apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: ns })
    expect(events).toHaveLength(2)
    const warning = events.find((e) => e.reason === 'InvalidSpec')!
    expect(warning).toMatchObject({
      type: 'Warning',
      action: 'Validate',
      note: 'spec.strategy: Required value',
      reportingController: 'sluice.dev/controller',
      reportingInstance: 'test-pod',
      regarding: { kind: 'ConfigMap', namespace: ns, name: 'web', uid: subject.metadata.uid },
      series: { count: 5 },
    })
    expect(events.find((e) => e.reason === 'StepCompleted')?.series).toBeUndefined()

    // The same Event through the core v1 API, which `kubectl describe` reads.
    const legacy = await api.list<KubeObject & Record<string, unknown>>({ apiVersion: 'v1', kind: 'Event', namespace: ns })
    expect(legacy.find((e) => e.reason === 'InvalidSpec')).toMatchObject({
      involvedObject: { kind: 'ConfigMap', name: 'web', uid: subject.metadata.uid },
      message: 'spec.strategy: Required value',
      series: { count: 5 },
    })
  })

  it('drops an Event the server refuses without throwing into the caller', async () => {
    const api = createKubeApi(kc)
    const warnings: string[] = []
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (o, msg) => warnings.push(`${msg}: ${JSON.stringify(o)}`) }
    const recorder = new EventRecorder({ kube: api, logger, reportingController: 'sluice.dev/controller', reportingInstance: 'test-pod' })
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'no-such-namespace-kube-test', name: 'x' }
    expect(() => recorder.record(ghost, { type: 'Normal', reason: 'R', note: 'n' })).not.toThrow()
    await recorder.flush()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^dropped an event the API server did not take: .*namespaces \\"no-such-namespace-kube-test\\" not found","status":404/)
  })
})
