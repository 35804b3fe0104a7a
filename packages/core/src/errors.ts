/**
 * The few error kinds of Sluice. Anything else thrown is treated as transient.
 *
 * | kind            | meaning                                               | the controller                        |
 * |-----------------|-------------------------------------------------------|---------------------------------------|
 * | any `Error`     | transient (conflict, timeout, connection reset)       | retries with backoff                  |
 * | `TerminalError` | the spec or the world is wrong (foreign object, ...)  | condition + Warning Event; no retry until something changes |
 * | `AdapterError`  | a mesh adapter failed on one object                   | as its `terminal` flag or `cause` says |
 */
export class TerminalError extends Error {
  override name = 'TerminalError'
}

/** A failure of one traffic adapter on one object: `[istio] VirtualService default/web: route "primary" not found`. */
export class AdapterError extends Error {
  override name = 'AdapterError'
  readonly adapter: string
  readonly object: string
  /** True when retrying cannot help until the spec or the object changes. */
  readonly terminal: boolean

  constructor(adapter: string, object: string, message: string, options?: ErrorOptions & { terminal?: boolean }) {
    super(`[${adapter}] ${object}: ${message}`, options)
    this.adapter = adapter
    this.object = object
    this.terminal = options?.terminal ?? false
  }
}

/** True when retrying with backoff cannot help: a `TerminalError` or a terminal `AdapterError`. */
export function isTerminal(error: unknown): boolean {
  return error instanceof TerminalError || (error instanceof AdapterError && error.terminal)
}
