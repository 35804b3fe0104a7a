/**
 * Pure functions over an Istio DestinationRule spec for subset-level splitting: the canary and
 * stable subsets select the pods of one revision through the `rollouts-pod-template-hash` label.
 *
 * Sluice owns that one label in those two subsets. Every other subset (Argo Rollouts drops them),
 * every other label and every other field (`trafficPolicy`, ...) is returned exactly as it was read.
 */
import { POD_TEMPLATE_HASH_LABEL } from '@sluice/core'
import type { KubeObject } from '@sluice/core'

export interface Subset {
  name: string
  labels?: Record<string, string>
  [field: string]: unknown
}

export interface DestinationRuleSpec {
  host?: string
  subsets?: Subset[]
  [field: string]: unknown
}

export interface DestinationRule extends KubeObject {
  spec?: DestinationRuleSpec
}

/** `trafficRouting.istio.destinationRule` without the object name. */
export interface SubsetNames {
  canarySubsetName: string
  stableSubsetName: string
}

/** The pod-template hashes the canary and stable subsets must select; `undefined` leaves a subset as it is. */
export interface SubsetHashes {
  canary: string | undefined
  stable: string | undefined
}

/** What is wrong with the DestinationRule for this configuration (messages finish "DestinationRule default/web …"). */
export function findSubsetProblems(spec: DestinationRuleSpec, names: SubsetNames): string[] {
  const problems: string[] = []
  if (!spec.host) problems.push('has no spec.host')
  const subsets = spec.subsets ?? []
  for (const [role, name] of [['canary', names.canarySubsetName], ['stable', names.stableSubsetName]] as const) {
    const count = subsets.filter((subset) => subset.name === name).length
    if (count === 0) problems.push(`has no subset "${name}" (the ${role} subset)`)
    else if (count > 1) problems.push(`has ${count} subsets named "${name}" (the ${role} subset)`)
  }
  return problems
}

/**
 * The subsets with the canary and stable hash labels set; every other subset and label untouched.
 *   subsets [canary {app: web}, stable {app: web}, legacy {version: v0}], {canary: 'abc', stable: 'xyz'}
 *   → [canary {app: web, rollouts-pod-template-hash: abc}, stable {…: xyz}, legacy {version: v0}]
 */
export function buildSubsets(spec: DestinationRuleSpec, names: SubsetNames, hashes: SubsetHashes): Subset[] {
  return (spec.subsets ?? []).map((subset) => {
    const hash = subset.name === names.canarySubsetName ? hashes.canary : subset.name === names.stableSubsetName ? hashes.stable : undefined
    if (hash === undefined || subset.labels?.[POD_TEMPLATE_HASH_LABEL] === hash) return subset
    return { ...subset, labels: { ...subset.labels, [POD_TEMPLATE_HASH_LABEL]: hash } }
  })
}

/** The hashes the canary and stable subsets select now (`undefined`: the subset has no hash label). */
export function readSubsetHashes(spec: DestinationRuleSpec, names: SubsetNames): SubsetHashes {
  const hashOf = (name: string) => spec.subsets?.find((subset) => subset.name === name)?.labels?.[POD_TEMPLATE_HASH_LABEL]
  return { canary: hashOf(names.canarySubsetName), stable: hashOf(names.stableSubsetName) }
}
