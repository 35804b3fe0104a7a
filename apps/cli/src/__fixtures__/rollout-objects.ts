/**
 * API objects as the controller leaves them, for the rendering tests: a Rollout `shop/web` in the
 * middle of an update (paused at step 1 of 4, one canary pod of four), its ReplicaSets and pods.
 */
import type { KubeObject, Rollout } from '@sluice/core'

export const NOW = new Date('2026-01-01T12:00:00Z')
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z')

const owner = (kind: string, name: string, uid: string) => [{ apiVersion: kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1', kind, name, uid, controller: true }]

const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: ago(60), lastUpdateTime: ago(60) })

export function pausedRollout(): Rollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop', uid: 'r-1', generation: 2, creationTimestamp: ago(3600), resourceVersion: '100' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:2' }] } },
      strategy: {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: '30s' } }],
        },
      },
    },
    status: {
      observedGeneration: '2',
      currentPodHash: 'v2hash',
      stableRS: 'v1hash',
      currentStepIndex: 1,
      replicas: 4,
      updatedReplicas: 1,
      readyReplicas: 4,
      availableReplicas: 4,
      pauseConditions: [{ reason: 'CanaryPauseStep', startTime: ago(30) }],
      phase: 'Paused',
      message: 'CanaryPauseStep',
      conditions: [
        condition('Progressing', 'Unknown', 'RolloutPaused', 'Rollout is paused'),
        condition('Available', 'True', 'AvailableReason', 'Rollout has minimum availability'),
        condition('Healthy', 'False', 'RolloutHealthy', 'Rollout is not healthy'),
      ] as never,
    },
  }
}

export function replicaSet(hash: string, revision: number, replicas: number, image: string, createdSecondsAgo: number, rolloutUid = 'r-1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      uid: `rs-${hash}`,
      labels: { app: 'web', 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision) },
      ownerReferences: owner('Rollout', 'web', rolloutUid),
      creationTimestamp: ago(createdSecondsAgo),
    },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image }] } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  }
}

export function pod(hash: string, suffix: string, createdSecondsAgo: number, status: Record<string, unknown> = { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 0 }] }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${hash}-${suffix}`, namespace: 'shop', uid: `pod-${suffix}`, ownerReferences: owner('ReplicaSet', `web-${hash}`, `rs-${hash}`), creationTimestamp: ago(createdSecondsAgo) },
    spec: { containers: [{ name: 'web' }] },
    status,
  }
}

/** The ReplicaSets and pods of `pausedRollout()`: one canary pod (revision 2), three stable (revision 1). */
export function pausedObjects(): { replicaSets: KubeObject[]; pods: KubeObject[] } {
  return {
    replicaSets: [replicaSet('v1hash', 1, 3, 'web:1', 3600), replicaSet('v2hash', 2, 1, 'web:2', 45), replicaSet('other', 1, 5, 'x:1', 10, 'someone-else')],
    pods: [pod('v2hash', 'aaaaa', 40), pod('v1hash', 'bbbbb', 3590), pod('v1hash', 'ccccc', 3590, { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), pod('v1hash', 'ddddd', 3590)],
  }
}
