import { describe, expect, it } from 'vitest'
import type { HeaderRoute } from '@sluice/core'
import {
  canaryForwardAction,
  formatManagedAnnotations,
  headerConditions,
  holdsJson,
  parseManagedAnnotations,
  readWeight,
  weightedForwardAction,
} from './action-annotations.ts'
import type { ForwardInput } from './action-annotations.ts'

const input: ForwardInput = { canaryService: 'web-canary', stableService: 'web-stable', servicePort: 80, stickiness: undefined }

describe('weightedForwardAction', () => {
  it.each<[number, ForwardInput['stickiness'], string]>([
    // canary first, then stable; the port is a string; the JSON keys in the order of Argo Rollouts' annotation
    [0, undefined, '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":0},{"ServiceName":"web-stable","ServicePort":"80","Weight":100}]}}'],
    [33, undefined, '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":33},{"ServiceName":"web-stable","ServicePort":"80","Weight":67}]}}'],
    // stickiness appends its block
    [
      100,
      { Enabled: true, DurationSeconds: 60 },
      '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"web-canary","ServicePort":"80","Weight":100},{"ServiceName":"web-stable","ServicePort":"80","Weight":0}],"TargetGroupStickinessConfig":{"Enabled":true,"DurationSeconds":60}}}',
    ],
  ])('canary %i%% (stickiness %j)', (weight, stickiness, json) => {
    expect(JSON.stringify(weightedForwardAction({ ...input, stickiness }, weight))).toBe(json)
  })

  it('sends a header route everything to the canary', () => {
    expect(canaryForwardAction(input)).toEqual({
      Type: 'forward',
      ForwardConfig: { TargetGroups: [{ ServiceName: 'web-canary', ServicePort: '80', Weight: 100 }] },
    })
  })
})

describe('headerConditions', () => {
  const route = (...values: [string, string][]): HeaderRoute => ({ name: 'h', match: values.map(([headerName, exact]) => ({ headerName, headerValue: { exact } })) })
  const condition = (httpHeaderName: string, values: string[]) => ({ ok: true, conditions: [{ field: 'http-header', httpHeaderConfig: { httpHeaderName, values } }] })

  it.each<[string, HeaderRoute, unknown]>([
    // one header, one value
    ['one match', route(['x-canary', 'yes']), condition('x-canary', ['yes'])],
    // values of one header merge into one condition (ORed by ALB); names compare case-insensitively; duplicates drop
    ['one header, several values', route(['X-Canary', 'a'], ['x-canary', 'b'], ['x-canary', 'a']), condition('X-Canary', ['a', 'b'])],
    // two headers would be ANDed by ALB
    ['two headers', route(['x-a', '1'], ['x-b', '2']), { ok: false, problem: expect.stringContaining('use one header per route') }],
    // * and ? are ALB wildcards
    ['a question mark', route(['x-a', 'who?']), { ok: false, problem: expect.stringContaining('contains * or ?') }],
    // regex and prefix cannot be expressed
    ['a regex', { name: 'h', match: [{ headerName: 'x', headerValue: { regex: '.*' } }] }, { ok: false, problem: expect.stringContaining('exact values only') }],
  ])('%s', (_name, r, expected) => {
    expect(headerConditions(r)).toEqual(expected)
  })
})

describe('readWeight and holdsJson', () => {
  const action = JSON.stringify(weightedForwardAction(input, 25))
  it.each<[string | undefined, string, number | undefined]>([
    [action, 'web-canary', 25], // the canary's weight
    [action, 'web-stable', 75], // any service of the action
    [action, 'other', undefined], // not in the action
    [undefined, 'web-canary', undefined], // no annotation yet
    ['{not json', 'web-canary', undefined], // unreadable
  ])('%s / %s → %s', (annotation, service, weight) => {
    expect(readWeight(annotation, service)).toBe(weight)
  })

  it('compares JSON values, not their formatting', () => {
    expect(holdsJson('{ "b": [1, 2], "a": true }', { a: true, b: [1, 2] })).toBe(true)
    expect(holdsJson('{"b":[2,1],"a":true}', { a: true, b: [1, 2] })).toBe(false)
    expect(holdsJson(undefined, {})).toBe(false)
  })
})

describe('managed-annotations bookkeeping', () => {
  it.each<[string | undefined, unknown]>([
    [undefined, { ok: true, byRollout: {} }], // nobody manages anything yet
    ['', { ok: true, byRollout: {} }],
    ['{"a":["x"],"b":[]}', { ok: true, byRollout: { a: ['x'], b: [] } }],
    ['{"a":"x"}', { ok: false, problem: expect.stringContaining('is not a JSON object of annotation-key lists') }], // a string, not a list
    ['[1]', { ok: false, problem: expect.stringContaining('fix or remove it') }],
  ])('parses %j', (annotation, expected) => {
    expect(parseManagedAnnotations(annotation)).toEqual(expected)
  })

  it('replaces only its own entry, with sorted keys everywhere', () => {
    expect(formatManagedAnnotations({ zeta: ['k2', 'k1'], web: ['old'] }, 'web', ['b', 'a'])).toBe('{"web":["a","b"],"zeta":["k2","k1"]}')
  })
})
