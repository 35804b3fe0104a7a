/**
 * Writes the values table of the chart's README from values.yaml and values.schema.json: one row per
 * key, with its type (from the schema), its default (from values.yaml) and its description (the
 * comment above the key). Objects the schema closes (`additionalProperties: false`) get a row per
 * key inside; free-form ones (resources, affinity, ...) get one row. The table sits between the
 * markers START and END of apps/controller/chart/README.md; the prose around it is written by hand.
 * Refuses a key without a comment, a key the schema does not know, and a schema key values.yaml
 * lacks, so that the three files cannot drift apart.
 *
 *   node tools/helm/src/chart-readme.ts           rewrites the table
 *   node tools/helm/src/chart-readme.ts --check   exits 1 if the README is not up to date
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isMap, parseDocument } from 'yaml'
import type { Pair, YAMLMap } from 'yaml'
import { chartDir } from './helm.ts'

export const START = '<!-- values:start (written by tools/helm/src/chart-readme.ts from values.yaml; do not edit) -->'
export const END = '<!-- values:end -->'

interface Schema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: Schema[]
  items?: Schema
  properties?: Record<string, Schema>
  additionalProperties?: boolean | Schema
  $ref?: string
  definitions?: Record<string, Schema>
}

interface Row {
  key: string
  type: string
  default: string
  description: string
}

/** Keys Helm itself puts into the values; values.yaml does not list them. */
const helmKeys = new Set(['global'])

/** The markdown table of the values, one row per key, in the order of values.yaml. */
export function renderValuesTable(valuesYaml: string, schemaJson: string): string {
  const root = JSON.parse(schemaJson) as Schema
  const resolve = (s: Schema): Schema => {
    if (!s.$ref) return s
    const name = s.$ref.replace('#/definitions/', '')
    const target = root.definitions?.[name]
    if (!target) throw new Error(`values.schema.json: ${s.$ref} is not defined`)
    return resolve(target)
  }
  const typeOf = (given: Schema): string => {
    const s = resolve(given)
    if (s.enum) return s.enum.map((v) => (v === '' ? '""' : String(v))).join(', ')
    if (s.const !== undefined) return JSON.stringify(s.const)
    if (s.anyOf) return s.anyOf.map(typeOf).join(' or ')
    if (Array.isArray(s.type)) return s.type.join(' or ')
    if (s.type === 'array') {
      const item = s.items ? typeOf(s.items) : 'any'
      return item.includes(' ') ? `(${item})[]` : `${item}[]`
    }
    if (s.type === 'object' && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`
    return s.type ?? 'any'
  }

  const doc = parseDocument(valuesYaml)
  if (doc.errors.length > 0) throw new Error(`values.yaml: ${doc.errors[0]?.message}`)
  if (!isMap(doc.contents)) throw new Error('values.yaml: not a map')
  const rows: Row[] = []
  const walk = (map: YAMLMap, schema: Schema, prefix: string) => {
    const seen = new Set<string>()
    map.items.forEach((item, index) => {
      const pair = item as Pair<{ value: unknown; commentBefore?: string | null }, unknown>
      const name = String(pair.key.value)
      const key = prefix + name
      seen.add(name)
      const sub = schema.properties?.[name]
      if (!sub) throw new Error(`values.yaml: ${key} is not in values.schema.json`)
      const resolved = resolve(sub)
      // yaml keeps the comment above the first key of a map on the map itself.
      const comment = pair.key.commentBefore ?? (index === 0 ? map.commentBefore : undefined)
      if (isMap(pair.value) && resolved.additionalProperties === false && resolved.properties) {
        walk(pair.value, resolved, `${key}.`)
        return
      }
      if (!comment) throw new Error(`values.yaml: ${key} has no comment above it (its description in the README)`)
      rows.push({ key, type: typeOf(sub), default: JSON.stringify(doc.getIn(key.split('.'))), description: oneLine(comment) })
    })
    for (const name of Object.keys(schema.properties ?? {})) {
      if (!seen.has(name) && !(prefix === '' && helmKeys.has(name))) throw new Error(`values.schema.json: ${prefix}${name} is not in values.yaml`)
    }
  }
  walk(doc.contents, root, '')
  const cell = (text: string) => text.replaceAll('|', '\\|')
  return [
    '| Key | Type | Default | Description |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | \`${cell(r.default)}\` | ${cell(r.description)} |`),
  ].join('\n')
}

const oneLine = (comment: string) =>
  comment
    .split('\n')
    .map((line) => line.trim())
    .join(' ')
    .trim()

/** The README with the text between the markers replaced by `table`. */
export function updateReadme(readme: string, table: string): string {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md: the markers ${START} and ${END} are missing`)
  return `${readme.slice(0, start + START.length)}\n\n${table}\n\n${readme.slice(end)}`
}

async function main(argv: string[]): Promise<number> {
  const [values, schema, readme] = await Promise.all(['values.yaml', 'values.schema.json', 'README.md'].map((f) => readFile(join(chartDir, f), 'utf8')))
  const next = updateReadme(readme as string, renderValuesTable(values as string, schema as string))
  if (argv.includes('--check')) {
    if (next === readme) return 0
    console.error('apps/controller/chart/README.md is out of date: run `pnpm --filter @sluice/helm run readme`')
    return 1
  }
  if (next !== readme) await writeFile(join(chartDir, 'README.md'), next)
  return 0
}

if (import.meta.filename === process.argv[1]) process.exitCode = await main(process.argv.slice(2))
