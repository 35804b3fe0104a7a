import { describe, expect, it } from 'vitest'
import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2'
import { checkRuleWeights, forwardShares } from './target-groups.ts'

const C = 'arn:tg/canary'
const S = 'arn:tg/stable'
const weighted = (arn: string, groups: [string, number | undefined][], header = false): Rule => ({
  RuleArn: arn,
  Conditions: header ? [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x', Values: ['y'] } }] : [{ Field: 'path-pattern', Values: ['/*'] }],
  Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: groups.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) } }],
})

describe('forwardShares', () => {
  it.each<[string, Rule, [string, number][][]]>([
    ['two groups', weighted('r', [[C, 20], [S, 80]]), [[[C, 20], [S, 80]]]], // weights are relative: 20/100
    ['relative weights', weighted('r', [[C, 1], [S, 3]]), [[[C, 25], [S, 75]]]], // 1:3 → 25 % / 75 %
    ['one group', weighted('r', [[S, 0]]), [[[S, 100]]]], // a lone group gets everything
    ['no ForwardConfig', { Actions: [{ Type: 'forward', TargetGroupArn: S }] }, [[[S, 100]]]], // the short form of forward
    ['not a forward', { Actions: [{ Type: 'fixed-response' }] }, []],
    ['all weights 0', weighted('r', [[C, 0], [S, 0]]), [[[C, 0], [S, 0]]]],
  ])('%s', (_name, rule, shares) => {
    expect(forwardShares(rule).map((m) => [...m])).toEqual(shares)
  })
})

describe('checkRuleWeights', () => {
  const want = { canaryArn: C, stableArn: S, canaryWeight: 20, stableWeight: 80 }
  it.each<[string, Rule[], number, number]>([
    // rules, → rules carrying the split, mismatching ones
    ['in effect', [weighted('r1', [[C, 20], [S, 80]])], 1, 0],
    ['not yet', [weighted('r1', [[C, 0], [S, 100]])], 1, 1],
    ['one of two listeners lags', [weighted('http', [[C, 20], [S, 80]]), weighted('https', [[C, 10], [S, 90]])], 2, 1],
    // a header route sends everything to the canary and is not part of the split
    ['header route ignored', [weighted('hdr', [[C, 100]], true), weighted('r1', [[C, 20], [S, 80]])], 1, 0],
    // at 100 % the controller may drop the stable group from the action
    ['canary only, no header condition', [weighted('r1', [[C, 100]])], 1, 1],
    // rules of other applications
    ['unrelated rules', [weighted('other', [['arn:tg/other', 1]])], 0, 0],
  ])('%s', (_name, rules, split, mismatches) => {
    const result = checkRuleWeights(rules, want)
    expect([result.split.length, result.mismatches.length]).toEqual([split, mismatches])
  })
})
