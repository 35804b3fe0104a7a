import { describe, expect, it } from 'vitest'
import { collectionPath, objectPath } from './api-resource.ts'
import type { ApiResource } from './api-resource.ts'
import { toMicroTime } from './micro-time.ts'

const rollouts: ApiResource = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', plural: 'rollouts', namespaced: true }
const pods: ApiResource = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }
const nodes: ApiResource = { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false }

describe('resource paths', () => {
  it.each([
    [collectionPath(rollouts, 'prod'), '/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts'],
    [collectionPath(rollouts), '/apis/argoproj.io/v1alpha1/rollouts'], // all namespaces
    [collectionPath(pods, 'a'), '/api/v1/namespaces/a/pods'],
    [collectionPath(nodes, 'ignored'), '/api/v1/nodes'],
    [objectPath(rollouts, 'prod', 'web', 'status'), '/apis/argoproj.io/v1alpha1/namespaces/prod/rollouts/web/status'],
    [objectPath(nodes, undefined, 'node-1'), '/api/v1/nodes/node-1'],
    [objectPath(pods, 'a', 'we ird'), '/api/v1/namespaces/a/pods/we%20ird'],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected)
  })

  it('never falls back to a default namespace', () => {
    expect(() => objectPath(pods, undefined, 'x')).toThrow(/namespaced kind needs a namespace/)
    expect(() => objectPath(pods, 'a', '')).toThrow(/metadata.name is required/)
  })
})

describe('toMicroTime', () => {
  it('writes six fractional digits, as metav1.MicroTime does', () => {
    expect(toMicroTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe('2025-01-02T03:04:05.678000Z')
    expect(toMicroTime(Date.UTC(2025, 0, 2))).toBe('2025-01-02T00:00:00.000000Z')
  })
})
