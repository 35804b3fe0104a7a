import { describe, expect, it } from 'vitest'
import { formatFieldError } from '../api/field-error.ts'
import type { Rollout } from '../api/rollout.ts'
import type { ObservedService } from './observed.ts'
import { validateServiceReferences } from './validate-references.ts'

const r = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } },
    strategy: { canary: { canaryService: 'web-canary', stableService: 'web-stable' } },
  },
} as Rollout

describe('validateServiceReferences', () => {
  it.each([
    [[{ name: 'web-stable', selector: { app: 'web' }, annotations: {} }], 'spec.strategy.canary.canaryService: Not found: "web-canary": service "web-canary" not found in namespace "default"'],
    [
      [
        { name: 'web-stable', selector: { app: 'web', tier: 'x' }, annotations: {} },
        { name: 'web-canary', selector: {}, annotations: {} },
      ],
      'spec.strategy.canary.stableService: Invalid value: "web-stable": Service "web-stable" selects tier=x, which the pod template\'s labels do not carry',
    ],
    [
      [
        { name: 'web-stable', selector: {}, annotations: { 'argo-rollouts.argoproj.io/managed-by-rollouts': 'api' } },
        { name: 'web-canary', selector: {}, annotations: {} },
      ],
      'spec.strategy.canary.stableService: Invalid value: "web-stable": Service "web-stable" is managed by another Rollout ("api")',
    ],
  ])('%j → %s', (services, expected) => {
    expect(validateServiceReferences(r, services as ObservedService[]).map(formatFieldError)).toEqual([expected])
  })
})
