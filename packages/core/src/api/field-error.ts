/**
 * A problem with one field of a Rollout (or of an object it references), named by its full path.
 * Rendered like the Kubernetes API's field errors:
 *   spec.strategy.canary.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100
 */
export type FieldErrorKind = 'invalid' | 'required' | 'not-supported' | 'not-found' | 'forbidden'

export interface FieldError {
  /** Full JSON path, e.g. `spec.strategy.canary.steps[2].setHeaderRoute.match[0]`. */
  path: string
  kind: FieldErrorKind
  message: string
  /** The offending value, when there is one. */
  value?: unknown
}

const kindLabels: Record<FieldErrorKind, string> = {
  invalid: 'Invalid value',
  required: 'Required value',
  'not-supported': 'Unsupported value',
  'not-found': 'Not found',
  forbidden: 'Forbidden',
}

export function fieldError(kind: FieldErrorKind, path: string, message: string, value?: unknown): FieldError {
  return value === undefined ? { path, kind, message } : { path, kind, message, value }
}

/** `path: Invalid value: <value>: message` (the value as JSON, strings quoted). */
export function formatFieldError(error: FieldError): string {
  const value = error.value === undefined ? '' : `${formatValue(error.value)}: `
  return `${error.path}: ${kindLabels[error.kind]}: ${value}${error.message}`
}

function formatValue(value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}
