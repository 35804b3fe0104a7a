import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, routerSettingsOf, usage } from './config.ts'
import type { ControllerConfig } from './config.ts'

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(argv, env) as ControllerConfig

describe('loadConfig', () => {
  it('has defaults a cluster install can run with', () => {
    const c = load([], { POD_NAMESPACE: 'sluice-system', POD_NAME: 'sluice-abc' })
    expect(c).toMatchObject({
      kubeconfig: undefined,
      namespace: undefined,
      workers: 16,
      httpHost: '0.0.0.0',
      httpPort: 8090,
      logLevel: 'info',
      leaderElection: { enabled: true, namespace: 'sluice-system', name: 'sluice-controller', identity: 'sluice-abc', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      verifyRetryMs: 10_000,
      aws: { verifyTargetGroup: false, region: undefined, endpoint: undefined, albTagKeyResourceId: 'ingress.k8s.aws/resource' },
    })
  })

  it('breaks itself on purpose only when the test-only SLUICE_CHAOS_BREAK names a known break', () => {
    expect(load([]).chaosBreak).toBeUndefined()
    expect(load([], { SLUICE_CHAOS_BREAK: 'scale-stable-first' }).chaosBreak).toBe('scale-stable-first')
    expect(() => loadConfig([], { SLUICE_CHAOS_BREAK: 'everything' })).toThrow('SLUICE_CHAOS_BREAK (test-only): expected scale-stable-first, got "everything"')
  })

  it('takes flags over the environment', () => {
    const c = load(['--namespace', 'apps', '--workers=8', '--http-addr', '127.0.0.1:9000', '--leader-elect=false', '--lease-duration', '6'], {
      SLUICE_NAMESPACE: 'ignored',
      SLUICE_WORKERS: '2',
      KUBECONFIG: '/tmp/k',
    })
    expect(c).toMatchObject({ namespace: 'apps', workers: 8, httpHost: '127.0.0.1', httpPort: 9000, kubeconfig: '/tmp/k' })
    expect(c.leaderElection).toMatchObject({ enabled: false, leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 800 })
  })

  it('reads the environment when no flag is given', () => {
    expect(load([], { SLUICE_WORKERS: '2', SLUICE_LOG_LEVEL: 'debug', SLUICE_TRAFFIC_SPLIT_API_VERSION: 'split.smi-spec.io/v1alpha2' })).toMatchObject({
      workers: 2,
      logLevel: 'debug',
      trafficSplitApiVersion: 'split.smi-spec.io/v1alpha2',
    })
  })

  describe('ALB weight verification flags', () => {
    it('turns verification on with the bare flag, as Argo Rollouts does, and takes the AWS settings', () => {
      const c = load(['--aws-verify-target-group', '--aws-region', 'eu-west-1', '--aws-endpoint', 'http://127.0.0.1:5000', '--alb-tag-key-resource-id', 'example.com/resource'])
      expect(c.aws).toEqual({ verifyTargetGroup: true, region: 'eu-west-1', endpoint: 'http://127.0.0.1:5000', albTagKeyResourceId: 'example.com/resource' })
    })

    it('does not take the next flag as the value of the bare flag', () => {
      expect(load(['--aws-verify-target-group', '--workers', '2'])).toMatchObject({ aws: { verifyTargetGroup: true }, workers: 2 })
    })

    it.each([
      ['--aws-verify-target-group=true', true],
      ['--aws-verify-target-group=false', false],
      ['--aws-verify-target-group=0', false],
    ])('reads %s', (flag, on) => {
      expect(load([flag]).aws.verifyTargetGroup).toBe(on)
    })

    it('reads the environment, flags first', () => {
      const env = {
        SLUICE_AWS_VERIFY_TARGET_GROUP: 'true',
        SLUICE_AWS_REGION: 'us-west-2',
        SLUICE_AWS_ENDPOINT: 'https://elasticloadbalancing.example.test',
        SLUICE_ALB_TAG_KEY_RESOURCE_ID: 'env/resource',
      }
      expect(load([], env).aws).toEqual({ verifyTargetGroup: true, region: 'us-west-2', endpoint: 'https://elasticloadbalancing.example.test', albTagKeyResourceId: 'env/resource' })
      expect(load(['--aws-verify-target-group=false', '--aws-region', 'ap-south-1'], env).aws).toMatchObject({ verifyTargetGroup: false, region: 'ap-south-1' })
    })

    it("falls back to the AWS SDK's AWS_REGION", () => {
      expect(load([], { AWS_REGION: 'sa-east-1' }).aws.region).toBe('sa-east-1')
      expect(load([], { AWS_REGION: 'sa-east-1', SLUICE_AWS_REGION: 'us-east-2' }).aws.region).toBe('us-east-2')
    })
  })

  it.each([
    [['--aws-verify-target-group=maybe'], '--aws-verify-target-group: expected true or false, got "maybe"'],
    [['--aws-endpoint', '127.0.0.1:5000'], '--aws-endpoint: expected an http:// or https:// URL, got "127.0.0.1:5000"'],
    [['--workers', '0'], '--workers: expected a whole number ≥ 1, got "0"'],
    [['--leader-elect', 'maybe'], '--leader-elect: expected true or false, got "maybe"'],
    [['--log-level', 'loud'], '--log-level: expected trace, debug, info, warn or error, got "loud"'],
    [['--http-addr', 'host:port'], '--http-addr: expected HOST:PORT, got "host:port"'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], 'unexpected argument: extra'],
    // Router settings are checked against the routers at start, not at the first Rollout that uses them.
    [['--traffic-split-api-version', 'split.smi-spec.io/v9'], `--traffic-split-api-version: the smi router's apiVersion "split.smi-spec.io/v9" is not one of split.smi-spec.io/v1alpha1, split.smi-spec.io/v1alpha2, split.smi-spec.io/v1alpha3`],
    [['--ambassador-api-version', 'getambassador.io/v1'], `--ambassador-api-version: the ambassador router's apiVersion "getambassador.io/v1" is not one of getambassador.io/v2`],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError)
    expect(() => loadConfig(argv, {})).toThrow(message)
  })

  it('answers --help', () => {
    expect(loadConfig(['--help'], {})).toBe('help')
  })

  it('lists every flag in --help', () => {
    for (const flag of ['--aws-verify-target-group', '--aws-region', '--aws-endpoint', '--alb-tag-key-resource-id']) expect(usage()).toContain(flag)
  })
})

describe('routerSettingsOf', () => {
  const config = (argv: string[]) => loadConfig(argv, {}) as ControllerConfig

  it('passes the API version flags to their routers and leaves the rest to the defaults', () => {
    expect(routerSettingsOf(config(['--traffic-split-api-version', 'split.smi-spec.io/v1alpha2']))).toEqual({ smi: { apiVersion: 'split.smi-spec.io/v1alpha2' } })
    expect(routerSettingsOf(config([]))).toEqual({})
  })

  it('turns ALB weight verification on only with a client, with the tag key of the config', () => {
    const elbv2 = {} as never
    expect(routerSettingsOf(config(['--alb-tag-key-resource-id', 'k']), { elbv2 })).toEqual({ alb: { verifyWeights: { client: elbv2, resourceTagKey: 'k' } } })
    expect(routerSettingsOf(config(['--alb-tag-key-resource-id', 'k']), { elbv2: undefined })).toEqual({})
  })
})
