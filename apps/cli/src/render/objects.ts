/** API objects as `-o json` / `-o yaml` print them. Pure. */
import { stringify } from 'yaml'

export function renderObject(object: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(object, null, 2)}\n` : stringify(object)
}

/** Several objects as one document, as kubectl prints a list: `{apiVersion: v1, kind: List, items}`. */
export function renderList(items: readonly unknown[], format: 'json' | 'yaml'): string {
  return renderObject({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } }, format)
}
