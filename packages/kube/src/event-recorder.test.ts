import { createMemoryKube } from './memory/index.ts'
import type { KubeApi, KubeObject } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { EventRecorder } from './index.ts'
import { truncateBytes } from './event-recorder.ts'
import { createManualClock } from './testing/manual-clock.ts'

const rollout: KubeObject = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { namespace: 'prod', name: 'web', uid: 'u-1', resourceVersion: '9' },
}

function setup(kube: KubeApi = createMemoryKube()) {
  const clock = createManualClock()
  const recorder = new EventRecorder({ kube, clock, reportingController: 'sluice.dev/controller', reportingInstance: 'pod-1' })
  const events = () => kube.list<KubeObject>({ apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: 'prod' })
  return { clock, kube, recorder, events }
}

describe('EventRecorder', () => {
  it('creates an events.k8s.io/v1 Event about the object', async () => {
    const { recorder, events } = setup()
    recorder.record(rollout, { type: 'Normal', reason: 'StepCompleted', note: 'step 1/3 completed' })
    await recorder.flush()
    const [event, ...rest] = await events()
    expect(rest).toEqual([])
    expect(event).toMatchObject({
      type: 'Normal',
      reason: 'StepCompleted',
      action: 'StepCompleted',
      note: 'step 1/3 completed',
      reportingController: 'sluice.dev/controller',
      reportingInstance: 'pod-1',
      regarding: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: 'prod', name: 'web', uid: 'u-1', resourceVersion: '9' },
    })
    expect(event!.metadata.name).toMatch(/^web\.[0-9a-f]+$/)
    expect(event!.eventTime).toMatch(/\.\d{6}Z$/)
    expect(event!.series).toBeUndefined()
  })

  it('aggregates repeats within the window into the series of one Event', async () => {
    const { clock, recorder, events } = setup()
    const warning = { type: 'Warning', reason: 'InvalidSpec', note: 'spec.strategy.canary.steps[0]: Invalid value' } as const
    recorder.record(rollout, warning)
    await recorder.flush()
    await clock.advance(60_000)
    recorder.record(rollout, warning)
    recorder.record(rollout, warning)
    await recorder.flush()
    const [event, ...rest] = await events()
    expect(rest).toEqual([])
    expect(event!.series).toEqual({ count: 3, lastObservedTime: new Date(clock.now()).toISOString().replace('Z', '000Z') })
  })

  it('starts a new Event for another note; an identical repeat counts however late it comes', async () => {
    const { clock, recorder, events } = setup()
    recorder.record(rollout, { type: 'Normal', reason: 'Weight', note: 'weight 20' })
    recorder.record(rollout, { type: 'Normal', reason: 'Weight', note: 'weight 40' })
    await recorder.flush()
    await clock.advance(11 * 60_000)
    recorder.record(rollout, { type: 'Normal', reason: 'Weight', note: 'weight 20' })
    await recorder.flush()
    const byNote = Object.fromEntries((await events()).map((e) => [e.note, (e.series as { count: number } | undefined)?.count ?? 1]))
    expect(byNote).toEqual({ 'weight 20': 2, 'weight 40': 1 })
  })

  it('combines the 10th and later distinct notes of one reason into one Event', async () => {
    const { clock, recorder, events } = setup()
    for (let i = 1; i <= 12; i++) {
      recorder.record(rollout, { type: 'Normal', reason: 'Weight', note: `weight ${i}` })
      await clock.advance(1000)
    }
    await recorder.flush()
    const all = await events()
    expect(all).toHaveLength(10)
    const combined = all.filter((e) => String(e.note).startsWith('(combined from similar events): '))
    expect(combined.map((e) => [e.note, (e.series as { count: number } | undefined)?.count])).toEqual([['(combined from similar events): weight 10', 3]])
  })

  it('writes at most 25 times per object and type in a burst, then once per 5 minutes', async () => {
    const { clock, recorder, events } = setup()
    const other: KubeObject = { ...rollout, metadata: { ...rollout.metadata, name: 'api', uid: 'u-2' } }
    for (let i = 0; i < 30; i++) recorder.record(rollout, { type: 'Normal', reason: `Step${i}`, note: 'n' })
    recorder.record(rollout, { type: 'Warning', reason: 'InvalidSpec', note: 'n' })
    recorder.record(other, { type: 'Normal', reason: 'Step0', note: 'n' })
    await recorder.flush()
    const reasons = async (name: string) => (await events()).filter((e) => (e.regarding as { name: string }).name === name).map((e) => String(e.reason))
    expect((await reasons('web')).filter((r) => r !== 'InvalidSpec')).toHaveLength(25)
    expect(await reasons('web')).toContain('InvalidSpec') // another type has a bucket of its own
    expect(await reasons('api')).toEqual(['Step0']) // and so has another object
    await clock.advance(299_000)
    recorder.record(rollout, { type: 'Normal', reason: 'Late1', note: 'n' })
    await clock.advance(1000)
    recorder.record(rollout, { type: 'Normal', reason: 'Late2', note: 'n' })
    recorder.record(rollout, { type: 'Normal', reason: 'Late3', note: 'n' })
    await recorder.flush()
    expect((await reasons('web')).filter((r) => r.startsWith('Late'))).toEqual(['Late2'])
  })

  it('creates a new Event when the one it aggregates into expired', async () => {
    const { recorder, events, kube } = setup()
    recorder.record(rollout, { type: 'Normal', reason: 'R', note: 'n' })
    await recorder.flush()
    const [first] = await events()
    await kube.delete({ apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: 'prod', name: first!.metadata.name! })
    recorder.record(rollout, { type: 'Normal', reason: 'R', note: 'n' })
    await recorder.flush()
    const after = await events()
    expect(after).toHaveLength(1)
    expect(after[0]!.series).toBeUndefined()
  })

  it('never throws into the caller: a failing API drops the Event', async () => {
    const broken = { ...createMemoryKube(), create: () => Promise.reject(new Error('connect ECONNREFUSED')) } as KubeApi
    const warnings: string[] = []
    const recorder = new EventRecorder({
      kube: broken,
      reportingController: 'sluice.dev/controller',
      reportingInstance: 'pod-1',
      logger: { debug() {}, info() {}, error() {}, warn: (_o, msg) => warnings.push(msg) },
    })
    expect(() => recorder.record(rollout, { type: 'Warning', reason: 'R', note: 'n' })).not.toThrow()
    expect(() => recorder.record(null as unknown as KubeObject, { type: 'Warning', reason: 'R', note: 'n' })).not.toThrow()
    await recorder.flush()
    expect(warnings).toEqual(['could not record event', 'dropped an event the API server did not take'])
  })

  it('names cluster-scoped subjects in the default namespace', async () => {
    const kube = createMemoryKube()
    const recorder = new EventRecorder({ kube, reportingController: 'sluice.dev/controller', reportingInstance: 'p' })
    recorder.record({ apiVersion: 'v1', kind: 'Node', name: 'node-1' }, { type: 'Normal', reason: 'R', note: 'n' })
    await recorder.flush()
    expect(await kube.list({ apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: 'default' })).toHaveLength(1)
  })

  it('cuts notes to 1 kB without splitting a character', () => {
    expect(truncateBytes('short', 1024)).toBe('short')
    const cut = truncateBytes('é'.repeat(600), 1024) // 1200 bytes
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(1024)
    expect(cut.endsWith('é…')).toBe(true)
  })
})
