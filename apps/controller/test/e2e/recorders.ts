/**
 * Recorders for the end-to-end tests: every version of the objects of one kind, from a watch, and
 * the timeline of several kinds in resourceVersion order.
 */
import type { KubeObject } from '@sluice/core'
import type { Env } from './harness.ts'

/** Records every version of the objects of one kind in the test namespace, from a watch. */
export interface Recorder<T extends KubeObject> {
  readonly seen: T[]
  stop(): void
}

export async function record<T extends KubeObject>(env: Env, apiVersion: string, kind: string): Promise<Recorder<T>> {
  const seen: T[] = []
  const handle = await env.api.watch<T>({ apiVersion, kind, namespace: env.namespace }, { allowWatchBookmarks: false, timeoutSeconds: 600 }, (event) => {
    if (event.type === 'ADDED' || event.type === 'MODIFIED') seen.push(event.object)
  })
  return { seen, stop: () => handle.abort() }
}

/** One watch event of a `recordChanges` recorder: deletions are kept (the object as it was last). */
export interface Change<T extends KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED'
  object: T
}

/** Like `record`, with deletions: every ADDED, MODIFIED and DELETED event of one kind in the test namespace. */
export async function recordChanges<T extends KubeObject>(env: Env, apiVersion: string, kind: string): Promise<{ readonly seen: Change<T>[]; stop(): void }> {
  const seen: Change<T>[] = []
  const handle = await env.api.watch<T>({ apiVersion, kind, namespace: env.namespace }, { allowWatchBookmarks: false, timeoutSeconds: 600 }, (event) => {
    if (event.type !== 'BOOKMARK') seen.push({ type: event.type, object: event.object })
  })
  return { seen, stop: () => handle.abort() }
}

/** Who wrote an object, from its managedFields: `manager operation apiVersion` (e.g. `sluice-smi Apply split.smi-spec.io/v1alpha2`). */
export function writersOf(object: KubeObject | undefined): string[] {
  const fields = (object?.metadata.managedFields ?? []) as { manager?: string; operation?: string; apiVersion?: string }[]
  return fields.map((f) => `${f.manager} ${f.operation} ${f.apiVersion}`)
}

/** Consecutive duplicates removed: the sequence of distinct values something went through. */
export function transitions<T>(values: readonly T[]): T[] {
  return values.filter((v, i) => i === 0 || JSON.stringify(v) !== JSON.stringify(values[i - 1]))
}

/** One moment of a `timeline`: the version that was just written and the latest version of every object seen so far. */
export interface Moment {
  /** The object written at this moment. */
  changed: KubeObject
  /** Latest version of every object recorded so far, keyed `Kind/name`. */
  objects: Record<string, KubeObject>
}

/**
 * The states several objects went through together: the versions recorded by several recorders
 * (of different kinds), merged in resourceVersion order (an etcd-backed API server hands out one
 * increasing revision to all writes), each moment holding the latest version of every object.
 * Lets a test check an invariant over two objects written one after the other, such as a
 * VirtualService weight and a DestinationRule label.
 */
export function timeline(...recorders: Recorder<KubeObject>[]): Moment[] {
  const revision = (o: KubeObject) => BigInt(o.metadata.resourceVersion ?? '0')
  const all = recorders.flatMap((r) => r.seen).sort((a, b) => (revision(a) < revision(b) ? -1 : revision(a) > revision(b) ? 1 : 0))
  const current: Record<string, KubeObject> = {}
  return all.map((changed) => {
    current[`${changed.kind}/${changed.metadata.name}`] = changed
    return { changed, objects: { ...current } }
  })
}
