/**
 * The connection of a cluster command: the API client for the resolved kubeconfig, and how any
 * failure of a request becomes one line that says what went wrong and where (`cannot reach the
 * cluster at https://…: connection refused`, `no access: … is forbidden …`, `rollout "a/b" not
 * found`), never a stack.
 */
import { OperationRefused } from '@sluice/client'
import { KubeApiError, parseDuration } from '@sluice/core'
import type { Rollout } from '@sluice/core'
import type { ClusterKubeApi } from '@sluice/kube'
import { InputError, UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'
import { resolveKubeConfig } from './kubeconfig.ts'
import type { ClusterFlagValues, ResolvedKubeConfig } from './kubeconfig.ts'

export interface Connection {
  api: ClusterKubeApi
  /** The namespace from -n, the context, or "default". */
  namespace: string
  config: ResolvedKubeConfig
  /** Runs requests; whatever they throw comes out as one `InputError` line (see `describeFailure`). */
  call<T>(requests: () => Promise<T>): Promise<T>
  /** The one-line error for a failure of a request to this cluster. */
  describe(error: unknown): Error
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/** `--request-timeout 0`: kubectl's "no timeout"; a timer's longest delay (about 24.8 days). */
const NO_TIMEOUT_MS = 2_147_483_647

export async function connect(flags: ClusterFlagValues, ctx: Pick<CliContext, 'env' | 'cwd' | 'readFile' | 'version'>): Promise<Connection> {
  const requestTimeoutMs = parseRequestTimeout(flags['request-timeout'])
  const config = await resolveKubeConfig(flags, ctx)
  // Loaded here, not at the top: the Kubernetes client takes longer to load than `sluice --version` may.
  const { createKubeApi } = await import('@sluice/kube')
  const api = createKubeApi(config.kc, { requestTimeoutMs, userAgent: `sluice/${ctx.version}`, headers: config.headers })
  const describe = (error: unknown) => describeFailure(error, config, requestTimeoutMs)
  return {
    api,
    namespace: config.namespace,
    config,
    describe,
    async call(requests) {
      try {
        return await requests()
      } catch (error) {
        throw describe(error)
      }
    },
  }
}

function parseRequestTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_REQUEST_TIMEOUT_MS
  const ms = parseDuration(value)
  if (ms === undefined || (ms === 0 && !/^0+(s|m|h)?$/.test(value))) throw new UsageError(`--request-timeout takes a duration such as 30s or 1m (0: no timeout), not "${value}"`)
  return ms === 0 ? NO_TIMEOUT_MS : ms
}

/** Network failures, by the code Node gives them, in a person's words. */
const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'the connection was closed',
}

/**
 * One line for a failed request: the operation refused, not found, no access (403), bad
 * credentials (401), a conflict, the cluster unreachable (which server, and why), a missing CRD.
 * Errors that are already one line for the user (`InputError`, `UsageError`) pass through; anything
 * else is returned as is (an internal error).
 */
export function describeFailure(error: unknown, config: Pick<ResolvedKubeConfig, 'server' | 'context'>, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Error {
  if (error instanceof InputError || error instanceof UsageError) return error
  const where = `${config.server}${config.context ? ` (context "${config.context}")` : ''}`
  if (error instanceof OperationRefused) return new InputError(error.message, [], { cause: error })
  if (error instanceof KubeApiError) {
    switch (error.status) {
      case 401:
        return new InputError(`the API server at ${where} did not accept the credentials: ${error.message}`, [], { cause: error })
      case 403:
        return new InputError(`no access: ${error.message}`, [], { cause: error })
      case 404:
        return new InputError(error.message, [], { cause: error })
      case 409:
        return new InputError(`the rollout changed while sluice was writing it (${error.message}); run the command again`, [], { cause: error })
      default:
        return new InputError(`the API server at ${where} answered ${error.status} ${error.reason}: ${error.message}`, [], { cause: error })
    }
  }
  if (!(error instanceof Error) || !error.message.startsWith('[kube] ')) return error instanceof Error ? error : new Error(String(error))
  const text = error.message.slice('[kube] '.length)
  const missingKind = /^the API server serves no (\S+) in (\S+)/.exec(text)
  if (missingKind) {
    const [, kind = '', apiVersion = ''] = missingKind
    const crd = `${kind.toLowerCase()}s.${apiVersion.split('/')[0]}`
    return new InputError(`the API server at ${where} serves no ${kind} in ${apiVersion}: is the ${kind === 'Rollout' ? 'Argo Rollouts CRD (rollouts.argoproj.io)' : `CRD ${crd}`} installed?`, [], { cause: error })
  }
  if (/: no answer within \d+ ms$/.test(text)) {
    return new InputError(`cannot reach the cluster at ${where}: no answer within ${formatMs(requestTimeoutMs)}`, [], { cause: error })
  }
  const code = causeCode(error)
  if (code && NETWORK_CODES[code]) return new InputError(`cannot reach the cluster at ${where}: ${NETWORK_CODES[code]}`, [], { cause: error })
  if (code && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(code)) {
    return new InputError(`cannot reach the cluster at ${where}: TLS: ${deepestMessage(error)}`, [], { cause: error })
  }
  // "[kube] GET /apis/...: <what failed>": keep what failed, without the request line.
  const detail = text.replace(/^[A-Z]+ \S+: /, '')
  return new InputError(`cannot talk to the cluster at ${where}: ${detail}`, [], { cause: error })
}

function causeCode(error: unknown): string | undefined {
  let e: unknown = error
  for (let depth = 0; e && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = causeCode(errors[0])
      if (inner) return inner
    }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

function deepestMessage(error: Error): string {
  let e: unknown = error
  let message = error.message
  for (let depth = 0; e instanceof Error && depth < 6; depth++) {
    message = e.message
    e = e.cause
  }
  return message
}

export function formatMs(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

export const rolloutRef = (namespace: string, name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace, name })

/** Reads a Rollout; `rollout "ns/name" not found` (exit 1) when there is none. */
export async function readRollout(conn: Connection, name: string): Promise<Rollout> {
  const rollout = await conn.call(() => conn.api.get<Rollout>(rolloutRef(conn.namespace, name)))
  if (!rollout) throw new InputError(`rollout "${conn.namespace}/${name}" not found`)
  return rollout
}
