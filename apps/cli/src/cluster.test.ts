import { OperationRefused } from '@sluice/client'
import { KubeApiError } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { InputError } from './cli-context.ts'
import { describeFailure } from './cluster.ts'

const where = { server: 'https://10.1.2.3:6443', context: 'prod' }
const transport = (message: string, code?: string) => new Error(`[kube] GET /apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web: ${message}`, { cause: new TypeError('fetch failed', { cause: Object.assign(new Error(message), code ? { code } : {}) }) })

describe('describeFailure: one line for a failed request', () => {
  it.each([
    [new OperationRefused('rollout "shop/web" is already paused'), 'rollout "shop/web" is already paused'],
    [new KubeApiError(403, 'Forbidden', 'rollouts.argoproj.io "web" is forbidden: User "bob" cannot get resource "rollouts"'), 'no access: rollouts.argoproj.io "web" is forbidden: User "bob" cannot get resource "rollouts"'],
    [new KubeApiError(401, 'Unauthorized', 'Unauthorized'), 'the API server at https://10.1.2.3:6443 (context "prod") did not accept the credentials: Unauthorized'],
    [new KubeApiError(404, 'NotFound', 'namespaces "nope" not found'), 'namespaces "nope" not found'],
    [new KubeApiError(409, 'Conflict', 'the object has been modified'), 'the rollout changed while sluice was writing it (the object has been modified); run the command again'],
    [new KubeApiError(500, 'InternalError', 'etcdserver: request timed out'), 'the API server at https://10.1.2.3:6443 (context "prod") answered 500 InternalError: etcdserver: request timed out'],
    [transport('connect ECONNREFUSED 10.1.2.3:6443', 'ECONNREFUSED'), 'cannot reach the cluster at https://10.1.2.3:6443 (context "prod"): connection refused'],
    [transport('getaddrinfo ENOTFOUND cluster.example', 'ENOTFOUND'), 'cannot reach the cluster at https://10.1.2.3:6443 (context "prod"): host not found'],
    [transport('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT'), 'cannot reach the cluster at https://10.1.2.3:6443 (context "prod"): connection timed out'],
    [transport('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'), 'cannot reach the cluster at https://10.1.2.3:6443 (context "prod"): TLS: self-signed certificate'],
    [new Error('[kube] GET /apis/argoproj.io/v1alpha1/rollouts: no answer within 30000 ms'), 'cannot reach the cluster at https://10.1.2.3:6443 (context "prod"): no answer within 30s'],
    [new Error('[kube] the API server serves no Rollout in argoproj.io/v1alpha1 (is its CustomResourceDefinition installed?)'), 'the API server at https://10.1.2.3:6443 (context "prod") serves no Rollout in argoproj.io/v1alpha1: is the Argo Rollouts CRD (rollouts.argoproj.io) installed?'],
    [transport('exec plugin failed'), 'cannot talk to the cluster at https://10.1.2.3:6443 (context "prod"): exec plugin failed'],
  ])('%s', (error, message) => {
    const described = describeFailure(error, where)
    expect(described).toBeInstanceOf(InputError)
    expect(described.message).toBe(message)
    expect((described as InputError).details).toEqual([])
  })

  it('leaves the context out in a pod, and passes other errors through (internal errors)', () => {
    expect(describeFailure(transport('x', 'ECONNRESET'), { server: 'https://10.0.0.1:443', context: '' }).message).toBe('cannot reach the cluster at https://10.0.0.1:443: the connection was reset')
    const bug = new TypeError('undefined is not a function')
    expect(describeFailure(bug, where)).toBe(bug)
  })
})
