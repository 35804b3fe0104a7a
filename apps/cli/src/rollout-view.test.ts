import { describe, expect, it } from 'vitest'
import { NOW, pausedObjects, pausedRollout } from './__fixtures__/rollout-objects.ts'
import { age, outcomeOf, statusLine, viewRollout } from './rollout-view.ts'
import { selectorString } from './rollout-watch.ts'

describe('outcomeOf: when status and get --watch stop', () => {
  it.each([
    // phase, abort, observedGeneration (the Rollout is at generation 2), outcome
    ['Healthy', false, '2', 'Healthy'],
    ['Degraded', false, '2', 'Degraded'],
    ['Degraded', true, '2', 'Aborted'],
    // aborted, but the controller has not acted on it yet
    ['Paused', true, '2', undefined],
    ['Paused', false, '2', undefined],
    ['Progressing', false, '2', undefined],
    // the controller has not seen the latest spec: a Healthy from before does not count
    ['Healthy', false, '1', undefined],
    ['Degraded', true, '1', undefined],
  ] as const)('%s, abort %s, observed generation %s → %s', (phase, abort, observedGeneration, outcome) => {
    const rollout = pausedRollout()
    rollout.status = { ...rollout.status, phase, abort, observedGeneration }
    expect(outcomeOf(rollout)).toBe(outcome)
  })

  it('is undefined before the controller wrote any status', () => {
    const rollout = pausedRollout()
    delete rollout.status
    expect(outcomeOf(rollout)).toBeUndefined()
  })
})

describe('statusLine: one line per change', () => {
  it('says phase, message, step, weight and pods', () => {
    const objects = pausedObjects()
    expect(statusLine(viewRollout(pausedRollout(), objects.replicaSets, objects.pods, NOW))).toBe('Paused - CanaryPauseStep (step 1/4, weight 25% of pods, canary 1/1 ready, stable 3/3 ready)')
  })

  it('waits for the controller to take a new generation', () => {
    const rollout = pausedRollout()
    rollout.metadata.generation = 5
    expect(statusLine(viewRollout(rollout, [], [], NOW))).toBe('Progressing - waiting for the controller to take generation 5')
  })

  it('is the phase alone when there is nothing else to say', () => {
    const rollout = pausedRollout()
    rollout.spec.strategy = { canary: {} }
    rollout.status = { observedGeneration: '2', phase: 'Healthy', message: '' }
    expect(statusLine(viewRollout(rollout, [], [], NOW))).toBe('Healthy')
  })
})

describe('viewRollout', () => {
  it('keeps only the ReplicaSets the Rollout controls, newest revision first', () => {
    const objects = pausedObjects()
    const view = viewRollout(pausedRollout(), objects.replicaSets, objects.pods, NOW)
    expect(view.revisions.map((r) => [r.revision, r.role, r.name, `${r.ready}/${r.desired}`, r.pods.length])).toEqual([
      [2, 'canary', 'web-v2hash', '1/1', 1],
      [1, 'stable', 'web-v1hash', '3/3', 3],
    ])
  })

  it('marks every step done once fully promoted, and none current after an abort', () => {
    const promoted = pausedRollout()
    promoted.status = { ...promoted.status, stableRS: 'v2hash', currentStepIndex: 4 }
    expect(viewRollout(promoted, [], [], NOW).steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done'])
    const aborted = pausedRollout()
    aborted.status = { ...aborted.status, abort: true, currentStepIndex: 0 }
    expect(viewRollout(aborted, [], [], NOW).steps.map((s) => s.state)).toEqual(['pending', 'pending', 'pending', 'pending'])
  })
})

describe('age: kubectl style', () => {
  it.each([
    [0, '0s'],
    [119, '119s'],
    [120, '2m'],
    [200, '3m20s'],
    [600, '10m'],
    [3 * 3600, '3h'],
    [5 * 3600 + 600, '5h10m'],
    [20 * 3600, '20h'],
    [3 * 86400, '3d'],
  ])('%i s → %s', (seconds, text) => {
    expect(age(new Date(NOW.getTime() - seconds * 1000).toISOString(), NOW)).toBe(text)
  })

  it('is "-" without a timestamp', () => {
    expect(age(undefined, NOW)).toBe('-')
  })
})

describe('selectorString', () => {
  it('writes matchLabels and matchExpressions as the API query expects', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web', tier: 'front' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['a', 'b'] },
          { key: 'zone', operator: 'NotIn', values: ['x'] },
          { key: 'canary', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier=front,env in (a,b),zone notin (x),canary,!legacy')
    expect(selectorString(undefined)).toBe('')
  })
})
