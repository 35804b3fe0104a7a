/**
 * The user operations on a Rollout, with the same API effects as Argo Rollouts' kubectl plugin, so
 * either tool can drive either controller:
 *
 * | operation      | writes                                                                      |
 * |----------------|-----------------------------------------------------------------------------|
 * | promote        | spec.paused=false; then clears status.pauseConditions, or skips the step    |
 * | promote --full | status.promoteFull=true (and spec.paused=false)                              |
 * | abort          | status.abort=true                                                           |
 * | retry          | status.abort=false                                                          |
 * | pause / resume | spec.paused=true / false                                                    |
 * | restart        | spec.restartAt=now                                                          |
 * | setImage       | spec.template.spec.(init)containers[name].image                              |
 * | undo           | spec.template = the template of an earlier revision                          |
 *
 * Each is a pure decision (`decideX`, unit-tested) plus one write guarded by the resourceVersion read,
 * so an operation never overwrites a change it did not see.
 */
import { POD_TEMPLATE_HASH_LABEL, REVISION_ANNOTATION, isConflict, isControlledBy } from '@sluice/core'
import type { KubeApi, KubeObject, ObjectRef, PodTemplateSpec, Rollout } from '@sluice/core'

/** The API an operation needs: core's `KubeApi` plus merge patches of the status subresource (`@sluice/kube` provides both). */
export interface RolloutClientApi extends KubeApi {
  mergePatchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T>
}

/** The operation does not apply to the Rollout as it is (promote on a healthy Rollout, retry without an abort...). */
export class OperationRefused extends Error {
  override name = 'OperationRefused'
}

/** What an operation writes. */
export interface OperationPatch {
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  /** Replace the whole spec.template (undo). */
  template?: PodTemplateSpec
  /** What was done, for the person who asked: `rollout "default/web" promoted`. */
  message: string
}

const nameOf = (rollout: Rollout) => `${rollout.metadata.namespace ?? 'default'}/${rollout.metadata.name}`
const isFullyPromoted = (rollout: Rollout) => {
  const status = rollout.status ?? {}
  return status.stableRS !== undefined && status.stableRS === status.currentPodHash
}

export function decidePromote(rollout: Rollout, options: { full?: boolean } = {}): OperationPatch {
  const status = rollout.status ?? {}
  const steps = rollout.spec.strategy?.canary?.steps ?? []
  const paused = rollout.spec.paused === true
  if (status.abort) throw new OperationRefused(`rollout "${nameOf(rollout)}" is aborted: use retry to start the update again, or undo`)
  if (options.full) {
    if (isFullyPromoted(rollout)) throw new OperationRefused(`rollout "${nameOf(rollout)}" is already fully promoted: nothing to promote`)
    return { status: { promoteFull: true }, ...(paused ? { spec: { paused: false } } : {}), message: `rollout "${nameOf(rollout)}" fully promoted` }
  }
  const pauses = status.pauseConditions ?? []
  if (isFullyPromoted(rollout) && !paused && pauses.length === 0) {
    throw new OperationRefused(`rollout "${nameOf(rollout)}" is not in the middle of an update: nothing to promote`)
  }
  const spec = paused ? { paused: false } : undefined
  if (pauses.length > 0) return { ...(spec ? { spec } : {}), status: { pauseConditions: null }, message: `rollout "${nameOf(rollout)}" promoted` }
  if (paused) return { spec: { paused: false }, message: `rollout "${nameOf(rollout)}" unpaused` }
  const index = status.currentStepIndex
  if (index === undefined || index >= steps.length) {
    throw new OperationRefused(`rollout "${nameOf(rollout)}" has no step left to promote past (use --full to skip the wait for pods)`)
  }
  return { status: { currentStepIndex: index + 1, pauseConditions: null }, message: `rollout "${nameOf(rollout)}" promoted past step ${index + 1}/${steps.length}` }
}

export function decideAbort(rollout: Rollout): OperationPatch {
  if (isFullyPromoted(rollout)) throw new OperationRefused(`rollout "${nameOf(rollout)}" is fully promoted: there is no update to abort`)
  if (rollout.status?.abort) throw new OperationRefused(`rollout "${nameOf(rollout)}" is already aborted`)
  return { status: { abort: true }, message: `rollout "${nameOf(rollout)}" aborted` }
}

export function decideRetry(rollout: Rollout): OperationPatch {
  if (!rollout.status?.abort) throw new OperationRefused(`rollout "${nameOf(rollout)}" is not aborted: nothing to retry`)
  return { status: { abort: false }, message: `rollout "${nameOf(rollout)}" retried` }
}

export function decidePause(rollout: Rollout): OperationPatch {
  if (rollout.spec.paused) throw new OperationRefused(`rollout "${nameOf(rollout)}" is already paused`)
  return { spec: { paused: true }, message: `rollout "${nameOf(rollout)}" paused` }
}

export function decideResume(rollout: Rollout): OperationPatch {
  if (!rollout.spec.paused) throw new OperationRefused(`rollout "${nameOf(rollout)}" is not paused (spec.paused); to leave a pause step use promote`)
  return { spec: { paused: false }, message: `rollout "${nameOf(rollout)}" resumed` }
}

export function decideRestart(rollout: Rollout, now: Date): OperationPatch {
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z')
  return { spec: { restartAt: at }, message: `rollout "${nameOf(rollout)}" restarts its pods (restartAt ${at})` }
}

/**
 * A new image for the container (or init container) named `container`; `*` sets it for every
 * container and init container, as `kubectl argo rollouts set image NAME '*=IMAGE'` does.
 */
export function decideSetImage(rollout: Rollout, container: string, image: string): OperationPatch {
  const spec = rollout.spec.template?.spec ?? {}
  if (container === '*') return decideSetEveryImage(rollout, image)
  for (const field of ['containers', 'initContainers'] as const) {
    const list = (spec[field] ?? []) as { name: string; image?: string }[]
    const i = list.findIndex((c) => c.name === container)
    if (i < 0) continue
    if (list[i]?.image === image) throw new OperationRefused(`container "${container}" of rollout "${nameOf(rollout)}" already runs ${image}`)
    const updated = list.map((c, j) => (j === i ? { ...c, image } : c))
    return { spec: { template: { spec: { [field]: updated } } }, message: `rollout "${nameOf(rollout)}" container "${container}" image set to ${image}` }
  }
  const names = [...((spec.containers ?? []) as { name: string }[]), ...((spec.initContainers ?? []) as { name: string }[])].map((c) => c.name)
  throw new OperationRefused(`rollout "${nameOf(rollout)}" has no container "${container}" (it has: ${names.join(', ') || 'none'})`)
}

function decideSetEveryImage(rollout: Rollout, image: string): OperationPatch {
  const spec = rollout.spec.template?.spec ?? {}
  const changes: Record<string, unknown> = {}
  const changed: string[] = []
  for (const field of ['containers', 'initContainers'] as const) {
    const list = spec[field] as { name: string; image?: string }[] | undefined
    if (!list || list.length === 0) continue
    for (const c of list) if (c.image !== image) changed.push(c.name)
    changes[field] = list.map((c) => ({ ...c, image }))
  }
  if (Object.keys(changes).length === 0) throw new OperationRefused(`rollout "${nameOf(rollout)}" has no containers`)
  if (changed.length === 0) throw new OperationRefused(`every container of rollout "${nameOf(rollout)}" already runs ${image}`)
  return { spec: { template: { spec: changes } }, message: `rollout "${nameOf(rollout)}" image set to ${image} in container${changed.length === 1 ? '' : 's'} ${changed.map((n) => `"${n}"`).join(', ')}` }
}

/**
 * Undo: the template of an earlier revision becomes the Rollout's template again (the newest revision
 * before the current one, or `toRevision`). `replicaSets` are those the Rollout controls.
 */
export function decideUndo(rollout: Rollout, replicaSets: readonly KubeObject[], toRevision?: number): OperationPatch {
  const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? '0')
  const current = rollout.status?.currentPodHash
  const currentRevision = Math.max(0, ...replicaSets.filter((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === current).map(revisionOf))
  const candidates = replicaSets
    .filter((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] !== current)
    .filter((rs) => (toRevision === undefined ? revisionOf(rs) < currentRevision : revisionOf(rs) === toRevision))
    .sort((a, b) => revisionOf(b) - revisionOf(a))
  const target = candidates[0]
  if (!target) {
    throw new OperationRefused(
      toRevision === undefined ? `rollout "${nameOf(rollout)}" has no earlier revision to go back to` : `rollout "${nameOf(rollout)}" has no revision ${toRevision}`,
    )
  }
  const template = structuredClone((target.spec as { template?: PodTemplateSpec }).template ?? {})
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL]
  return { template, message: `rollout "${nameOf(rollout)}" rolled back to revision ${revisionOf(target)}` }
}

// ---------------------------------------------------------------------------------------------------
// Carrying the decisions out

export interface RolloutRef {
  namespace: string
  name: string
}

const rolloutRef = (ref: RolloutRef): ObjectRef => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: ref.namespace, name: ref.name })

/** Reads a Rollout; throws `OperationRefused` when it does not exist. */
export async function getRollout(api: KubeApi, ref: RolloutRef): Promise<Rollout> {
  const rollout = await api.get<Rollout>(rolloutRef(ref))
  if (!rollout) throw new OperationRefused(`rollout "${ref.namespace}/${ref.name}" not found`)
  return rollout
}

/** The ReplicaSets a Rollout controls. */
export async function replicaSetsOf(api: KubeApi, rollout: Rollout): Promise<KubeObject[]> {
  const all = await api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: rollout.metadata.namespace ?? 'default' })
  return all.filter((rs) => isControlledBy(rs, { kind: 'Rollout', name: rollout.metadata.name ?? '', uid: rollout.metadata.uid ?? '' }))
}

/**
 * Reads the Rollout, decides, writes: spec changes with a merge patch carrying the resourceVersion
 * read (a concurrent change makes it fail with 409 rather than be overwritten), status changes
 * through the status subresource. On a conflict it reads and decides again (up to 5 times), so the
 * decision is always made on what it overwrites. Returns what was done.
 */
export async function runOperation(api: RolloutClientApi, ref: RolloutRef, decide: (rollout: Rollout) => OperationPatch | Promise<OperationPatch>): Promise<string> {
  // A controller writes the status all the time: on a conflict, read again and decide again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(api, ref, decide)
    } catch (error) {
      if (!isConflict(error) || attempt >= 5) throw error
    }
  }
}

async function runOnce(api: RolloutClientApi, ref: RolloutRef, decide: (rollout: Rollout) => OperationPatch | Promise<OperationPatch>): Promise<string> {
  const rollout = await getRollout(api, ref)
  const patch = await decide(rollout)
  const resourceVersion = rollout.metadata.resourceVersion
  if (patch.template) {
    await api.replace({ ...rollout, spec: { ...rollout.spec, template: patch.template } })
  } else if (patch.spec) {
    await api.mergePatch(rolloutRef(ref), { metadata: { resourceVersion }, spec: patch.spec })
  }
  if (patch.status) {
    const fresh = patch.spec || patch.template ? await getRollout(api, ref) : rollout
    await api.mergePatchStatus(rolloutRef(ref), { metadata: { resourceVersion: fresh.metadata.resourceVersion }, status: patch.status })
  }
  return patch.message
}

export const promote = (api: RolloutClientApi, ref: RolloutRef, options: { full?: boolean } = {}) => runOperation(api, ref, (r) => decidePromote(r, options))
export const abort = (api: RolloutClientApi, ref: RolloutRef) => runOperation(api, ref, decideAbort)
export const retry = (api: RolloutClientApi, ref: RolloutRef) => runOperation(api, ref, decideRetry)
export const pause = (api: RolloutClientApi, ref: RolloutRef) => runOperation(api, ref, decidePause)
export const resume = (api: RolloutClientApi, ref: RolloutRef) => runOperation(api, ref, decideResume)
export const restart = (api: RolloutClientApi, ref: RolloutRef, now: Date = new Date()) => runOperation(api, ref, (r) => decideRestart(r, now))
export const setImage = (api: RolloutClientApi, ref: RolloutRef, container: string, image: string) => runOperation(api, ref, (r) => decideSetImage(r, container, image))
export const undo = (api: RolloutClientApi, ref: RolloutRef, toRevision?: number) =>
  runOperation(api, ref, async (r) => decideUndo(r, await replicaSetsOf(api, r), toRevision))
