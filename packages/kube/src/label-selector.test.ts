import { describe, expect, it } from 'vitest'
import { matchesLabels, parseLabelSelector } from './label-selector.ts'

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'frontend', 'rollouts-pod-template-hash': 'abc123' }

  it.each([
    // selector, matches { app: web, tier: frontend, rollouts-pod-template-hash: abc123 }
    ['', true], // empty: everything
    ['app=web', true],
    ['app==web', true],
    ['app = web', true],
    ['app=api', false],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true], // != matches a missing label
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['tier in (frontend, backend)', true],
    ['tier notin (frontend)', false],
    ['app in (web),tier notin (db)', true],
    ['rollouts-pod-template-hash', true], // exists
    ['!rollouts-pod-template-hash', false], // does not exist
    ['!legacy', true],
    ['example.com/owner=x', false],
  ])('%j → %s', (selector, expected) => {
    const requirements = parseLabelSelector(selector)
    expect(requirements).toBeDefined()
    expect(matchesLabels(requirements!, labels)).toBe(expected)
  })

  it.each(['app=(web', 'a in b', 'tier in (a b)', '=web'])('does not claim to understand %j', (selector) => {
    expect(parseLabelSelector(selector)).toBeUndefined()
  })

  it('matches objects without labels only by absence', () => {
    expect(matchesLabels(parseLabelSelector('!app')!, undefined)).toBe(true)
    expect(matchesLabels(parseLabelSelector('app')!, undefined)).toBe(false)
  })
})
