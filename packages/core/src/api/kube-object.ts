/**
 * The smallest Kubernetes object model the engine and the adapters need. `@sluice/core` imports no
 * Kubernetes client: these types describe the JSON the API server speaks, and `KubeApi` is the
 * interface an application hands to the adapters (the controller backs it with a real client, tests
 * with `createMemoryKube()` of `@sluice/kube/memory`).
 */
import { brandErrorClass } from './errors.ts'

export interface OwnerReference {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller?: boolean
  blockOwnerDeletion?: boolean
}

export interface ObjectMeta {
  name?: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
  [field: string]: unknown
}

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [field: string]: unknown
}

/** Identifies one object: group/version, kind, namespace and name. */
export interface ObjectRef {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
}

/** What an ensure/apply step did, finishing the sentence "VirtualService default/web has been …". */
export type WriteResult = 'unchanged' | 'created' | 'updated' | 'deleted'

export interface ApplyOptions {
  /** Field manager recorded by server-side apply; each adapter uses its own (`sluice-<router>`). */
  fieldManager: string
  /** Take over fields another manager set (the controller owns what it applies). Default true. */
  force?: boolean
  /** Validate and admit the change without storing it (server-side dry run). */
  dryRun?: boolean
}

/**
 * The API operations the adapters may use. Every method throws a `KubeApiError` for API errors
 * (`status` 404, 409, 422, ...) and a plain `Error` for transport failures.
 */
export interface KubeApi {
  /** Reads one object; `undefined` when it does not exist (404). */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>
  /** Lists the objects of one kind in a namespace, optionally filtered by a label selector (`a=b,c=d`). */
  list<T extends KubeObject = KubeObject>(
    ref: { apiVersion: string; kind: string; namespace?: string },
    options?: { labelSelector?: string },
  ): Promise<T[]>
  /** Creates an object; throws `KubeApiError` 409 when it exists. */
  create<T extends KubeObject>(object: T): Promise<T>
  /**
   * Replaces an object. `metadata.resourceVersion` must be the one read (optimistic concurrency):
   * a stale one gets `KubeApiError` 409.
   */
  replace<T extends KubeObject>(object: T): Promise<T>
  /** Applies a JSON merge patch (RFC 7386) to an object. */
  mergePatch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T>
  /**
   * Server-side apply: `object` holds exactly the fields this manager owns; fields it owned before
   * and leaves out are removed, fields of other managers are kept.
   */
  apply<T extends KubeObject>(object: T, options: ApplyOptions): Promise<T>
  /** Deletes an object; returns false when it did not exist. */
  delete(ref: ObjectRef): Promise<boolean>
}

/** An error answered by the API server (or by an in-memory API behaving like one). */
export class KubeApiError extends Error {
  override name = 'KubeApiError'
  /** HTTP status: 404 not found, 409 conflict or already exists, 422 invalid, ... */
  readonly status: number
  /** The API's reason (`NotFound`, `Conflict`, `AlreadyExists`, `Invalid`, ...). */
  readonly reason: string
  /** The answer's Retry-After, in seconds (429 Too Many Requests, some 503s), when it had one. */
  readonly retryAfterSeconds?: number

  constructor(status: number, reason: string, message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(message, options)
    this.status = status
    this.reason = reason
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds
  }
}
// Recognised across copies of @sluice/core, as TerminalError is (errors.ts).
brandErrorClass(KubeApiError, 'KubeApiError')

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409
}
