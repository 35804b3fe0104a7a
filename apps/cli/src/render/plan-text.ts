/**
 * `sluice plan -o text`: a table of the states a rollout passes through, then, state by state, what
 * changed in each Service and mesh object. Pure: takes the simulation's result, returns the text.
 */
import type { KubeObject, RolloutPhase } from '@sluice/core'
import type { SimulatedState, SimulationResult } from '@sluice/reconcile'
import type { Palette } from '../colors.ts'
import { diffObjects } from './object-diff.ts'
import type { FieldChange, ObjectChange } from './object-diff.ts'
import { renderTable } from './table.ts'
import type { Cell } from './table.ts'

export interface PlanTextInput {
  result: SimulationResult
  /** The file the plan was made from, for the heading. */
  file: string
  /** `spec.replicas`. */
  replicas: number
  /** How many steps the Rollout has (an abort reaches fewer). */
  stepCount: number
  /** The configured traffic routers; empty for a basic canary. */
  routers: readonly string[]
  /** The Services and mesh objects as the file holds them: what the first state is compared with. */
  objects: readonly KubeObject[]
  /** The step during which the plan aborts, when it does. */
  abortAt: number | undefined
  palette: Palette
}

export function renderPlanText(input: PlanTextInput): string {
  const { result, palette: p } = input
  const states = [...result.steps, result.final]
  const lines = [
    ...heading(input),
    '',
    ...renderTable(
      ['STEP', 'ACTION', 'PHASE', 'CANARY PODS', 'CANARY WEIGHT', 'STABLE PODS', 'STABLE WEIGHT', 'ROUTES'],
      states.map((s) => stateRow(s, input)),
      p.bold,
    ),
    ...footnotes(input),
    '',
    p.bold('Changes'),
  ]
  let previous: readonly KubeObject[] = input.objects
  for (const state of states) {
    const title = state === result.final ? `final: ${finalAction(input)}` : `step ${state.index ?? '-'}: ${state.step}`
    const changes = diffObjects(previous, state.resources)
    const since = previous === input.objects ? p.dim(' (compared with the file)') : ''
    lines.push(`  ${p.bold(title)}${since}`)
    if (changes.length === 0) lines.push(`    ${p.dim('no changes')}`)
    for (const change of changes) lines.push(...objectChangeLines(change, p))
    previous = state.resources
  }
  return `${lines.join('\n')}\n`
}

function heading(input: PlanTextInput): string[] {
  const { result, palette: p } = input
  const traffic =
    input.routers.length > 0
      ? `traffic: ${input.routers.join(', ')}, weights out of ${result.maxWeight}`
      : 'traffic: no traffic routing (the pod ratio is the traffic split)'
  return [
    `${p.bold(`Rollout ${result.rollout}`)} ${p.dim(`(${input.file})`)}`,
    `  revisions: stable ${result.hashes.stable} → canary ${result.hashes.canary}`,
    `  replicas: ${input.replicas} · ${traffic} · steps: ${input.stepCount}`,
    ...(input.abortAt !== undefined ? [`  ${p.yellow(`aborts during step ${input.abortAt}`)}`] : []),
  ]
}

function finalAction(input: PlanTextInput): string {
  return input.abortAt !== undefined ? 'aborted' : 'promoted'
}

function stateRow(state: SimulatedState, input: PlanTextInput): Cell[] {
  const isFinal = state === input.result.final
  const weight = (w: number | null) => (w === null ? '-' : input.result.maxWeight === 100 ? `${w}%` : `${w}/${input.result.maxWeight}`)
  const routes = [
    ...(state.headerRoutes.length > 0 ? [`header: ${state.headerRoutes.join(', ')}`] : []),
    ...(state.mirrorRoutes.length > 0 ? [`mirror: ${state.mirrorRoutes.join(', ')}`] : []),
  ]
  return [
    { text: isFinal ? 'final' : String(state.index ?? '-') },
    { text: isFinal ? finalAction(input) : state.step },
    { text: state.phase, paint: phasePaint(state.phase, input.palette) },
    { text: String(state.canary.replicas) },
    { text: weight(state.canary.weight) },
    { text: String(state.stable.replicas) },
    { text: weight(state.stable.weight) },
    { text: routes.length > 0 ? routes.join('; ') : '-' },
  ]
}

function phasePaint(phase: RolloutPhase, p: Palette): ((text: string) => string) | undefined {
  switch (phase) {
    case 'Healthy':
      return p.green
    case 'Paused':
      return p.yellow
    case 'Degraded':
      return p.red
    default:
      return undefined
  }
}

function footnotes(input: PlanTextInput): string[] {
  const lines: string[] = []
  if (input.routers.length > 0 && input.abortAt === undefined) {
    // The simulator reports destination weights, and after promotion the stable Service selects the new pods.
    lines.push(input.palette.dim('final: the pods are counted per revision (canary = new, stable = previous), the weights per Service; the stable Service selects the new revision now.'))
  }
  return lines.length > 0 ? ['', ...lines] : []
}

function objectChangeLines(change: ObjectChange, p: Palette): string[] {
  switch (change.change) {
    case 'created':
      return [
        `    ${p.green(`${change.object}: created`)}${change.owner ? p.dim(` (owned by ${change.owner})`) : ''}`,
        ...change.fields.map((f) => `      ${f.path} ${p.green(formatValue(f.after))}`),
      ]
    case 'deleted':
      return [`    ${p.red(`${change.object}: deleted`)}`]
    case 'updated':
      return change.fields.map((f) => `    ${change.object}: ${f.path} ${fieldTransition(f, p)}`)
  }
}

function fieldTransition(field: FieldChange, p: Palette): string {
  const before = 'before' in field ? p.red(formatValue(field.before, 80)) : p.dim('(unset)')
  const after = 'after' in field ? p.green(formatValue(field.after)) : p.dim('(unset)')
  return `${before} → ${after}`
}

/**
 * JSON, so strings and numbers stay distinguishable (`"20"` vs `20`). A value on its way out may be
 * cut to `limit` characters; what an object becomes is always shown whole.
 */
export function formatValue(value: unknown, limit = Infinity): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text
}
