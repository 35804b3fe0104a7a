/**
 * Kubernetes label selectors in their string form (`app=web,tier!=db,env in (a,b),!legacy`), parsed
 * so that cached lists can be filtered the way the API server filters them.
 */

export type LabelRequirement =
  | { key: string; op: 'in'; values: readonly string[] }
  | { key: string; op: 'notin'; values: readonly string[] }
  | { key: string; op: 'exists' }
  | { key: string; op: 'doesnotexist' }

/**
 * Parses a selector string; `undefined` when it is not one this parser understands (the caller then
 * asks the API server, which is the authority on selector syntax).
 *   parseLabelSelector('app=web,tier!=db') → [{ key: 'app', op: 'in', values: ['web'] }, { key: 'tier', op: 'notin', values: ['db'] }]
 *   parseLabelSelector('')                 → []   (matches everything)
 */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] | undefined {
  if (selector === undefined || selector.trim() === '') return []
  const requirements: LabelRequirement[] = []
  for (const term of splitTerms(selector)) {
    const t = term.trim()
    let m: RegExpExecArray | null
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t))) {
      const values = m[3]!.split(',').map((v) => v.trim())
      if (values.some((v) => !isLabelValue(v))) return undefined
      requirements.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values })
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(t))) {
      requirements.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] })
    } else if ((m = /^!\s*([\w./-]+)$/.exec(t))) {
      requirements.push({ key: m[1]!, op: 'doesnotexist' })
    } else if ((m = /^([\w./-]+)$/.exec(t))) {
      requirements.push({ key: m[1]!, op: 'exists' })
    } else {
      return undefined
    }
  }
  return requirements
}

/** True when `labels` satisfy every requirement. */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  return requirements.every((r) => {
    const value = labels?.[r.key]
    switch (r.op) {
      case 'in':
        return value !== undefined && r.values.includes(value)
      case 'notin':
        return value === undefined || !r.values.includes(value)
      case 'exists':
        return value !== undefined
      case 'doesnotexist':
        return value === undefined
    }
  })
}

/** Splits on commas that are not inside `( )`. */
function splitTerms(selector: string): string[] {
  const terms: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i]
    if (c === '(') depth += 1
    else if (c === ')') depth -= 1
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i))
      start = i + 1
    }
  }
  terms.push(selector.slice(start))
  return terms
}

function isLabelValue(value: string): boolean {
  return /^[\w.-]*$/.test(value)
}
