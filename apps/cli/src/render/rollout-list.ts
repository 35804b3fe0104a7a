/**
 * `sluice list rollouts`: one row per Rollout, kubectl style. Pure.
 */
import type { Palette } from '../colors.ts'
import type { RolloutView } from '../rollout-view.ts'
import { stepLabel } from '../rollout-view.ts'
import { renderTable } from './table.ts'
import type { Cell } from './table.ts'

const PHASE_PAINT: Record<string, keyof Palette> = { Healthy: 'green', Progressing: 'yellow', Paused: 'cyan', Degraded: 'red' }

export function renderRolloutList(views: readonly RolloutView[], options: { allNamespaces: boolean; palette: Palette }): string {
  const p = options.palette
  if (views.length === 0) return ''
  const header = [...(options.allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'PHASE', 'STEP', 'SET-WEIGHT', 'WEIGHT', 'READY', 'AGE']
  const rows = views.map((v): (string | Cell)[] => [
    ...(options.allNamespaces ? [v.namespace] : []),
    v.name,
    { text: v.phase, paint: (t) => (PHASE_PAINT[v.phase] ? p[PHASE_PAINT[v.phase] as keyof Palette](t) : t) },
    stepLabel(v),
    v.setWeight === undefined ? '-' : String(v.setWeight),
    v.weights ? `${v.weights.canary}${v.weights.source === 'pods' ? ' (pods)' : ''}` : '-',
    `${v.replicas.ready}/${v.replicas.desired}`,
    v.age,
  ])
  return `${renderTable(header, rows, p.bold).join('\n')}\n`
}
