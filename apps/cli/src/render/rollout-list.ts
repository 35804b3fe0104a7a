/**
 * `sluice list rollouts`: one row per Rollout, kubectl style. Pure.
 */
import type { Palette } from '../colors.ts'
import type { RolloutView } from '../rollout-view.ts'
import { stepLabel } from '../rollout-view.ts'
import { renderTable } from './table.ts'
import type { Cell } from './table.ts'

const PHASE_PAINT: Record<string, keyof Palette> = { Healthy: 'green', Progressing: 'yellow', Paused: 'cyan', Degraded: 'red' }

/**
 * The table; `timestamp` (`list --timestamps`, as Argo's) adds a first TIMESTAMP column with that
 * text on every row.
 */
export function renderRolloutList(views: readonly RolloutView[], options: { allNamespaces: boolean; palette: Palette; timestamp?: string | undefined }): string {
  return views.length === 0 ? '' : `${rolloutListLines(views, options).join('\n')}\n`
}

/** The header, then one line per view, padded to the same columns. */
export function rolloutListLines(views: readonly RolloutView[], options: { allNamespaces: boolean; palette: Palette; timestamp?: string | undefined }): string[] {
  const p = options.palette
  const stamp = options.timestamp === undefined ? [] : [options.timestamp]
  const header = [...(stamp.length > 0 ? ['TIMESTAMP'] : []), ...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'PHASE', 'STEP', 'SET-WEIGHT', 'WEIGHT', 'READY', 'AGE']
  const rows = views.map((v): (string | Cell)[] => [
    ...stamp,
    ...(options.allNamespaces ? [v.namespace] : []),
    v.name,
    { text: v.phase, paint: (t) => (PHASE_PAINT[v.phase] ? p[PHASE_PAINT[v.phase] as keyof Palette](t) : t) },
    stepLabel(v),
    v.setWeight === undefined ? '-' : String(v.setWeight),
    v.weights ? `${v.weights.canary}${v.weights.source === 'pods' ? ' (pods)' : ''}` : '-',
    `${v.replicas.ready}/${v.replicas.desired}`,
    v.age,
  ])
  return renderTable(header, rows, p.bold)
}

/** What a list row shows apart from its age: a change of it is a new line under `list --watch`. */
export function rolloutRowKey(v: RolloutView): string {
  return JSON.stringify([v.phase, stepLabel(v), v.setWeight, v.weights?.canary, v.weights?.source, v.replicas.ready, v.replicas.desired])
}
