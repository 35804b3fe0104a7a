import { describe, expect, it } from 'vitest'
import { buildSubsets, findSubsetProblems, readSubsetHashes } from './destination-rule.ts'
import type { DestinationRuleSpec, Subset } from './destination-rule.ts'

const names = { canarySubsetName: 'canary', stableSubsetName: 'stable' }
const HASH = 'rollouts-pod-template-hash'
const subset = (name: string, labels?: Record<string, string>, extra: Partial<Subset> = {}): Subset => ({ name, ...(labels ? { labels } : {}), ...extra })

describe('findSubsetProblems', () => {
  it.each<[string, DestinationRuleSpec, string[]]>([
    ['both subsets present', { host: 'web', subsets: [subset('canary'), subset('stable')] }, []],
    ['extra subsets are fine', { host: 'web', subsets: [subset('legacy'), subset('canary'), subset('stable')] }, []],
    ['canary subset missing', { host: 'web', subsets: [subset('stable')] }, ['has no subset "canary" (the canary subset)']],
    ['no subsets at all', { host: 'web' }, ['has no subset "canary" (the canary subset)', 'has no subset "stable" (the stable subset)']],
    ['stable subset twice', { host: 'web', subsets: [subset('canary'), subset('stable'), subset('stable')] }, ['has 2 subsets named "stable" (the stable subset)']],
    ['no host', { subsets: [subset('canary'), subset('stable')] }, ['has no spec.host']],
  ])('%s', (_title, spec, problems) => {
    expect(findSubsetProblems(spec, names)).toEqual(problems)
  })
})

describe('buildSubsets', () => {
  it.each<[string, Subset[], { canary: string | undefined; stable: string | undefined }, Subset[]]>([
    [
      'labels both subsets, keeps their other labels',
      [subset('canary', { app: 'web' }), subset('stable', { app: 'web' })],
      { canary: 'c1', stable: 's1' },
      [subset('canary', { app: 'web', [HASH]: 'c1' }), subset('stable', { app: 'web', [HASH]: 's1' })],
    ],
    [
      'moves a hash and adds labels where there were none',
      [subset('canary', { [HASH]: 'old' }), subset('stable')],
      { canary: 'new', stable: 's1' },
      [subset('canary', { [HASH]: 'new' }), subset('stable', { [HASH]: 's1' })],
    ],
    [
      'keeps other subsets (Argo Rollouts drops them) and subset fields',
      [subset('legacy', { version: 'v0' }), subset('canary', {}, { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }), subset('stable')],
      { canary: 'c1', stable: 's1' },
      [subset('legacy', { version: 'v0' }), subset('canary', { [HASH]: 'c1' }, { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }), subset('stable', { [HASH]: 's1' })],
    ],
    [
      'an undefined hash leaves the subset alone',
      [subset('canary', { [HASH]: 'c0' }), subset('stable', { [HASH]: 's0' })],
      { canary: undefined, stable: 's1' },
      [subset('canary', { [HASH]: 'c0' }), subset('stable', { [HASH]: 's1' })],
    ],
    [
      'promotion: both subsets select the same revision',
      [subset('canary', { [HASH]: 'v2' }), subset('stable', { [HASH]: 'v1' })],
      { canary: 'v2', stable: 'v2' },
      [subset('canary', { [HASH]: 'v2' }), subset('stable', { [HASH]: 'v2' })],
    ],
  ])('%s', (_title, subsets, hashes, expected) => {
    expect(buildSubsets({ host: 'web', subsets }, names, hashes)).toEqual(expected)
  })

  it('returns unchanged subsets as the same objects', () => {
    const subsets = [subset('canary', { [HASH]: 'c1' }), subset('stable', { [HASH]: 's1' }), subset('legacy')]
    const built = buildSubsets({ subsets }, names, { canary: 'c1', stable: 's1' })
    built.forEach((s, i) => expect(s).toBe(subsets[i]))
  })
})

describe('readSubsetHashes', () => {
  it.each<[string, Subset[], { canary: string | undefined; stable: string | undefined }]>([
    ['both labelled', [subset('canary', { [HASH]: 'c' }), subset('stable', { [HASH]: 's' })], { canary: 'c', stable: 's' }],
    ['not labelled yet', [subset('canary', { app: 'web' }), subset('stable')], { canary: undefined, stable: undefined }],
    ['subset missing', [subset('stable', { [HASH]: 's' })], { canary: undefined, stable: 's' }],
  ])('%s', (_title, subsets, hashes) => {
    expect(readSubsetHashes({ subsets }, names)).toEqual(hashes)
  })
})
