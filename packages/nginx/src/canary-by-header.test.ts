import { describe, expect, it } from 'vitest'
import type { HeaderRoute, StringMatch } from '@sluice/core'
import { canaryByHeaderAnnotations, escapeRegex } from './canary-by-header.ts'

const P = 'nginx.ingress.kubernetes.io'
const route = (name: string, headerName: string, headerValue: StringMatch): HeaderRoute => ({ name, match: [{ headerName, headerValue }] })

describe('canaryByHeaderAnnotations', () => {
  it.each<[string, HeaderRoute[], Record<string, string>]>([
    // no header route: no annotation at all
    ['no routes', [], {}],
    // the common case keeps the plain, exact annotation users know from ingress-nginx
    ['one exact match', [route('h1', 'x-canary', { exact: 'on' })], { [`${P}/canary-by-header`]: 'x-canary', [`${P}/canary-by-header-value`]: 'on' }],
    // ingress-nginx ignores an empty canary-by-header-value, so an empty exact value becomes a pattern
    ['one empty exact match', [route('h1', 'x-canary', { exact: '' })], { [`${P}/canary-by-header`]: 'x-canary', [`${P}/canary-by-header-pattern`]: '^$' }],
    // prefix: escaped and anchored at the start
    ['one prefix match', [route('h1', 'x-user', { prefix: 'beta.' })], { [`${P}/canary-by-header`]: 'x-user', [`${P}/canary-by-header-pattern`]: '^beta\\..*' }],
    // regex: anchored at both ends, because ingress-nginx's ngx.re.match finds a match anywhere
    ['one regex match', [route('h1', 'x-user', { regex: 'v[0-9]+' })], { [`${P}/canary-by-header`]: 'x-user', [`${P}/canary-by-header-pattern`]: '^(?:v[0-9]+)$' }],
    // two routes on one header: one alternation
    [
      'two routes, same header',
      [route('h1', 'x-canary', { exact: 'yes' }), route('h2', 'x-canary', { exact: 'also' })],
      { [`${P}/canary-by-header`]: 'x-canary', [`${P}/canary-by-header-pattern`]: '^(?:yes|also)$' },
    ],
    // header names are case-insensitive in HTTP; the first spelling is written
    [
      'mixed kinds, header spelled differently',
      [route('h1', 'X-Canary', { exact: 'a+b' }), route('h2', 'x-canary', { prefix: 'p' }), route('h3', 'x-CANARY', { regex: 'r|s' })],
      { [`${P}/canary-by-header`]: 'X-Canary', [`${P}/canary-by-header-pattern`]: '^(?:a\\+b|p.*|(?:r|s))$' },
    ],
  ])('%s', (_name, routes, expected) => {
    expect(canaryByHeaderAnnotations(routes, P)).toEqual({ ok: true, annotations: expected })
  })

  it('refuses active header routes on two different headers, naming both', () => {
    const result = canaryByHeaderAnnotations([route('h1', 'x-a', { exact: '1' }), route('h2', 'x-b', { exact: '2' })], P)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.problem).toMatch(/"h1" matches "x-a" and header route "h2" matches "x-b"/)
  })

  it('uses the configured annotation prefix', () => {
    expect(canaryByHeaderAnnotations([route('h1', 'x', { exact: 'y' })], 'custom.io')).toEqual({
      ok: true,
      annotations: { 'custom.io/canary-by-header': 'x', 'custom.io/canary-by-header-value': 'y' },
    })
  })
})

describe('escapeRegex', () => {
  it.each([
    ['plain', 'plain'], // nothing to escape
    ['a.b', 'a\\.b'], // dot
    ['(x)|[y]{2}*+?^$\\/', '\\(x\\)\\|\\[y\\]\\{2\\}\\*\\+\\?\\^\\$\\\\\\/'], // every metacharacter
  ])('%s → %s', (value, escaped) => {
    expect(escapeRegex(value)).toBe(escaped)
    expect(new RegExp(`^${escaped}$`).test(value)).toBe(true)
  })
})
