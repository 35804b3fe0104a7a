import type { Rollout, RolloutPlan } from '@sluice/core'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { logReconcile } from './reconcile-log.ts'

/** A pino logger at `level` whose lines land in the returned array (parsed). */
function captured(level: 'info' | 'debug') {
  const lines: { level: number; msg: string; [field: string]: unknown }[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as (typeof lines)[number])
      done()
    },
  })
  return { log: pino({ level }, stream), lines }
}

const INFO = 30
const DEBUG = 20

const rollout: Rollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'a' },
  spec: { strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } } },
}
const settled: RolloutPlan = { actions: [], status: { phase: 'Paused', currentStepIndex: 1 }, events: [] }
const writing: RolloutPlan = {
  actions: [{ type: 'scaleReplicaSet', name: 'web-abc', from: 1, replicas: 2, rolloutReplicas: 4 }],
  status: { phase: 'Progressing', currentStepIndex: 0 },
  events: [{ type: 'Normal', reason: 'ScalingReplicaSet', message: 'Scaled up ReplicaSet web-abc (revision 2) from 1 to 2' }],
}

describe('logReconcile', () => {
  it.each([
    // what the pass did, log level → info lines, debug lines
    ['nothing (a resync of a settled Rollout)', settled, { acted: false, statusWritten: false }, 'info', 0, 0],
    ['nothing, at debug', settled, { acted: false, statusWritten: false }, 'debug', 0, 1],
    ['a scale and a status write', writing, { acted: true, statusWritten: true }, 'info', 1, 0],
    ['a status write alone', settled, { acted: false, statusWritten: true }, 'info', 1, 0],
    ['a scale, at debug: still one line, at info', writing, { acted: true, statusWritten: true }, 'debug', 1, 0],
  ] as [string, RolloutPlan, { acted: boolean; statusWritten: boolean }, 'info' | 'debug', number, number][])(
    '%s → %i info, %i debug',
    (_what, plan, outcome, level, infos, debugs) => {
      const { log, lines } = captured(level)
      logReconcile(log, rollout, plan, outcome)
      expect(lines.filter((l) => l.level === INFO)).toHaveLength(infos)
      expect(lines.filter((l) => l.level === DEBUG)).toHaveLength(debugs)
      expect(lines.every((l) => l.msg === 'reconciled')).toBe(true)
    },
  )

  it('says what changed in the one info line', () => {
    const { log, lines } = captured('info')
    logReconcile(log, rollout, writing, { acted: true, statusWritten: true, routerChanges: ['[smi] TrafficSplit a/web has been updated'] })
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'reconciled',
        phase: 'Progressing',
        step: '0/2',
        actions: ['scaleReplicaSet'],
        statusWritten: true,
        events: ['ScalingReplicaSet'],
        objects: ['[smi] TrafficSplit a/web has been updated'],
      }),
    ])
  })

  it('logs a pass that only warned at info (a canary Service that went missing, held at weight 0 already)', () => {
    const { log, lines } = captured('info')
    const warned: RolloutPlan = { ...settled, events: [{ type: 'Warning', reason: 'CanaryServiceUnavailable', message: 'Canary Service web-canary not found: …' }] }
    logReconcile(log, rollout, warned, { acted: false, statusWritten: false })
    expect(lines.map((l) => [l.level, l.events])).toEqual([[INFO, ['CanaryServiceUnavailable']]])
  })
})
