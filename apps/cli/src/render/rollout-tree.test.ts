import { describe, expect, it } from 'vitest'
import type { Rollout } from '@sluice/core'
import { NOW, pausedObjects, pausedRollout } from '../__fixtures__/rollout-objects.ts'
import { createPalette } from '../colors.ts'
import { viewRollout } from '../rollout-view.ts'
import { renderRolloutList } from './rollout-list.ts'
import { renderRolloutTree } from './rollout-tree.ts'

const plain = createPalette(false)
const stripAnsi = (text: string) => text.replace(/\u001b\[\d+m/g, '')

function treeOf(rollout: Rollout, objects = pausedObjects(), palette = plain): string {
  return renderRolloutTree(viewRollout(rollout, objects.replicaSets, objects.pods, NOW), palette)
}

/** The Istio variant: router weights, a header route from step 1, a mirror route from step 3. */
function routedRollout(stepIndex: number): Rollout {
  const rollout = pausedRollout()
  const canary = rollout.spec.strategy?.canary ?? {}
  canary.trafficRouting = { managedRoutes: [{ name: 'beta' }, { name: 'shadow' }], istio: { virtualService: { name: 'web', routes: ['primary'] } } }
  canary.steps = [
    { setWeight: 20 },
    { setHeaderRoute: { name: 'beta', match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }] } },
    { pause: {} },
    { setMirrorRoute: { name: 'shadow', percentage: 50, match: [{ method: { exact: 'GET' }, path: { prefix: '/api' } }] } },
    { setWeight: 50 },
    { pause: {} },
  ]
  rollout.status = { ...rollout.status, currentStepIndex: stepIndex, canary: { weights: { canary: { weight: 20, podTemplateHash: 'v2hash' }, stable: { weight: 80, podTemplateHash: 'v1hash' } } } }
  return rollout
}

describe('get rollout: the tree', () => {
  it('shows phase, step, weights, replicas, steps, revisions with their ReplicaSet and pods, and conditions', () => {
    expect(treeOf(pausedRollout())).toBe(`Rollout shop/web  age 60m
├── Phase:    ॥ Paused  CanaryPauseStep
├── Strategy: canary, no traffic routing (the pods are the split)
├── Step:     1/4  pause
├── Weights:  canary 25% · stable 75% of ready pods (steps ask 25%)
├── Replicas: 4 desired · 4 current · 1 updated · 4 ready · 4 available
├── Steps
│   ├── ✔  0  setWeight: 25
│   ├── ▶  1  pause  ◀ current
│   ├── ○  2  setWeight: 50
│   └── ○  3  pause: 30s
├── Revisions
│   ├── revision 2  canary  web:2
│   │   └── ReplicaSet web-v2hash  1/1 ready  45s
│   │       └── Pod web-v2hash-aaaaa  Running  1/1 ready  0 restarts  40s
│   └── revision 1  stable  web:1
│       └── ReplicaSet web-v1hash  3/3 ready  60m
│           ├── Pod web-v1hash-bbbbb  Running  1/1 ready  0 restarts  59m
│           ├── Pod web-v1hash-ccccc  CrashLoopBackOff  0/1 ready  3 restarts  59m
│           └── Pod web-v1hash-ddddd  Running  1/1 ready  0 restarts  59m
└── Conditions
    ├── Progressing  Unknown  RolloutPaused    Rollout is paused
    ├── Available    True     AvailableReason  Rollout has minimum availability
    └── Healthy      False    RolloutHealthy   Rollout is not healthy
`)
  })

  it('shows the router weights and the header and mirror routes the steps have set up to the current one', () => {
    const atPause = treeOf(routedRollout(2)).split('\n')
    expect(atPause.slice(1, 8)).toEqual([
      '├── Phase:    ॥ Paused  CanaryPauseStep',
      '├── Strategy: canary, traffic routed by istio',
      '├── Step:     2/6  pause',
      '├── Weights:  canary 20% · stable 80% (steps ask 20%)',
      '├── Routes:',
      '│   └── header beta: x-beta exact "1" → canary',
      '├── Replicas: 4 desired · 4 current · 1 updated · 4 ready · 4 available',
    ])
    const later = treeOf(routedRollout(5)).split('\n')
    expect(later.slice(5, 8)).toEqual(['├── Routes:', '│   ├── header beta: x-beta exact "1" → canary', '│   └── mirror shadow: 50% of method exact "GET" and path prefix "/api" copied to canary'])
    // before the first route step there is none
    expect(treeOf(routedRollout(0))).not.toContain('Routes')
  })

  it('marks a verified weight, and one not verified yet', () => {
    const rollout = routedRollout(2)
    const weights = rollout.status?.canary?.weights
    if (weights) weights.verified = false
    expect(treeOf(rollout)).toContain('├── Weights:  canary 20% · stable 80% (steps ask 20%), not verified yet\n')
    if (weights) weights.verified = true
    expect(treeOf(rollout)).toContain('├── Weights:  canary 20% · stable 80% (steps ask 20%), verified\n')
  })

  it('shows an aborted update, and no route or current step then', () => {
    const rollout = routedRollout(2)
    rollout.status = { ...rollout.status, abort: true, currentStepIndex: 0, phase: 'Degraded', message: 'RolloutAborted: Rollout aborted update to revision 2' }
    const tree = treeOf(rollout)
    expect(tree).toContain('├── Phase:    ✖ Degraded  RolloutAborted: Rollout aborted update to revision 2\n')
    expect(tree).toContain('├── Step:     aborted: the stable revision takes all traffic again\n')
    expect(tree).not.toContain('◀ current')
    expect(tree).not.toContain('Routes')
  })

  it('says when the controller has not taken the latest spec yet', () => {
    const rollout = pausedRollout()
    rollout.metadata.generation = 3
    expect(treeOf(rollout)).toContain('├── Phase:    ॥ Paused  CanaryPauseStep  (the controller has not taken generation 3 yet)\n')
  })

  it('shows old revisions as scaled down, with their deadline while they wait for it', () => {
    const objects = pausedObjects()
    const old = objects.replicaSets[0]
    if (old) {
      ;(old.spec as { replicas: number }).replicas = 0
      old.status = { replicas: 0 }
      old.metadata.labels = { ...old.metadata.labels, 'rollouts-pod-template-hash': 'v0hash' }
      old.metadata.annotations = { ...old.metadata.annotations, 'scale-down-deadline': '2026-01-01T12:00:30Z' }
    }
    expect(treeOf(pausedRollout(), { replicaSets: objects.replicaSets, pods: [] })).toContain(
      '│   └── revision 1  old  web:1\n│       └── ReplicaSet web-v1hash  scaled down  60m  scale down at 2026-01-01T12:00:30Z\n',
    )
  })

  it('paints on a terminal, and says the same in plain text without colour', () => {
    const coloured = treeOf(pausedRollout(), pausedObjects(), createPalette(true))
    expect(coloured).toContain('\u001b[36m॥ Paused\u001b[39m')
    expect(coloured).toContain('\u001b[33m▶\u001b[39m \u001b[1m 1  pause\u001b[22m')
    expect(coloured).toContain('\u001b[31mCrashLoopBackOff\u001b[39m')
    expect(stripAnsi(coloured)).toBe(treeOf(pausedRollout()))
    expect(treeOf(pausedRollout())).not.toContain('\u001b[')
  })
})

describe('list rollouts: the table', () => {
  it('has one row per rollout, with a NAMESPACE column for -A', () => {
    const objects = pausedObjects()
    const healthy = pausedRollout()
    healthy.metadata.name = 'api'
    healthy.status = { ...healthy.status, phase: 'Healthy', message: '', stableRS: 'v2hash', currentStepIndex: 4, readyReplicas: 4 }
    delete healthy.status.pauseConditions
    const views = [viewRollout(healthy, [], [], NOW), viewRollout(pausedRollout(), objects.replicaSets, objects.pods, NOW)]
    expect(renderRolloutList(views, { allNamespaces: false, palette: plain })).toBe(`NAME  PHASE    STEP  SET-WEIGHT  WEIGHT     READY  AGE
api   Healthy  4/4   -           -          4/4    60m
web   Paused   1/4   25          25 (pods)  4/4    60m
`)
    expect(renderRolloutList(views, { allNamespaces: true, palette: plain }).split('\n')[1]).toBe('shop       api   Healthy  4/4   -           -          4/4    60m')
    const coloured = renderRolloutList(views, { allNamespaces: false, palette: createPalette(true) })
    expect(coloured).toContain('\u001b[32mHealthy\u001b[39m  ')
    expect(stripAnsi(coloured)).toBe(renderRolloutList(views, { allNamespaces: false, palette: plain }))
  })

  it('shows the router weight for a traffic-routed rollout', () => {
    const view = viewRollout(routedRollout(2), [], [], NOW)
    expect(renderRolloutList([view], { allNamespaces: false, palette: plain }).split('\n')[1]).toBe('web   Paused  2/6   20          20      4/4    60m')
  })
})
