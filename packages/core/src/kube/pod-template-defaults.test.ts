import { describe, expect, it } from 'vitest'
import type { PodTemplateSpec } from '../api/rollout.ts'
import { comparablePodTemplate, defaultPullPolicy, quantityInMillis, withPodTemplateDefaults } from './pod-template-defaults.ts'

describe('defaultPullPolicy', () => {
  it.each([
    // no tag and no digest means :latest
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    // a registry port is not a tag
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    // a digest alone pins the image
    ['app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
    ['app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'Always'],
  ])('%s → %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy)
  })
})

describe('quantityInMillis', () => {
  it.each([
    ['1', '1000'],
    ['1000m', '1000'],
    ['0.5', '500'],
    ['.5', '500'],
    ['500m', '500'],
    [1, '1000'],
    [0.25, '250'],
    ['128Mi', String(128n * 1024n * 1024n * 1000n)],
    ['1.5Gi', String(3n * 512n * 1024n * 1024n * 1000n)],
    ['1e3', '1000000'],
    ['1k', '1000000'],
    // below a thousandth rounds up, as the API server rounds it
    ['1n', '1'],
    ['1500u', '2'],
    ['not-a-quantity', undefined],
  ])('%j → %s', (quantity, millis) => {
    expect(quantityInMillis(quantity)).toBe(millis)
  })
})

describe('withPodTemplateDefaults', () => {
  it('fills in what the API server fills in for a ReplicaSet pod template', () => {
    const defaulted = withPodTemplateDefaults({
      metadata: { labels: { app: 'web' } },
      spec: {
        serviceAccountName: 'web',
        containers: [
          {
            name: 'web',
            image: 'web:1.0',
            ports: [{ containerPort: 8080 }],
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            readinessProbe: { httpGet: { port: 8080 } },
            livenessProbe: { grpc: { port: 9000 }, periodSeconds: 5 },
            lifecycle: { preStop: { httpGet: { port: 8080, path: '/drain' } } },
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox' }],
        volumes: [
          { name: 'scratch' },
          { name: 'config', configMap: { name: 'web' } },
          { name: 'secret', secret: { secretName: 'web', defaultMode: 0o400 } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          { name: 'host', hostPath: { path: '/var/log' } },
        ],
      },
    })
    expect(defaulted).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: {
        serviceAccountName: 'web',
        serviceAccount: 'web',
        dnsPolicy: 'ClusterFirst',
        restartPolicy: 'Always',
        securityContext: {},
        terminationGracePeriodSeconds: 30,
        schedulerName: 'default-scheduler',
        containers: [
          {
            name: 'web',
            image: 'web:1.0',
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }],
            readinessProbe: { httpGet: { port: 8080, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
            livenessProbe: { grpc: { port: 9000, service: '' }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
            lifecycle: { preStop: { httpGet: { port: 8080, path: '/drain', scheme: 'HTTP' } } },
          },
        ],
        initContainers: [{ name: 'init', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'config', configMap: { name: 'web', defaultMode: 420 } },
          { name: 'secret', secret: { secretName: 'web', defaultMode: 0o400 } },
          { name: 'token', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
          { name: 'host', hostPath: { path: '/var/log', type: '' } },
        ],
      },
    })
  })

  it('keeps what is set, and leaves the input untouched', () => {
    const template = { spec: { dnsPolicy: 'Default', containers: [{ name: 'a', image: 'a', imagePullPolicy: 'Never' }] } }
    const defaulted = withPodTemplateDefaults(template)
    expect(defaulted.spec?.dnsPolicy).toBe('Default')
    expect(defaulted.spec?.containers?.[0]?.imagePullPolicy).toBe('Never')
    expect(template).toEqual({ spec: { dnsPolicy: 'Default', containers: [{ name: 'a', image: 'a', imagePullPolicy: 'Never' }] } })
  })
})

describe('comparablePodTemplate', () => {
  const written = {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'web:1.0', resources: { limits: { cpu: 1, memory: '1Gi' } }, env: [] }], hostNetwork: false },
  }
  // The same template as the API server stores it in a ReplicaSet.
  const stored = {
    metadata: { creationTimestamp: null as unknown, labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'web:1.0',
          imagePullPolicy: 'IfNotPresent',
          resources: { limits: { cpu: '1', memory: '1Gi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    },
  }

  it('makes a written template and its stored form equal', () => {
    expect(comparablePodTemplate(written)).toEqual(comparablePodTemplate(stored))
  })

  it.each([
    ['another image', { spec: { containers: [{ ...stored.spec.containers[0], image: 'web:2.0' }] } }],
    ['another limit', { spec: { containers: [{ ...stored.spec.containers[0], resources: { limits: { cpu: '2', memory: '1Gi' } } }] } }],
    ['a pull policy other than the default', { spec: { containers: [{ ...stored.spec.containers[0], imagePullPolicy: 'Always' }] } }],
    ['another grace period', { spec: { terminationGracePeriodSeconds: 5 } }],
    ['host networking', { spec: { hostNetwork: true } }],
  ] as [string, { spec: Record<string, unknown> }][])('tells them apart after %s', (_what, change) => {
    const changed = { ...stored, spec: { ...stored.spec, ...change.spec } } as PodTemplateSpec
    expect(comparablePodTemplate(written)).not.toEqual(comparablePodTemplate(changed))
  })
})
