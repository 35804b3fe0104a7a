/**
 * The SMI TrafficSplit, built and read purely. Every difference between the API versions lives here:
 * the router above it does the same get/ensure for all three.
 *
 *   v1alpha1: `weight` is a Kubernetes quantity; written as a string (`"20"`), as Go clients do
 *   v1alpha2, v1alpha3: `weight` is an integer
 *
 * The backends are the canary (the desired weight) then the stable Service (the rest of the scale).
 * SMI weights are relative, so the split is right on any scale; `readCanaryWeight` reports the
 * canary's share on a scale of 100.
 */
import type { KubeObject } from '@sluice/core'
import { parseQuantity } from './quantity.ts'

export const TRAFFIC_SPLIT_API_VERSIONS = ['split.smi-spec.io/v1alpha1', 'split.smi-spec.io/v1alpha2', 'split.smi-spec.io/v1alpha3'] as const

/** The TrafficSplit API version Sluice reads and writes. */
export type SmiApiVersion = (typeof TRAFFIC_SPLIT_API_VERSIONS)[number]

export interface TrafficSplitBackend {
  service: string
  /** A number, or (v1alpha1) a quantity string. */
  weight?: number | string
}

export interface TrafficSplit extends KubeObject {
  spec?: { service?: string; backends?: TrafficSplitBackend[]; [field: string]: unknown }
}

export interface TrafficSplitInput {
  apiVersion: SmiApiVersion
  name: string
  namespace: string
  /** `spec.service`: the Service clients address (the apex). */
  rootService: string
  canaryService: string
  stableService: string
  /** The canary weight, 0..`maxWeight`. */
  canaryWeight: number
  /** The weight scale (100 unless the rollout sets `maxTrafficWeight`). */
  maxWeight: number
}

/** The TrafficSplit that sends `canaryWeight` of `maxWeight` to the canary Service and the rest to the stable one. */
export function buildTrafficSplit(input: TrafficSplitInput): TrafficSplit {
  const encode = input.apiVersion === 'split.smi-spec.io/v1alpha1' ? (w: number) => String(w) : (w: number) => w
  return {
    apiVersion: input.apiVersion,
    kind: 'TrafficSplit',
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      service: input.rootService,
      backends: [
        { service: input.canaryService, weight: encode(input.canaryWeight) },
        { service: input.stableService, weight: encode(input.maxWeight - input.canaryWeight) },
      ],
    },
  }
}

/**
 * The share of traffic `split` sends to `canaryService`, on a scale of 100: its weight over the sum of
 * all backend weights (a missing backend or weight counts 0). Undefined when a weight is unreadable or
 * all weights are 0 (the split then routes nothing anywhere).
 *   backends canary "20", stable "80"     → 20
 *   backends canary 1, stable 3           → 25
 *   backends stable 100                   → 0
 */
export function readCanaryWeight(split: TrafficSplit, canaryService: string): number | undefined {
  let total = 0
  let canary = 0
  for (const backend of split.spec?.backends ?? []) {
    const weight = backend.weight === undefined ? 0 : parseQuantity(backend.weight)
    if (weight === undefined) return undefined
    total += weight
    if (backend.service === canaryService) canary += weight
  }
  return total > 0 ? (canary * 100) / total : undefined
}
