/**
 * The logger the runtime writes to: pino's `(object, message)` call shape, so a pino logger (or a
 * child of one) can be passed as it is. The runtime never depends on a logging library.
 */
export interface Logger {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Discards everything: the default when no logger is given. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

/** An error as log fields: message and name (and the API status when it has one), never a stack dump by default. */
export function errorFields(error: unknown): { err: { name: string; message: string; status?: number; reason?: string } } {
  if (error instanceof Error) {
    const withStatus = error as Error & { status?: unknown; reason?: unknown }
    const err: { name: string; message: string; status?: number; reason?: string } = { name: error.name, message: error.message }
    if (typeof withStatus.status === 'number') err.status = withStatus.status
    if (typeof withStatus.reason === 'string') err.reason = withStatus.reason
    return { err }
  }
  return { err: { name: 'NonError', message: String(error) } }
}
