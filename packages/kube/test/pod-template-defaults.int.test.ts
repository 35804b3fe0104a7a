// Core's model of the API server's pod-template defaults (runsTemplate, comparablePodTemplate)
// against the real API server: each template below is stored in a ReplicaSet, read back with the
// server's defaults and canonical quantities, and must be recognised as the template written, while
// a real change must not. This is what keeps a Rollout Argo Rollouts left from being re-deployed.
import { runsTemplate } from '@sluice/core'
import type { KubeObject, PodTemplateSpec } from '@sluice/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { createKubeApi } from '../src/index.ts'
import type { ClusterKubeApi } from '../src/index.ts'
import { kubeConfig, testNamespace } from './cluster.ts'

const TEMPLATES: [string, PodTemplateSpec][] = [
  ['a bare container', { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } }],
  [
    'ports, env from fields, probes, hooks and resources in other spellings',
    {
      metadata: { labels: { app: 'web' }, annotations: { team: 'a' } },
      spec: {
        serviceAccountName: 'default',
        containers: [
          {
            name: 'web',
            image: 'registry.local:5000/web:1.2',
            ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090, protocol: 'UDP' }],
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'MODE', value: 'canary' }],
            readinessProbe: { httpGet: { port: 'http' } },
            livenessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 5 },
            startupProbe: { grpc: { port: 9000 } },
            lifecycle: { preStop: { httpGet: { port: 8080, path: '/drain' } } },
            resources: { requests: { cpu: 0.25, memory: '128Mi' }, limits: { cpu: '1000m', memory: '0.5Gi', 'ephemeral-storage': '1G' } },
          },
        ],
        initContainers: [{ name: 'migrate', image: 'migrate:latest', command: ['migrate', 'up'] }],
      },
    },
  ],
  [
    'volumes of every defaulted kind',
    {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'web', image: 'web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', volumeMounts: [{ name: 'scratch', mountPath: '/tmp', readOnly: false }] }],
        volumes: [
          { name: 'scratch' },
          { name: 'cache', emptyDir: { sizeLimit: '0.5Gi' } },
          { name: 'config', configMap: { name: 'web' } },
          { name: 'secret', secret: { secretName: 'web' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'web' } }] } },
          { name: 'logs', hostPath: { path: '/var/log' } },
        ],
        terminationGracePeriodSeconds: 10,
        hostNetwork: false,
      },
    },
  ],
]

let api: ClusterKubeApi
beforeAll(() => {
  api = createKubeApi(kubeConfig())
})

async function storedTemplate(namespace: string, name: string, template: PodTemplateSpec): Promise<PodTemplateSpec> {
  const labels = { ...(template.metadata?.labels ?? {}), 'rollouts-pod-template-hash': name }
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { namespace, name },
    spec: { replicas: 0, selector: { matchLabels: labels }, template: { ...template, metadata: { ...template.metadata, labels } } },
  }
  const created = await api.create(replicaSet)
  return (created as KubeObject & { spec: { template: PodTemplateSpec } }).spec.template
}

describe('pod templates as the API server stores them in a ReplicaSet', () => {
  it.each(TEMPLATES)('%s: recognised as the template written', async (_what, template) => {
    const namespace = await testNamespace(kubeConfig(), 'defaults')
    const stored = await storedTemplate(namespace, 'stored', template)
    expect(stored).not.toEqual(template)
    expect(runsTemplate(stored, template)).toBe(true)
  })

  it('a changed image, limit or environment is not the same template', async () => {
    const namespace = await testNamespace(kubeConfig(), 'defaults')
    const template = (TEMPLATES[1] as [string, PodTemplateSpec])[1]
    const stored = await storedTemplate(namespace, 'stored', template)
    const container = template.spec?.containers?.[0] as Record<string, unknown>
    const variants: PodTemplateSpec[] = [
      { ...template, spec: { ...template.spec, containers: [{ ...container, name: 'web', image: 'registry.local:5000/web:1.3' }] } },
      { ...template, spec: { ...template.spec, containers: [{ ...container, name: 'web', resources: { requests: { cpu: 0.5, memory: '128Mi' } } }] } },
      { ...template, spec: { ...template.spec, containers: [{ ...container, name: 'web', env: [] }] } },
      { ...template, metadata: { ...template.metadata, labels: { app: 'web', extra: 'x' } } },
    ]
    for (const variant of variants) expect(runsTemplate(stored, variant)).toBe(false)
  })
})
