import { canonicalJson } from '../kube/json.ts'
import { goJsonOfSteps } from './go-json.ts'
import type { CanaryStep, PodTemplateSpec } from '../api/rollout.ts'

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, followed by `extra` bytes. */
function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5
  for (const byte of bytes) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/** Maps the decimal digits of a 32-bit hash onto a 27-letter alphabet without vowels (no accidental words). */
function encode(hash: number): string {
  let out = ''
  for (const ch of String(hash)) out += ALPHABET[ch.charCodeAt(0) % ALPHABET.length]
  return out
}

/**
 * The `rollouts-pod-template-hash` of a pod template: FNV-1a over its canonical JSON (keys sorted),
 * then the collision count (when set) as 4 little-endian bytes and 4 zero bytes.
 *
 * Argo Rollouts hashes Go's JSON encoding of the template, whose field order and defaults cannot be
 * reproduced byte for byte here, so the same template gets a different hash under Sluice. A
 * ReplicaSet Argo Rollouts made is recognised instead by the Rollout's own current status or by
 * comparing templates with the API server's defaults applied (`findReplicaSetFor`).
 */
export function podTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const text = new TextEncoder().encode(canonicalJson(template ?? {}))
  let bytes = text
  if (collisionCount !== undefined && collisionCount > 0) {
    bytes = new Uint8Array(text.length + 8)
    bytes.set(text)
    new DataView(bytes.buffer).setUint32(text.length, collisionCount >>> 0, true)
  }
  return encode(fnv1a32(bytes))
}

/**
 * `status.currentStepHash`, computed exactly as Argo Rollouts computes it (FNV-1a over Go's JSON of
 * the steps, see `goJsonOfSteps`), so a change of steps restarts the update under either controller
 * and neither restarts a Rollout the other was running. `undefined` (no `steps`) and `[]` differ, as
 * they do in Go (`null` and `[]`).
 */
export function stepsHash(steps: readonly CanaryStep[] | undefined): string {
  return encode(fnv1a32(new TextEncoder().encode(goJsonOfSteps(steps))))
}

/**
 * The step hash Sluice recorded before it computed Argo Rollouts' (FNV-1a over the steps' canonical
 * JSON, `[]` when absent): still accepted, and replaced, so that upgrading Sluice does not restart
 * the steps of a Rollout in progress.
 */
export function legacyStepsHash(steps: readonly CanaryStep[] | undefined): string {
  return encode(fnv1a32(new TextEncoder().encode(canonicalJson(steps ?? []))))
}
