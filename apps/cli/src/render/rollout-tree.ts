/**
 * `sluice get rollout NAME`: the Rollout as a tree (phase, strategy, step, weights, routes,
 * replicas, the steps with the current one marked, revisions → ReplicaSets → pods, conditions).
 * Pure: a `RolloutView` in, text out; colour only through the palette.
 */
import type { Palette } from '../colors.ts'
import type { ReplicaSetView, RolloutView, StepView } from '../rollout-view.ts'
import { stepLabel } from '../rollout-view.ts'
import { renderTable } from './table.ts'

interface TreeNode {
  text: string
  children?: TreeNode[]
}

export function renderRolloutTree(view: RolloutView, p: Palette): string {
  const root: TreeNode = {
    text: `${p.bold(`Rollout ${view.namespace}/${view.name}`)}  ${p.dim(`age ${view.age}`)}`,
    children: [
      { text: `${label('Phase')}${phase(view, p)}` },
      { text: `${label('Strategy')}${strategy(view)}` },
      ...(view.stepCount > 0 ? [{ text: `${label('Step')}${step(view, p)}` }] : []),
      { text: `${label('Weights')}${weights(view)}` },
      ...(view.routes.length > 0
        ? [
            {
              text: label('Routes').trimEnd(),
              children: view.routes.map((r) => ({
                text: r.kind === 'header' ? `header ${p.bold(r.name)}: ${r.match} → canary` : `mirror ${p.bold(r.name)}: ${r.percentage}% of ${r.match} copied to canary`,
              })),
            },
          ]
        : []),
      { text: `${label('Replicas')}${replicas(view)}` },
      ...(view.stepCount > 0 ? [{ text: p.bold('Steps'), children: view.steps.map((s) => stepNode(s, p)) }] : []),
      { text: p.bold('Revisions'), children: view.revisions.length > 0 ? view.revisions.map((r) => revisionNode(r, p)) : [{ text: p.dim('none yet') }] },
      ...(view.conditions.length > 0 ? [{ text: p.bold('Conditions'), children: conditionRows(view, p).map((text) => ({ text })) }] : []),
    ],
  }
  return `${renderTree(root).join('\n')}\n`
}

const label = (name: string) => `${name}:`.padEnd(10)

const PHASE_STYLE: Record<string, { glyph: string; paint: keyof Palette }> = {
  Healthy: { glyph: '✔', paint: 'green' },
  Progressing: { glyph: '◌', paint: 'yellow' },
  Paused: { glyph: '॥', paint: 'cyan' },
  Degraded: { glyph: '✖', paint: 'red' },
}

export function paintPhase(phaseName: string, p: Palette): string {
  const style = PHASE_STYLE[phaseName]
  return style ? p[style.paint](`${style.glyph} ${phaseName}`) : p.dim(`? ${phaseName}`)
}

function phase(view: RolloutView, p: Palette): string {
  const parts = [paintPhase(view.phase, p)]
  if (view.message && view.message !== view.phase) parts.push(view.message)
  if (!view.observed) parts.push(p.yellow(`(the controller has not taken generation ${view.generation} yet)`))
  return parts.join('  ')
}

function strategy(view: RolloutView): string {
  if (view.routers.length === 0) return 'canary, no traffic routing (the pods are the split)'
  return `canary, traffic routed by ${view.routers.join(', ')}`
}

function step(view: RolloutView, p: Palette): string {
  if (view.aborted) return p.red('aborted: the stable revision takes all traffic again')
  const current = view.steps.find((s) => s.state === 'current')
  if (current) return `${stepLabel(view)}  ${current.text}`
  if (view.steps.every((s) => s.state === 'done')) return `${stepLabel(view)}  all steps done`
  return stepLabel(view)
}

function weights(view: RolloutView): string {
  const w = view.weights
  const set = view.setWeight !== undefined ? ` (steps ask ${view.setWeight}${w && w.max !== 100 ? `/${w.max}` : '%'})` : ''
  if (!w) return view.routers.length > 0 ? `not set yet${set}` : `no ready pods${set}`
  const unit = w.max === 100 ? '%' : `/${w.max}`
  const of = w.source === 'pods' ? ' of ready pods' : ''
  const verified = w.verified === undefined ? '' : w.verified ? ', verified' : ', not verified yet'
  return `canary ${w.canary}${unit} · stable ${w.stable}${unit}${of}${set}${verified}`
}

function replicas(view: RolloutView): string {
  const r = view.replicas
  return `${r.desired} desired · ${r.current} current · ${r.updated} updated · ${r.ready} ready · ${r.available} available`
}

function stepNode(s: StepView, p: Palette): TreeNode {
  const text = `${String(s.index).padStart(2)}  ${s.text}`
  switch (s.state) {
    case 'done':
      return { text: `${p.green('✔')} ${p.dim(text)}` }
    case 'current':
      return { text: `${p.yellow('▶')} ${p.bold(text)}  ${p.yellow('◀ current')}` }
    case 'pending':
      return { text: `${p.dim('○')} ${text}` }
  }
}

const ROLE_PAINT: Record<ReplicaSetView['role'], keyof Palette> = { stable: 'green', canary: 'yellow', old: 'dim' }

function revisionNode(r: ReplicaSetView, p: Palette): TreeNode {
  const role = p[ROLE_PAINT[r.role]](r.role)
  const deadline = r.scaleDownDeadline ? p.dim(`  scale down at ${r.scaleDownDeadline}`) : ''
  const readiness = r.desired === 0 && r.current === 0 ? p.dim('scaled down') : `${r.ready}/${r.desired} ready`
  return {
    text: `revision ${r.revision}  ${role}  ${r.images.join(', ')}`,
    children: [
      {
        text: `ReplicaSet ${r.name}  ${readiness}  ${p.dim(r.age)}${deadline}`,
        children: r.pods.map((pod) => ({
          text: `Pod ${pod.name}  ${paintPodStatus(pod.status, p)}  ${pod.ready} ready  ${pod.restarts} restart${pod.restarts === 1 ? '' : 's'}  ${p.dim(pod.age)}`,
        })),
      },
    ],
  }
}

function paintPodStatus(status: string, p: Palette): string {
  if (status === 'Running' || status === 'Succeeded') return p.green(status)
  if (status === 'Pending' || status === 'ContainerCreating') return p.yellow(status)
  if (status === 'Terminating') return p.dim(status)
  return p.red(status)
}

function conditionRows(view: RolloutView, p: Palette): string[] {
  const rows = view.conditions.map((c) => [c.type, { text: c.status, paint: c.status === 'True' ? p.green : c.status === 'False' ? p.dim : p.yellow }, c.reason, { text: c.message, paint: p.dim }])
  // The table's header row is not wanted here: render with one and drop it.
  return renderTable(['', '', '', ''], rows).slice(1)
}

function renderTree(node: TreeNode): string[] {
  const lines = [node.text]
  const children = node.children ?? []
  children.forEach((child, i) => {
    const last = i === children.length - 1
    const [first, ...rest] = renderTree(child)
    lines.push(`${last ? '└── ' : '├── '}${first}`)
    for (const line of rest) lines.push(`${last ? '    ' : '│   '}${line}`)
  })
  return lines
}
