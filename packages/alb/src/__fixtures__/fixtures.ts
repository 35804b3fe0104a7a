/** Test fixtures: multi-document YAML files beside this one, parsed into Kubernetes objects. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { KubeObject } from '@sluice/core'

/** The objects of `__fixtures__/<file>`, in file order. */
export function loadFixture(file: string): KubeObject[] {
  const text = readFileSync(path.join(import.meta.dirname, file), 'utf8')
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
}
