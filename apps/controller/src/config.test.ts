import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.ts'
import type { ControllerConfig } from './config.ts'

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(argv, env) as ControllerConfig

describe('loadConfig', () => {
  it('has defaults a cluster install can run with', () => {
    const c = load([], { POD_NAMESPACE: 'sluice-system', POD_NAME: 'sluice-abc' })
    expect(c).toMatchObject({
      kubeconfig: undefined,
      namespace: undefined,
      workers: 4,
      httpHost: '0.0.0.0',
      httpPort: 8090,
      logLevel: 'info',
      leaderElection: { enabled: true, namespace: 'sluice-system', name: 'sluice-controller', identity: 'sluice-abc', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      verifyRetryMs: 10_000,
    })
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

  it.each([
    [['--workers', '0'], '--workers: expected a whole number ≥ 1, got "0"'],
    [['--leader-elect', 'maybe'], '--leader-elect: expected true or false, got "maybe"'],
    [['--log-level', 'loud'], '--log-level: expected trace, debug, info, warn or error, got "loud"'],
    [['--http-addr', 'host:port'], '--http-addr: expected HOST:PORT, got "host:port"'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['extra'], 'unexpected argument: extra'],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError)
    expect(() => loadConfig(argv, {})).toThrow(message)
  })

  it('answers --help', () => {
    expect(loadConfig(['--help'], {})).toBe('help')
  })
})
