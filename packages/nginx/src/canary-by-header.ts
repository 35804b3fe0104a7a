/**
 * Header routes as ingress-nginx canary annotations.
 *
 * ingress-nginx looks at ONE header per canary Ingress, before the weight:
 * - `canary-by-header: <name>` + `canary-by-header-value: <v>`: a request whose header equals `v`
 *   (case-sensitive) goes to the canary;
 * - `canary-by-header: <name>` + `canary-by-header-pattern: <re>`: a request whose header matches the
 *   PCRE `re` goes to the canary. ingress-nginx does not anchor the pattern, so we do: a Rollout's
 *   `regex` matches the whole value (an anchored match);
 * - any other value of the header falls through to the weighted split.
 *
 * So every active header route must match on the same header name (compared case-insensitively, as
 * HTTP does). Several routes, or `exact`/`prefix`/`regex` mixed, become one anchored alternation:
 *   [exact "on"]                      → canary-by-header-value: on
 *   [prefix "beta-"]                  → canary-by-header-pattern: ^beta-.*
 *   [regex "v[0-9]+"]                 → canary-by-header-pattern: ^(?:v[0-9]+)$
 *   [exact "on", prefix "beta-"]      → canary-by-header-pattern: ^(?:on|beta-.*)$
 */
import type { HeaderRoute, StringMatch } from '@sluice/core'

export const HEADER_ANNOTATIONS = ['canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern'] as const

export type CanaryByHeader =
  | { ok: true; annotations: Record<string, string> }
  | { ok: false; problem: string }

/** The `canary-by-header*` annotations (under `prefix`) that send the requests of `routes` to the canary; `{}` for no routes. */
export function canaryByHeaderAnnotations(routes: readonly HeaderRoute[], prefix: string): CanaryByHeader {
  const matches = routes.flatMap((route) => route.match.map((m) => ({ route: route.name, ...m })))
  const first = matches[0]
  if (!first) return { ok: true, annotations: {} }
  const other = matches.find((m) => m.headerName.toLowerCase() !== first.headerName.toLowerCase())
  if (other) {
    return {
      ok: false,
      problem:
        `ingress-nginx routes a canary by one header only, but header route "${first.route}" matches "${first.headerName}" ` +
        `and header route "${other.route}" matches "${other.headerName}"; make the active header routes use one header name`,
    }
  }
  const header = `${prefix}/canary-by-header`
  const only = matches.length === 1 ? first.headerValue : undefined
  if (only?.exact !== undefined && only.exact !== '') {
    return { ok: true, annotations: { [header]: first.headerName, [`${header}-value`]: only.exact } }
  }
  const pattern = only ? singlePattern(only) : `^(?:${matches.map((m) => alternative(m.headerValue)).join('|')})$`
  return { ok: true, annotations: { [header]: first.headerName, [`${header}-pattern`]: pattern } }
}

/** Names of the `canary-by-header*` annotations under `prefix`. */
export function headerAnnotationKeys(prefix: string): string[] {
  return HEADER_ANNOTATIONS.map((name) => `${prefix}/${name}`)
}

function singlePattern(match: StringMatch): string {
  if (match.prefix !== undefined) return `^${escapeRegex(match.prefix)}.*`
  if (match.regex !== undefined) return `^(?:${match.regex})$`
  // An empty exact value: ingress-nginx ignores an empty canary-by-header-value, so match it as a pattern.
  return `^${escapeRegex(match.exact ?? '')}$`
}

function alternative(match: StringMatch): string {
  if (match.prefix !== undefined) return `${escapeRegex(match.prefix)}.*`
  if (match.regex !== undefined) return `(?:${match.regex})`
  return escapeRegex(match.exact ?? '')
}

/** `value` as a PCRE literal. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$.|?*+()[\]{}/]/g, '\\$&')
}
