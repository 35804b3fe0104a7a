/**
 * Prometheus metrics. Names follow Argo Rollouts' where one exists (`rollout_info`, `rollout_phase`,
 * `rollout_reconcile`, `rollout_reconcile_error`, `rollout_info_replicas_*`), so existing dashboards
 * and alerts keep working; the rest are prefixed `sluice_`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Rollout, RolloutPhase } from '@sluice/core'
import { configuredRouters } from '@sluice/core'

const PHASES: RolloutPhase[] = ['Healthy', 'Progressing', 'Paused', 'Degraded']

export interface ControllerMetrics {
  registry: Registry
  observeReconcile(namespace: string, name: string, seconds: number, outcome: 'done' | 'requeue' | 'retry' | 'terminal'): void
  setRollout(rollout: Rollout): void
  deleteRollout(namespace: string, name: string): void
  setQueueDepth(depth: number): void
  /** Sets the request gauge to the sum of the clients' counts (the cached and the uncached client). */
  countApiRequests(...clients: Readonly<Record<string, number>>[]): void
}

export function createMetrics(): ControllerMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const reconcile = new Histogram({
    name: 'rollout_reconcile',
    help: 'Rollout reconciliation performance, in seconds.',
    labelNames: ['namespace', 'name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const reconcileErrors = new Counter({
    name: 'rollout_reconcile_error',
    help: 'Rollout reconciliations that failed.',
    labelNames: ['namespace', 'name'],
    registers: [registry],
  })
  const reconciles = new Counter({
    name: 'sluice_reconcile_total',
    help: 'Rollout reconciliations by outcome (done, requeue, retry, terminal).',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const info = new Gauge({
    name: 'rollout_info',
    help: 'Information about each Rollout (always 1).',
    labelNames: ['namespace', 'name', 'strategy', 'traffic_router', 'phase'],
    registers: [registry],
  })
  const phase = new Gauge({
    name: 'rollout_phase',
    help: 'The phase of each Rollout: 1 for the current phase, 0 for the others.',
    labelNames: ['namespace', 'name', 'phase'],
    registers: [registry],
  })
  const available = new Gauge({ name: 'rollout_info_replicas_available', help: 'Available pods of each Rollout.', labelNames: ['namespace', 'name'], registers: [registry] })
  const desired = new Gauge({ name: 'rollout_info_replicas_desired', help: 'spec.replicas of each Rollout.', labelNames: ['namespace', 'name'], registers: [registry] })
  const weight = new Gauge({
    name: 'sluice_rollout_canary_weight',
    help: 'The canary weight the traffic routers carry for each Rollout (absent without traffic routing).',
    labelNames: ['namespace', 'name'],
    registers: [registry],
  })
  const step = new Gauge({ name: 'sluice_rollout_step_index', help: 'status.currentStepIndex of each Rollout.', labelNames: ['namespace', 'name'], registers: [registry] })
  const depth = new Gauge({ name: 'workqueue_depth', help: 'Keys waiting in the work queue.', labelNames: ['name'], registers: [registry] })
  const requests = new Gauge({
    name: 'sluice_api_requests',
    help: 'Requests this controller sent to the Kubernetes API server, by verb (since start).',
    labelNames: ['verb'],
    registers: [registry],
  })
  const labelled = new Map<string, string>()

  return {
    registry,
    observeReconcile(namespace, name, seconds, outcome) {
      reconcile.observe({ namespace, name }, seconds)
      reconciles.inc({ outcome })
      if (outcome === 'retry' || outcome === 'terminal') reconcileErrors.inc({ namespace, name })
    },
    setRollout(rollout) {
      const namespace = rollout.metadata.namespace ?? 'default'
      const name = rollout.metadata.name ?? ''
      const key = `${namespace}/${name}`
      const current = rollout.status?.phase ?? 'Progressing'
      const labels = { namespace, name, strategy: 'canary', traffic_router: configuredRouters(rollout).join(',') || 'none', phase: current }
      const previous = labelled.get(key)
      const serialized = JSON.stringify(labels)
      if (previous && previous !== serialized) info.remove(JSON.parse(previous) as typeof labels)
      labelled.set(key, serialized)
      info.set(labels, 1)
      for (const p of PHASES) phase.set({ namespace, name, phase: p }, p === current ? 1 : 0)
      available.set({ namespace, name }, rollout.status?.availableReplicas ?? 0)
      desired.set({ namespace, name }, rollout.spec.replicas ?? 1)
      const w = rollout.status?.canary?.weights?.canary.weight
      if (w === undefined) weight.remove({ namespace, name })
      else weight.set({ namespace, name }, w)
      const index = rollout.status?.currentStepIndex
      if (index === undefined) step.remove({ namespace, name })
      else step.set({ namespace, name }, index)
    },
    deleteRollout(namespace, name) {
      const key = `${namespace}/${name}`
      const previous = labelled.get(key)
      if (previous) info.remove(JSON.parse(previous) as Record<string, string>)
      labelled.delete(key)
      for (const p of PHASES) phase.remove({ namespace, name, phase: p })
      for (const g of [available, desired, weight, step]) g.remove({ namespace, name })
      reconcile.remove({ namespace, name })
      reconcileErrors.remove({ namespace, name })
    },
    setQueueDepth(n) {
      depth.set({ name: 'rollouts' }, n)
    },
    countApiRequests(...clients) {
      const total = new Map<string, number>()
      for (const counts of clients) for (const [verb, n] of Object.entries(counts)) total.set(verb, (total.get(verb) ?? 0) + n)
      for (const [verb, n] of total) requests.set({ verb }, n)
    },
  }
}
