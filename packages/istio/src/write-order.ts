/**
 * In subset-level splitting one change of traffic can touch two objects: the DestinationRule
 * (which revision each subset selects) and the VirtualService (how much each subset gets). They
 * cannot be written at once, so for a moment the mesh runs on one of two in-between states:
 *
 *   hashes-first:  the new subset hashes with the old weights
 *   weights-first: the old subset hashes with the new weights
 *
 * The in-between state must not send a revision more traffic than it had before or will have after;
 * otherwise pods of the wrong revision take weight (a canary sized for 5 % gets 70 %, or the
 * previous stable receives 100 % at promotion).
 *
 *   canary hash c1 → c2, canary weight 20 → 0 (a new revision replaces the canary):
 *     hashes-first sends 20 % to c2, which should get none → weights first.
 *   stable hash s → c, weights 100/0 → 0/100 (promotion):
 *     weights-first sends 100 % to s, which should get none → hashes first.
 *   canary hash s → c, weight 0 → 10 (the first step): both are safe → hashes first.
 */

/** Which pod-template hash each subset selects and the weight (percent) it gets. */
export interface SubsetTraffic {
  canaryHash: string | undefined
  stableHash: string | undefined
  canaryWeight: number
  stableWeight: number
}

export type WriteOrder = 'hashes-first' | 'weights-first'

/** The order of the DestinationRule and VirtualService writes that takes traffic from `before` to `after` safely. */
export function chooseWriteOrder(before: SubsetTraffic, after: SubsetTraffic): WriteOrder {
  const limit = (revision: string) => Math.max(shareOf(before, revision), shareOf(after, revision))
  const isSafe = (state: SubsetTraffic) => revisions(state).every((revision) => shareOf(state, revision) <= limit(revision))
  const hashesFirst = { ...before, canaryHash: after.canaryHash, stableHash: after.stableHash }
  const weightsFirst = { ...after, canaryHash: before.canaryHash, stableHash: before.stableHash }
  if (isSafe(hashesFirst)) return 'hashes-first'
  if (isSafe(weightsFirst)) return 'weights-first'
  // Neither is safe (the engine never asks for this): lower exposure before moving it.
  return after.canaryWeight < before.canaryWeight ? 'weights-first' : 'hashes-first'
}

/** A subset without a hash label selects pods of every revision; it counts as one revision of its own. */
const ANY_REVISION = '\u0000any'

function revisions(state: SubsetTraffic): string[] {
  return [state.canaryHash ?? ANY_REVISION, state.stableHash ?? ANY_REVISION]
}

function shareOf(state: SubsetTraffic, revision: string): number {
  let share = 0
  if ((state.canaryHash ?? ANY_REVISION) === revision) share += state.canaryWeight
  if ((state.stableHash ?? ANY_REVISION) === revision) share += state.stableWeight
  return share
}
