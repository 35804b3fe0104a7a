/**
 * Flags and environment, read and checked once (the only module that reads either). Everything
 * downstream takes a `ControllerConfig`.
 */
import { hostname } from 'node:os'
import { parseArgs } from 'node:util'
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { Logger } from 'pino'
import { RouterSettingsError } from '@sluice/core'
import { createRouterRegistry, ROUTER_SETTING_FLAGS, routerSettingsFromFlags } from '@sluice/routers'
import type { RouterSettingFlag, RouterSettingsInput } from '@sluice/routers'
import { CHAOS_BREAKS } from './reconcile/chaos-break.ts'
import type { ChaosBreak } from './reconcile/chaos-break.ts'

export interface ControllerConfig {
  /** Path of a kubeconfig; undefined: in-cluster config (or the default kubeconfig when outside a cluster). */
  kubeconfig: string | undefined
  /** Watch only this namespace; undefined: all namespaces. */
  namespace: string | undefined
  /** Reconciles in parallel (never the same Rollout twice). */
  workers: number
  /** Host and port of the HTTP server for /metrics, /healthz and /readyz. */
  httpHost: string
  httpPort: number
  leaderElection: {
    enabled: boolean
    namespace: string
    name: string
    identity: string
    leaseDurationMs: number
    renewDeadlineMs: number
    retryPeriodMs: number
  }
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error'
  /** API version of SMI TrafficSplits (`split.smi-spec.io/v1alpha1` ...). */
  trafficSplitApiVersion: string | undefined
  /** API version of Ambassador Mappings (`getambassador.io/v3alpha1` ...). */
  ambassadorApiVersion: string | undefined
  /** How long to wait before asking again whether a weight is in effect. */
  verifyRetryMs: number
  /** The AWS side of the ALB router. */
  aws: {
    /** Verify ALB weights through the ELBv2 API before finishing a step or scaling down the old stable. */
    verifyTargetGroup: boolean
    /** Region of the load balancers; undefined: the AWS SDK's own lookup (AWS_REGION, profile). */
    region: string | undefined
    /** ELBv2 endpoint to use instead of AWS's (an emulator); undefined: AWS. */
    endpoint: string | undefined
    /** The tag the AWS Load Balancer Controller puts on target groups to name their Service. */
    albTagKeyResourceId: string
  }
  /** Reopen a watch that was silent this long. */
  watchSilenceMs: number
  /**
   * TEST-ONLY: a deliberately broken controller for the chaos suite's own test (tools/chaos), from the
   * environment variable SLUICE_CHAOS_BREAK; undefined (correct behaviour) unless that is set.
   */
  chaosBreak: ChaosBreak | undefined
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const USAGE = `sluice-controller: runs argoproj.io/v1alpha1 canary Rollouts

Flags (each also read from the environment variable in brackets):
  --kubeconfig PATH              kubeconfig to use; default: in-cluster config [KUBECONFIG]
  --namespace NS                 watch only this namespace; default: all [SLUICE_NAMESPACE]
  --workers N                    Rollouts reconciled in parallel; default 16 [SLUICE_WORKERS]
  --http-addr HOST:PORT          /metrics, /healthz, /readyz; default 0.0.0.0:8090 [SLUICE_HTTP_ADDR]
  --leader-elect=false           run without leader election (one replica only!) [SLUICE_LEADER_ELECT]
  --leader-election-namespace NS namespace of the Lease; default: POD_NAMESPACE or default [SLUICE_LEADER_ELECTION_NAMESPACE]
  --leader-election-id NAME      name of the Lease; default sluice-controller [SLUICE_LEADER_ELECTION_ID]
  --identity NAME                this replica in the Lease; default POD_NAME or host-pid [SLUICE_IDENTITY]
  --lease-duration SECONDS       default 15 [SLUICE_LEASE_DURATION]
  --log-level LEVEL              trace, debug, info, warn, error; default info [SLUICE_LOG_LEVEL]
  --traffic-split-api-version V  SMI TrafficSplit version, e.g. split.smi-spec.io/v1alpha2 [SLUICE_TRAFFIC_SPLIT_API_VERSION]
  --ambassador-api-version V     Ambassador Mapping version, e.g. getambassador.io/v2 [SLUICE_AMBASSADOR_API_VERSION]
  --verify-retry SECONDS         wait before re-checking an unverified weight; default 10 [SLUICE_VERIFY_RETRY]
  --aws-verify-target-group      ALB: verify weights through the ELBv2 API before a step finishes; default false
                                 [SLUICE_AWS_VERIFY_TARGET_GROUP]; credentials: the AWS SDK's default chain
  --aws-region REGION            ALB: region of the load balancers; default: the SDK's [SLUICE_AWS_REGION, AWS_REGION]
  --aws-endpoint URL             ALB: ELBv2 endpoint instead of AWS's (an emulator) [SLUICE_AWS_ENDPOINT]
  --alb-tag-key-resource-id KEY  ALB: target-group tag naming its Service; default ingress.k8s.aws/resource
                                 [SLUICE_ALB_TAG_KEY_RESOURCE_ID]
  --help                         print this`

export function usage(): string {
  return USAGE
}

/** Parses flags (taking precedence) and environment variables into a checked config; throws `ConfigError`. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ControllerConfig | 'help' {
  let parsed: ReturnType<typeof parseFlags>
  try {
    parsed = parseFlags(argv)
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
  const flags = parsed.values
  if (flags.help) return 'help'
  if (parsed.positionals.length > 0) throw new ConfigError(`unexpected argument: ${parsed.positionals[0]}`)

  const pick = (flag: string | undefined, ...vars: string[]) => flag ?? vars.map((v) => env[v]).find((v) => v !== undefined && v !== '')
  const [httpHost, httpPort] = parseAddress(pick(flags['http-addr'], 'SLUICE_HTTP_ADDR') ?? '0.0.0.0:8090')
  const leaseSeconds = parseNumber('--lease-duration', pick(flags['lease-duration'], 'SLUICE_LEASE_DURATION') ?? '15', 2)
  const logLevel = pick(flags['log-level'], 'SLUICE_LOG_LEVEL') ?? 'info'
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError(`--log-level: expected trace, debug, info, warn or error, got "${logLevel}"`)
  const awsEndpoint = pick(flags['aws-endpoint'], 'SLUICE_AWS_ENDPOINT')
  if (awsEndpoint !== undefined && !/^https?:\/\/[^/]/.test(awsEndpoint)) throw new ConfigError(`--aws-endpoint: expected an http:// or https:// URL, got "${awsEndpoint}"`)
  const albTagKey = pick(flags['alb-tag-key-resource-id'], 'SLUICE_ALB_TAG_KEY_RESOURCE_ID') ?? 'ingress.k8s.aws/resource'
  const trafficSplitApiVersion = pick(flags['traffic-split-api-version'], 'SLUICE_TRAFFIC_SPLIT_API_VERSION')
  const ambassadorApiVersion = pick(flags['ambassador-api-version'], 'SLUICE_AMBASSADOR_API_VERSION')
  checkRouterSettingFlags({ 'traffic-split-api-version': trafficSplitApiVersion, 'ambassador-api-version': ambassadorApiVersion })
  const chaosBreak = env.SLUICE_CHAOS_BREAK || undefined
  if (chaosBreak !== undefined && !CHAOS_BREAKS.includes(chaosBreak as ChaosBreak)) throw new ConfigError(`SLUICE_CHAOS_BREAK (test-only): expected ${CHAOS_BREAKS.join(' or ')}, got "${chaosBreak}"`)

  return {
    kubeconfig: pick(flags.kubeconfig, 'KUBECONFIG'),
    namespace: pick(flags.namespace, 'SLUICE_NAMESPACE'),
    workers: parseNumber('--workers', pick(flags.workers, 'SLUICE_WORKERS') ?? '16', 1),
    httpHost,
    httpPort,
    leaderElection: {
      enabled: parseBoolean('--leader-elect', pick(flags['leader-elect'], 'SLUICE_LEADER_ELECT') ?? 'true'),
      namespace: pick(flags['leader-election-namespace'], 'SLUICE_LEADER_ELECTION_NAMESPACE', 'POD_NAMESPACE') ?? 'default',
      name: pick(flags['leader-election-id'], 'SLUICE_LEADER_ELECTION_ID') ?? 'sluice-controller',
      identity: pick(flags.identity, 'SLUICE_IDENTITY', 'POD_NAME') ?? `${hostname()}-${process.pid}`,
      leaseDurationMs: leaseSeconds * 1000,
      renewDeadlineMs: Math.max(1000, Math.floor(leaseSeconds * 1000 * (2 / 3))),
      retryPeriodMs: Math.max(500, Math.floor(leaseSeconds * 1000 * (2 / 15))),
    },
    logLevel: logLevel as ControllerConfig['logLevel'],
    trafficSplitApiVersion,
    ambassadorApiVersion,
    verifyRetryMs: parseNumber('--verify-retry', pick(flags['verify-retry'], 'SLUICE_VERIFY_RETRY') ?? '10', 1) * 1000,
    aws: {
      verifyTargetGroup: parseBoolean('--aws-verify-target-group', pick(flags['aws-verify-target-group'], 'SLUICE_AWS_VERIFY_TARGET_GROUP') ?? 'false'),
      region: pick(flags['aws-region'], 'SLUICE_AWS_REGION', 'AWS_REGION'),
      endpoint: awsEndpoint,
      albTagKeyResourceId: albTagKey,
    },
    watchSilenceMs: 5 * 60 * 1000,
    chaosBreak: chaosBreak as ChaosBreak | undefined,
  }
}

/** Boolean flags that, as in Go's flag package, mean true when given bare and also take `=false`. */
const BARE_BOOLEAN_FLAGS = new Set(['--aws-verify-target-group'])

function parseFlags(argv: readonly string[]) {
  return parseArgs({
    args: argv.map((arg) => (BARE_BOOLEAN_FLAGS.has(arg) ? `${arg}=true` : arg)),
    allowPositionals: true,
    strict: true,
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      workers: { type: 'string' },
      'http-addr': { type: 'string' },
      'leader-elect': { type: 'string' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string' },
      identity: { type: 'string' },
      'lease-duration': { type: 'string' },
      'log-level': { type: 'string' },
      'traffic-split-api-version': { type: 'string' },
      'ambassador-api-version': { type: 'string' },
      'verify-retry': { type: 'string' },
      'aws-verify-target-group': { type: 'string' },
      'aws-region': { type: 'string' },
      'aws-endpoint': { type: 'string' },
      'alb-tag-key-resource-id': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function parseNumber(flag: string, text: string, min: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${flag}: expected a whole number ≥ ${min}, got "${text}"`)
  return n
}

function parseBoolean(flag: string, text: string): boolean {
  if (['true', '1', 'yes'].includes(text)) return true
  if (['false', '0', 'no'].includes(text)) return false
  throw new ConfigError(`${flag}: expected true or false, got "${text}"`)
}

function parseAddress(text: string): [string, number] {
  const i = text.lastIndexOf(':')
  const host = i <= 0 ? '0.0.0.0' : text.slice(0, i)
  const port = Number(i < 0 ? text : text.slice(i + 1))
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--http-addr: expected HOST:PORT, got "${text}"`)
  return [host, port]
}

/** Each router setting flag checked against the router it sets: `--ambassador-api-version: the ambassador router's apiVersion ...`. */
function checkRouterSettingFlags(values: Record<RouterSettingFlag, string | undefined>): void {
  for (const flag of Object.keys(ROUTER_SETTING_FLAGS) as RouterSettingFlag[]) {
    if (values[flag] === undefined) continue
    try {
      createRouterRegistry(routerSettingsFromFlags({ [flag]: values[flag] }))
    } catch (error) {
      if (error instanceof RouterSettingsError) throw new ConfigError(`--${flag}: ${error.message}`)
      throw error
    }
  }
}

/** The routers' cluster-wide settings from the config, and the clients built from it once per process. */
export function routerSettingsOf(config: Pick<ControllerConfig, 'trafficSplitApiVersion' | 'ambassadorApiVersion' | 'aws'>, clients: { elbv2?: ElasticLoadBalancingV2Client | undefined } = {}): RouterSettingsInput {
  return {
    ...routerSettingsFromFlags({ 'traffic-split-api-version': config.trafficSplitApiVersion, 'ambassador-api-version': config.ambassadorApiVersion }),
    // The engine waits for verified weights only when this controller can verify them.
    ...(clients.elbv2 ? { alb: { verifyWeights: { client: clients.elbv2, resourceTagKey: config.aws.albTagKeyResourceId } } } : {}),
  }
}

/**
 * The ELBv2 client of ALB weight verification, or undefined when it is off. Credentials come from the
 * AWS SDK's default chain (environment, web identity / IRSA, profile, container or instance metadata).
 */
export async function createElbv2Client(aws: ControllerConfig['aws'], logger?: Pick<Logger, 'info'>): Promise<ElasticLoadBalancingV2Client | undefined> {
  if (!aws.verifyTargetGroup) return undefined
  // Loaded only when verification is on: the AWS SDK costs tens of MB of memory.
  const { ElasticLoadBalancingV2Client } = await import('@aws-sdk/client-elastic-load-balancing-v2')
  logger?.info({ region: aws.region ?? '(AWS SDK default)', endpoint: aws.endpoint ?? '(AWS)', tagKey: aws.albTagKeyResourceId }, 'ALB weight verification on')
  return new ElasticLoadBalancingV2Client({
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.endpoint ? { endpoint: aws.endpoint } : {}),
  })
}
