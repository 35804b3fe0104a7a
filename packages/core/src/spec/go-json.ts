/**
 * The bytes Go's `encoding/json` writes for a Rollout's `spec.strategy.canary.steps`, so that
 * `stepsHash` is the very `status.currentStepHash` Argo Rollouts computes (FNV-1a over
 * `json.Marshal(steps)`). Sharing that value is what lets either controller take over a Rollout the
 * other was running without restarting its steps: both restart from step 0 when the recorded hash
 * differs from their own.
 *
 * Go encodes a struct's fields in declaration order, drops fields it does not know, omits
 * `omitempty` fields when nil, empty or zero, writes `null` for other nil pointers and slices, sorts
 * map keys, and escapes `<`, `>`, `&`, U+2028 and U+2029 in strings. The schemas below follow Argo
 * Rollouts v1.10's `CanaryStep` and the types under it.
 */

type Kind =
  | 'int' // *int32 or int32
  | 'string'
  | 'bool'
  | 'intOrString' // *intstr.IntOrString: a number or a string, as given
  | 'raw' // json.RawMessage: the stored JSON (the API server serves object keys sorted)
  | { struct: Schema }
  | { list: Schema | 'string' }
  | { map: Schema | 'string' }

/** One struct field: its JSON name, its kind, whether it is `omitempty`, and whether it is a pointer. */
interface Field {
  name: string
  kind: Kind
  omitEmpty: boolean
  pointer: boolean
}

type Schema = readonly Field[]

/** `name:kind` with suffixes: `?` omitempty, `*` pointer (`*?` both). */
function fields(...specs: [string, Kind][]): Schema {
  return specs.map(([spec, kind]) => {
    const match = /^(\w+)(\*)?(\?)?$/.exec(spec)
    if (!match) throw new Error(`bad field spec ${spec}`)
    return { name: match[1] as string, kind, pointer: match[2] === '*', omitEmpty: match[3] === '?' }
  })
}

const STRING_MATCH = fields(['exact?', 'string'], ['prefix?', 'string'], ['regex?', 'string'])
const METADATA = fields(['labels?', { map: 'string' }], ['annotations?', { map: 'string' }])
const ARGUMENT = fields(
  ['name', 'string'],
  ['value?', 'string'],
  ['valueFrom*?', { struct: fields(['podTemplateHashValue*?', 'string'], ['fieldRef*?', { struct: fields(['fieldPath', 'string']) }]) }],
)
const DRY_RUN = fields(['metricName', 'string'])
const LABEL_SELECTOR = fields(
  ['matchLabels?', { map: 'string' }],
  ['matchExpressions?', { list: fields(['key', 'string'], ['operator', 'string'], ['values?', { list: 'string' }]) }],
)

const CANARY_STEP = fields(
  ['setWeight*?', 'int'],
  ['pause*?', { struct: fields(['duration*?', 'intOrString']) }],
  [
    'experiment*?',
    {
      struct: fields(
        [
          'templates',
          {
            list: fields(
              ['name', 'string'],
              ['specRef', 'string'],
              ['replicas*?', 'int'],
              ['metadata?', { struct: METADATA }],
              ['selector*?', { struct: LABEL_SELECTOR }],
              ['weight*?', 'int'],
              ['service*?', { struct: fields(['name?', 'string']) }],
            ),
          },
        ],
        ['duration?', 'string'],
        [
          'analyses?',
          {
            list: fields(
              ['name', 'string'],
              ['templateName', 'string'],
              ['clusterScope*?', 'bool'],
              ['args?', { list: ARGUMENT }],
              ['requiredForCompletion?', 'bool'],
            ),
          },
        ],
        ['dryRun?', { list: DRY_RUN }],
        ['analysisRunMetadata?', { struct: METADATA }],
        ['scaleDownDelaySeconds*?', 'int'],
      ),
    },
  ],
  [
    'analysis*?',
    {
      struct: fields(
        ['templates?', { list: fields(['templateName', 'string'], ['clusterScope*?', 'bool']) }],
        ['args?', { list: ARGUMENT }],
        ['dryRun?', { list: DRY_RUN }],
        ['measurementRetention?', { list: fields(['metricName', 'string'], ['limit', 'int']) }],
        ['analysisRunMetadata*?', { struct: METADATA }],
      ),
    },
  ],
  ['setCanaryScale*?', { struct: fields(['weight*?', 'int'], ['replicas*?', 'int'], ['matchTrafficWeight?', 'bool']) }],
  [
    'setHeaderRoute*?',
    { struct: fields(['name?', 'string'], ['match?', { list: fields(['headerName', 'string'], ['headerValue*', { struct: STRING_MATCH }]) }]) },
  ],
  [
    'setMirrorRoute*?',
    {
      struct: fields(
        ['name', 'string'],
        ['match?', { list: fields(['method*?', { struct: STRING_MATCH }], ['path*?', { struct: STRING_MATCH }], ['headers?', { map: STRING_MATCH }]) }],
        ['percentage*?', 'int'],
      ),
    },
  ],
  ['plugin*?', { struct: fields(['name', 'string'], ['config?', 'raw']) }],
)

/**
 * Go's `json.Marshal(steps)` for Argo Rollouts' `[]CanaryStep`; `undefined` (no `steps` field) is a
 * nil slice, `null`.
 *   [{ setWeight: 20 }, { pause: {} }]   → [{"setWeight":20},{"pause":{}}]
 *   [{ setCanaryScale: { weight: 0 } }] → [{"setCanaryScale":{"weight":0}}]   (a pointer to 0 is kept)
 *   [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x' }] } }]
 *     → [{"setHeaderRoute":{"name":"h","match":[{"headerName":"x","headerValue":null}]}}]
 */
export function goJsonOfSteps(steps: unknown): string {
  return encode(steps, { list: CANARY_STEP }, true)
}

function isNil(value: unknown): boolean {
  return value === undefined || value === null
}

/** Go's `omitempty`: nil, false, 0, "", and empty slices and maps are left out (structs never are). */
function isEmpty(value: unknown, field: Field): boolean {
  const kind = field.kind
  if (!field.pointer && typeof kind === 'object' && 'struct' in kind) return false
  if (isNil(value)) return true
  if (field.pointer) return false
  if (kind === 'string') return value === ''
  if (kind === 'bool') return value === false
  if (kind === 'int') return value === 0
  if (kind === 'raw') return false
  if (typeof kind === 'object' && ('list' in kind || 'map' in kind)) {
    return Array.isArray(value) ? value.length === 0 : typeof value === 'object' && Object.keys(value as object).length === 0
  }
  return false
}

/** `nilable`: a pointer, slice or map, which Go writes as `null` when unset. */
function encode(value: unknown, kind: Kind | 'any', nilable: boolean): string {
  if (isNil(value)) return nilable ? 'null' : zero(kind)
  if (kind === 'string') return goString(typeof value === 'string' ? value : String(value))
  if (kind === 'int') return String(typeof value === 'number' ? Math.trunc(value) : Number(value) || 0)
  if (kind === 'bool') return value === true ? 'true' : 'false'
  if (kind === 'intOrString') return typeof value === 'number' ? String(Math.trunc(value)) : goString(String(value))
  if (kind === 'raw' || kind === 'any') return goAny(value)
  if ('list' in kind) {
    if (!Array.isArray(value)) return 'null'
    const item: Kind = kind.list === 'string' ? 'string' : { struct: kind.list }
    return `[${value.map((v) => encode(v, item, false)).join(',')}]`
  }
  if ('map' in kind) {
    if (typeof value !== 'object') return 'null'
    const item: Kind = kind.map === 'string' ? 'string' : { struct: kind.map }
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareBytes(a, b))
    return `{${entries.map(([k, v]) => `${goString(k)}:${encode(v, item, kind.map !== 'string')}`).join(',')}}`
  }
  const object = typeof value === 'object' ? (value as Record<string, unknown>) : {}
  const parts: string[] = []
  for (const field of kind.struct) {
    const v = object[field.name]
    if (field.omitEmpty && isEmpty(v, field)) continue
    const fieldNilable = field.pointer || (typeof field.kind === 'object' && !('struct' in field.kind)) || field.kind === 'raw'
    parts.push(`${goString(field.name)}:${encode(v, field.kind, fieldNilable)}`)
  }
  return `{${parts.join(',')}}`
}

function zero(kind: Kind | 'any'): string {
  if (kind === 'string') return '""'
  if (kind === 'int') return '0'
  if (kind === 'bool') return 'false'
  if (typeof kind === 'object' && 'struct' in kind) return encode({}, kind, false)
  return 'null'
}

/** Arbitrary JSON as Go re-encodes a decoded map: keys sorted, strings HTML-escaped. */
function goAny(value: unknown): string {
  if (isNil(value)) return 'null'
  if (Array.isArray(value)) return `[${value.map(goAny).join(',')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => compareBytes(a, b))
    return `{${entries.map(([k, v]) => `${goString(k)}:${goAny(v)}`).join(',')}}`
  }
  if (typeof value === 'string') return goString(value)
  return JSON.stringify(value)
}

/** Go sorts map keys by their UTF-8 bytes; for the keys Rollouts use this is code-unit order. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A JSON string as Go writes it: HTML-sensitive characters and the JS line separators escaped. */
function goString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
