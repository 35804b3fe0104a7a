import { describe, expect, it } from 'vitest'
import type { CanaryStep } from '../api/rollout.ts'
import { kindedStep, stepKindOf } from './step-kinds.ts'
import { describeStep } from './steps.ts'

describe('stepKindOf', () => {
  it.each<[CanaryStep, string | undefined, string]>([
    [{ setWeight: 0 }, 'setWeight', 'setWeight: 0'],
    [{ pause: {} }, 'pause', 'pause'],
    [{ pause: { duration: '30s' } }, 'pause', 'pause: 30s'],
    [{ setCanaryScale: { replicas: 2 } }, 'setCanaryScale', 'setCanaryScale: 2 replicas'],
    [{ setCanaryScale: { matchTrafficWeight: true } }, 'setCanaryScale', 'setCanaryScale: matchTrafficWeight'],
    [{ setHeaderRoute: { name: 'beta' } }, 'setHeaderRoute', 'setHeaderRoute: beta (remove)'],
    [{ setMirrorRoute: { name: 'm', match: [{ method: { exact: 'GET' } }] } }, 'setMirrorRoute', 'setMirrorRoute: m'],
    [{ analysis: {} }, undefined, 'unknown step'],
    [{}, undefined, 'unknown step'],
  ])('%j is %s (described as %s)', (step, kind, description) => {
    expect(stepKindOf(step)).toBe(kind)
    expect(describeStep(step)).toBe(description)
  })

  it('carries the action of the step', () => {
    expect(kindedStep({ setWeight: 20 })).toEqual({ kind: 'setWeight', action: 20 })
    expect(kindedStep({ pause: { duration: 10 } })).toEqual({ kind: 'pause', action: { duration: 10 } })
  })
})
