/**
 * Reads the one file `plan` and `lint` work on: a multi-document YAML stream with exactly one
 * Rollout plus the Services and mesh objects it references. Everything wrong with the file itself
 * (malformed YAML, a document that is not an object, no Rollout or two, duplicates) is an
 * `InputError` that names the file, line and column.
 */
import { LineCounter, parseAllDocuments } from 'yaml'
import type { Document } from 'yaml'
import { formatFieldError } from '@sluice/core'
import type { FieldError, KubeObject, Rollout } from '@sluice/core'
import { InputError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'

export interface SourcePosition {
  /** 1-based. */
  line: number
  /** 1-based. */
  col: number
}

export interface Manifest {
  /** The file name as given on the command line. */
  file: string
  /** The Rollout, with `metadata.namespace` defaulted to `default`. */
  rollout: Rollout
  /** Every other object, in file order, each with its namespace defaulted to the Rollout's. */
  objects: KubeObject[]
  /**
   * Where a field of the Rollout is written (`spec.strategy.canary.steps[0].setWeight`): the field
   * itself, or its nearest enclosing field when the path does not exist in the file.
   */
  locate(path: string): SourcePosition | undefined
}

interface ParsedDocument {
  number: number
  node: Document.Parsed
  position: SourcePosition
  value: unknown
}

export async function loadManifest(file: string, ctx: CliContext): Promise<Manifest> {
  let text: string
  try {
    text = await ctx.readFile(file)
  } catch (error) {
    throw new InputError(`${file}: ${describeReadError(error)}`, [], { cause: error })
  }
  return parseManifest(text, file)
}

function describeReadError(error: unknown): string {
  switch ((error as { code?: string } | undefined)?.code) {
    case 'ENOENT':
      return 'no such file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory, not a file'
    default:
      return `cannot be read: ${error instanceof Error ? error.message : String(error)}`
  }
}

/** `examples/web.yaml:14:22: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: ...` */
export function describeFieldError(error: FieldError, manifest: Manifest): string {
  const at = manifest.locate(error.path)
  return `${at ? `${manifest.file}:${at.line}:${at.col}: ` : ''}${formatFieldError(error)}`
}

/** Every document of a YAML (or JSON) stream as an object; malformed YAML and documents that are no objects are `InputError`s. */
function readObjects(text: string, file: string): { objects: { doc: ParsedDocument; object: KubeObject }[]; at: (p: SourcePosition) => string; position: (offset: number) => SourcePosition; problems: string[] } {
  const lineCounter = new LineCounter()
  const stream = parseAllDocuments(text, { lineCounter })
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, col }
  }
  const at = (p: SourcePosition) => `${file}:${p.line}:${p.col}`

  const syntaxErrors = stream.flatMap((doc) => doc.errors)
  const first = syntaxErrors[0]
  if (first) {
    const [message = first.message, snippet = ''] = first.message.split(/ at line \d+, column \d+:\n/)
    const where = first.linePos?.[0] ?? position(first.pos[0])
    throw new InputError(
      `${at(where)}: malformed YAML: ${message}`,
      [
        ...snippet.split('\n').filter((l) => l.trim() !== ''),
        ...syntaxErrors.slice(1).map((e) => `${at(e.linePos?.[0] ?? position(e.pos[0]))}: ${e.message.split(/ at line \d+/)[0]}`),
      ],
    )
  }

  const documents: ParsedDocument[] = []
  stream.forEach((node, i) => {
    const value: unknown = node.toJS()
    if (node.contents === null || value === null || value === undefined) return // an empty document, e.g. after a trailing `---`
    documents.push({ number: i + 1, node, position: position(node.contents.range[0]), value })
  })

  const problems: string[] = []
  const objects: { doc: ParsedDocument; object: KubeObject }[] = []
  for (const doc of documents) {
    const problem = objectProblem(doc.value)
    if (problem) problems.push(`${at(doc.position)}: document ${doc.number} ${problem}`)
    else objects.push({ doc, object: doc.value as KubeObject })
  }
  if (problems.length > 0) throw new InputError(`${file}: ${problems.length === 1 ? 'a document is not a Kubernetes object' : `${problems.length} documents are not Kubernetes objects`}`, problems)
  return { objects, at, position, problems }
}

/**
 * The objects of a file for `create`: every document, in file order, each a Kubernetes object with
 * a name (a Rollout too).
 */
export function parseKubeObjects(text: string, file: string): KubeObject[] {
  const { objects, at } = readObjects(text, file)
  const unnamed = objects.filter((o) => typeof o.object.metadata?.name !== 'string' || o.object.metadata.name === '')
  if (unnamed.length > 0) throw new InputError(`${file}: an object has no metadata.name`, unnamed.map((o) => `${at(o.doc.position)}: document ${o.doc.number} (${o.object.kind}) has no metadata.name`))
  return objects.map((o) => o.object)
}

export function parseManifest(text: string, file: string): Manifest {
  const { objects, at, position, problems } = readObjects(text, file)

  const rollouts = objects.filter((o) => o.object.kind === 'Rollout')
  if (rollouts.length === 0) {
    throw new InputError(`${file}: no Rollout found (${objects.length} object${objects.length === 1 ? '' : 's'} in the file); the file must hold exactly one kind: Rollout`)
  }
  if (rollouts.length > 1) {
    throw new InputError(
      `${file}: ${rollouts.length} Rollouts found; the file must hold exactly one`,
      rollouts.map((r) => `${at(r.doc.position)}: Rollout ${r.object.metadata?.name ?? '(no name)'}`),
    )
  }
  const [found] = rollouts as [(typeof rollouts)[number]]
  const rollout = found.object as Rollout
  rollout.metadata = { ...(isRecord(rollout.metadata) ? rollout.metadata : {}) }
  rollout.metadata.namespace ??= 'default'
  const namespace = rollout.metadata.namespace

  const others = objects.filter((o) => o !== found)
  const seen = new Map<string, ParsedDocument>()
  for (const { doc, object } of others) {
    object.metadata.namespace ??= namespace
    const key = `${object.apiVersion}|${object.kind}|${object.metadata.namespace}|${object.metadata.name}`
    const earlier = seen.get(key)
    if (earlier) problems.push(`${at(doc.position)}: ${object.kind} ${object.metadata.namespace}/${object.metadata.name} is already defined at line ${earlier.position.line}`)
    seen.set(key, doc)
  }
  if (problems.length > 0) throw new InputError(`${file}: an object is defined twice`, problems)

  return {
    file,
    rollout,
    objects: others.map((o) => o.object),
    locate: (path) => locateField(found.doc.node, parseFieldPath(path), position),
  }
}

/** Why a document cannot be stored as an object, or undefined when it can. */
function objectProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'is not a mapping (expected a Kubernetes object with apiVersion, kind and metadata)'
  if (typeof value.kind !== 'string' || value.kind === '') return 'has no kind'
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') return `(${value.kind}) has no apiVersion`
  const metadata = isRecord(value.metadata) ? value.metadata : {}
  const { name, namespace } = metadata
  // A Rollout without a name is left to validateRollout, which names the field; any other object needs one to be stored.
  if (name !== undefined && typeof name !== 'string') return `(${value.kind}) has a metadata.name that is not a string`
  if (value.kind !== 'Rollout' && (typeof name !== 'string' || name === '')) return `(${value.kind}) has no metadata.name`
  if (namespace !== undefined && typeof namespace !== 'string') return `(${value.kind} ${String(name)}) has a metadata.namespace that is not a string`
  return undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * `spec.steps[0].setWeight` → ['spec', 'steps', 0, 'setWeight'];
 * `spec.strategy.canary.trafficRouting.plugins["org/name"]` → [..., 'plugins', 'org/name'].
 */
export function parseFieldPath(path: string): (string | number)[] {
  const keys: (string | number)[] = []
  for (const [, quoted, name, index] of path.matchAll(/\[("(?:[^"\\]|\\.)*")\]|([^.[\]]+)|\[(\d+)\]/g)) {
    if (quoted !== undefined) keys.push(JSON.parse(quoted) as string)
    else keys.push(index !== undefined ? Number(index) : (name ?? ''))
  }
  return keys
}

function locateField(doc: Document.Parsed, keys: (string | number)[], position: (offset: number) => SourcePosition): SourcePosition | undefined {
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true)
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range
    if (range) return position(range[0])
  }
  return undefined
}
