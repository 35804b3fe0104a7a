import { describe, expect, it } from 'vitest'
import type { KubeObject } from '@sluice/core'
import { runSluice } from '../__fixtures__/run-sluice.ts'
import { createdName, creationOrder } from './create.ts'

const object = (apiVersion: string, kind: string, name: string): KubeObject => ({ apiVersion, kind, metadata: { name } })

describe('sluice create', () => {
  it('creates Namespaces first, the Rollouts last, everything else in file order', () => {
    const objects = [
      object('argoproj.io/v1alpha1', 'Rollout', 'web'),
      object('v1', 'Service', 'web-stable'),
      object('networking.istio.io/v1', 'VirtualService', 'web'),
      object('v1', 'Namespace', 'shop'),
      object('v1', 'Service', 'web-canary'),
    ]
    expect(creationOrder(objects).map(createdName)).toEqual([
      'namespace/shop',
      'service/web-stable',
      'virtualservice.networking.istio.io/web',
      'service/web-canary',
      'rollout.argoproj.io/web',
    ])
  })

  it('refuses a file it cannot read as objects before it looks for a cluster', async () => {
    let run = await runSluice(['create', '-f', 'r.yaml'], { 'r.yaml': 'kind: [' })
    expect(run.stderr).toMatch(/^sluice create: r\.yaml:1:\d+: malformed YAML: /)
    expect(run.code).toBe(1)
    run = await runSluice(['create', '-f', 'r.yaml'], { 'r.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {}\n' })
    expect(run.stderr).toBe('sluice create: r.yaml: a document is not a Kubernetes object\n  r.yaml:1:1: document 1 (Service) has no metadata.name\n')
    run = await runSluice(['create', '-f', 'missing.yaml'])
    expect(run.stderr).toBe('sluice create: cannot read missing.yaml: no such file\n')
    run = await runSluice(['create', '-f', 'r.yaml', '--watch'], { 'r.yaml': 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n' })
    expect(run.stderr).toMatch(/^sluice create: --watch follows one Rollout; the files hold 0\n/)
  })
})
