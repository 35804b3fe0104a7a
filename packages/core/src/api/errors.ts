/**
 * The few error kinds of Sluice. Anything else thrown is treated as transient.
 *
 * | kind            | meaning                                               | the controller                        |
 * |-----------------|-------------------------------------------------------|---------------------------------------|
 * | any `Error`     | transient (conflict, timeout, connection reset)       | retries with backoff                  |
 * | `TerminalError` | the spec or the world is wrong (foreign object, ...)  | condition + Warning Event; no retry until something changes |
 * | `AdapterError`  | a mesh adapter failed on one object                   | as its `terminal` flag or `cause` says |
 *
 * Recognised by a brand, not by identity. An application can end up with two copies of
 * `@sluice/core` (an adapter resolved to another version, a bundler that duplicated it); an error
 * thrown by a class of one copy is then no `instanceof` the class of the other, and a terminal error
 * would look transient and be retried forever. Each class marks its prototype with a string under
 * the registry symbol `Symbol.for('@sluice/core.error')` (the same symbol in every copy and realm),
 * and `instanceof` these classes and `isTerminal` check that mark:
 *
 *   new TerminalError('x') instanceof TerminalError                  → true (any copy's TerminalError)
 *   { [Symbol.for('@sluice/core.error')]: 'TerminalError' } instanceof TerminalError → true
 *   new Error('x') instanceof TerminalError                          → false
 *
 * Subclasses get the plain prototype-chain check for themselves and keep their parent's mark.
 */
export const ERROR_BRAND: unique symbol = Symbol.for('@sluice/core.error') as never

/** The marks in use; a new kind adds one here and never reuses one. */
export type ErrorBrand = 'TerminalError' | 'AdapterError' | 'KubeApiError'

/** True when `value` carries the mark `brand` (from any copy of `@sluice/core`). */
export function hasErrorBrand(value: unknown, brand: ErrorBrand): boolean {
  return typeof value === 'object' && value !== null && (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] === brand
}

/**
 * Marks `cls.prototype` with `brand` and makes `instanceof cls` check the mark. Only `cls` itself is
 * checked by mark: `instanceof` a subclass keeps the ordinary prototype-chain meaning.
 */
export function brandErrorClass(cls: abstract new (...args: never[]) => Error, brand: ErrorBrand): void {
  Object.defineProperty(cls.prototype, ERROR_BRAND, { value: brand, enumerable: false })
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (this === cls) return hasErrorBrand(value, brand)
      return Function.prototype[Symbol.hasInstance].call(this, value)
    },
  })
}

export class TerminalError extends Error {
  override name = 'TerminalError'
}
brandErrorClass(TerminalError, 'TerminalError')

/** A failure of one traffic adapter on one object: `[my-mesh] HTTPProxy default/web: no route to the stable Service`. */
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
brandErrorClass(AdapterError, 'AdapterError')

/**
 * True when retrying with backoff cannot help: a `TerminalError` or a terminal `AdapterError`, from
 * this copy of `@sluice/core` or any other (see the brand above).
 */
export function isTerminal(error: unknown): boolean {
  return (
    hasErrorBrand(error, 'TerminalError') ||
    (hasErrorBrand(error, 'AdapterError') && (error as { terminal?: unknown }).terminal === true)
  )
}
