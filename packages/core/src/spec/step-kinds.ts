/**
 * The kinds of canary step Sluice runs. Code that treats each kind differently switches on
 * `kindedStep(step)?.kind` with `unhandledStepKind` as its default, so a new kind added here makes
 * the compiler list every place that must learn it (describeStep, planSteps).
 */
import type { CanaryStep } from '../api/rollout.ts'

export type StepKind = 'setWeight' | 'pause' | 'setCanaryScale' | 'setHeaderRoute' | 'setMirrorRoute'

/** A step as its kind and its action: `{ setWeight: 20 }` → `{ kind: 'setWeight', action: 20 }`. */
export type KindedStep = { [K in StepKind]: { kind: K; action: NonNullable<CanaryStep[K]> } }[StepKind]

/**
 * The kind of a step and its action; undefined for a step of no kind Sluice runs (an empty step, or
 * analysis, experiment, plugin: validation rejects those). A valid step sets exactly one action; of
 * several, the first in the order setWeight, pause, setCanaryScale, setHeaderRoute, setMirrorRoute.
 */
export function kindedStep(step: CanaryStep): KindedStep | undefined {
  if (step.setWeight !== undefined) return { kind: 'setWeight', action: step.setWeight }
  if (step.pause) return { kind: 'pause', action: step.pause }
  if (step.setCanaryScale) return { kind: 'setCanaryScale', action: step.setCanaryScale }
  if (step.setHeaderRoute) return { kind: 'setHeaderRoute', action: step.setHeaderRoute }
  if (step.setMirrorRoute) return { kind: 'setMirrorRoute', action: step.setMirrorRoute }
  return undefined
}

/** The kind of a step (see `kindedStep`). */
export function stepKindOf(step: CanaryStep): StepKind | undefined {
  return kindedStep(step)?.kind
}

/** The default of an exhaustive switch over step kinds: a compile error when a kind is left out. */
export function unhandledStepKind(step: never): never {
  throw new Error(`unhandled step kind: ${JSON.stringify(step)}`)
}
