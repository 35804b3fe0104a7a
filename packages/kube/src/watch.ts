/**
 * One watch request: a streaming GET whose body is one JSON event per line. `ERROR` events (a
 * `Status`, e.g. 410 Expired) end the watch with a `KubeApiError`; the server closing the stream
 * (its `timeoutSeconds` ran out) ends it normally.
 */
import type { KubeObject } from '@sluice/core'
import { statusToError } from './api-error.ts'
import type { RestClient } from './rest-client.ts'

export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: T }
  | { type: 'BOOKMARK'; resourceVersion: string }

/** How a watch ended without error: the server closed it, or `abort()` was called. */
export type WatchEnd = 'closed' | 'aborted'

export interface WatchHandle {
  /** Settles when the watch ends: resolves with how it ended, or rejects with the error that ended it. */
  readonly done: Promise<WatchEnd>
  /** Closes the connection; `done` then resolves with `'aborted'`. */
  abort(): void
}

export interface WatchOptions {
  /** Start after this version (from a list or the last event); omitted: the server picks "now". */
  resourceVersion?: string
  labelSelector?: string
  fieldSelector?: string
  /** The server ends the watch after this many seconds. */
  timeoutSeconds?: number
  /** Ask for BOOKMARK events (progress markers carrying only a resourceVersion). Default true. */
  allowWatchBookmarks?: boolean
}

export function openWatch<T extends KubeObject>(
  rest: RestClient,
  path: string,
  options: WatchOptions,
  identity: { apiVersion: string; kind: string },
  onEvent: (event: WatchEvent<T>) => void,
): WatchHandle {
  const controller = new AbortController()
  const done = (async (): Promise<WatchEnd> => {
    let opened: Awaited<ReturnType<RestClient['stream']>>
    try {
      opened = await rest.stream({
        path,
        signal: controller.signal,
        query: {
          watch: 'true',
          resourceVersion: options.resourceVersion,
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          timeoutSeconds: options.timeoutSeconds,
          allowWatchBookmarks: options.allowWatchBookmarks ?? true,
        },
      })
    } catch (error) {
      if (controller.signal.aborted) return 'aborted'
      throw error
    }
    const reader = opened.body.getReader()
    const decoder = new TextDecoder()
    let buffered = ''
    try {
      for (;;) {
        const { value, done: ended } = await reader.read()
        if (ended) break
        buffered += decoder.decode(value, { stream: true })
        let newline: number
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim()
          buffered = buffered.slice(newline + 1)
          if (line) dispatch(line, identity, onEvent)
        }
      }
      const tail = (buffered + decoder.decode()).trim()
      if (tail) dispatch(tail, identity, onEvent)
      return 'closed'
    } catch (error) {
      if (controller.signal.aborted) return 'aborted'
      throw error
    } finally {
      controller.abort()
      reader.releaseLock()
      opened.close()
    }
  })()
  // The informer awaits `done`; this guard only keeps an unobserved rejection from crashing a process.
  done.catch(() => {})
  return { done, abort: () => controller.abort() }
}

function dispatch<T extends KubeObject>(line: string, identity: { apiVersion: string; kind: string }, onEvent: (event: WatchEvent<T>) => void): void {
  let event: { type?: unknown; object?: unknown }
  try {
    event = JSON.parse(line) as { type?: unknown; object?: unknown }
  } catch {
    throw new Error(`[kube] watch of ${identity.kind}: a line that is not JSON: ${line.slice(0, 120)}`)
  }
  switch (event.type) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED': {
      const object = event.object as T
      object.apiVersion ||= identity.apiVersion
      object.kind ||= identity.kind
      onEvent({ type: event.type, object })
      return
    }
    case 'BOOKMARK': {
      const rv = (event.object as KubeObject | undefined)?.metadata?.resourceVersion
      if (rv) onEvent({ type: 'BOOKMARK', resourceVersion: rv })
      return
    }
    case 'ERROR':
      throw statusToError(event.object)
    default:
      // Unknown event types are ignored, as client-go does.
      return
  }
}
