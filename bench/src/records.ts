/**
 * What the harness keeps of a watch event: a few fields and the time the line arrived. The watcher
 * thread turns raw objects into these records as soon as they arrive, so the main thread never holds
 * thousands of full objects and its own work never delays a timestamp.
 */
import { canaryServiceOf } from './workload.ts'

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface RolloutRecord {
  kind: 'Rollout'
  /** Arrival time, ms since the epoch (sub-millisecond). */
  t: number
  type: WatchType
  name: string
  generation: number
  observedGeneration: string | undefined
  phase: string | undefined
  stableRS: string | undefined
  currentPodHash: string | undefined
  step: number | undefined
  weight: number | undefined
  /** startTime of the CanaryPauseStep pause condition, ms since the epoch. */
  pauseStart: number | undefined
}

export interface ReplicaSetRecord {
  kind: 'ReplicaSet'
  t: number
  type: WatchType
  name: string
  /** The controlling Rollout's name. */
  rollout: string | undefined
  hash: string | undefined
  /** spec.replicas */
  replicas: number
  /** status.replicas (pods that exist) */
  current: number
  available: number
}

export interface TrafficSplitRecord {
  kind: 'TrafficSplit'
  t: number
  type: WatchType
  name: string
  /** The canary backend's share of the total weight, on a scale of 100; undefined without backends. */
  canaryWeight: number | undefined
}

export interface EventRecord {
  kind: 'Event'
  t: number
  type: WatchType
  regardingKind: string | undefined
  reportingController: string | undefined
  reason: string | undefined
}

export type WatchRecord = RolloutRecord | ReplicaSetRecord | TrafficSplitRecord | EventRecord

interface Meta {
  name?: string
  generation?: number
  ownerReferences?: { kind: string; name: string; controller?: boolean }[]
  labels?: Record<string, string>
}

/** A raw watched object → its record; undefined for kinds the harness does not track. */
export function toRecord(kind: WatchRecord['kind'], type: WatchType, object: Record<string, unknown>, t: number): WatchRecord | undefined {
  const meta = (object.metadata ?? {}) as Meta
  const name = meta.name ?? ''
  switch (kind) {
    case 'Rollout': {
      const status = (object.status ?? {}) as {
        observedGeneration?: string
        phase?: string
        stableRS?: string
        currentPodHash?: string
        currentStepIndex?: number
        canary?: { weights?: { canary?: { weight?: number } } }
        pauseConditions?: { reason?: string; startTime?: string }[]
      }
      const pause = status.pauseConditions?.find((c) => c.reason === 'CanaryPauseStep')?.startTime
      return {
        kind,
        t,
        type,
        name,
        generation: meta.generation ?? 0,
        observedGeneration: status.observedGeneration,
        phase: status.phase,
        stableRS: status.stableRS,
        currentPodHash: status.currentPodHash,
        step: status.currentStepIndex,
        weight: status.canary?.weights?.canary?.weight,
        pauseStart: pause ? Date.parse(pause) : undefined,
      }
    }
    case 'ReplicaSet': {
      const spec = (object.spec ?? {}) as { replicas?: number }
      const status = (object.status ?? {}) as { replicas?: number; availableReplicas?: number }
      return {
        kind,
        t,
        type,
        name,
        rollout: meta.ownerReferences?.find((o) => o.controller && o.kind === 'Rollout')?.name,
        hash: meta.labels?.['rollouts-pod-template-hash'],
        replicas: spec.replicas ?? 1,
        current: status.replicas ?? 0,
        available: status.availableReplicas ?? 0,
      }
    }
    case 'TrafficSplit': {
      const backends = ((object.spec ?? {}) as { backends?: { service?: string; weight?: number | string }[] }).backends ?? []
      const canaryService = canaryServiceOf(name)
      let total = 0
      let canary = 0
      for (const b of backends) {
        const w = Number(b.weight ?? 0)
        total += w
        if (b.service === canaryService) canary += w
      }
      return { kind, t, type, name, canaryWeight: total > 0 ? (canary * 100) / total : undefined }
    }
    case 'Event': {
      const regarding = (object.regarding ?? {}) as { kind?: string }
      return { kind, t, type, regardingKind: regarding.kind, reportingController: object.reportingController as string | undefined, reason: object.reason as string | undefined }
    }
  }
}
