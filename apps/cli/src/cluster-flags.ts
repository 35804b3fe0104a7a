/**
 * The cluster flags, apart from their resolution (`kubeconfig.ts`), so that `cli.ts` can recognise
 * them before the command without loading anything else.
 */
import type { ParseArgsOptionsConfig } from 'node:util'

/**
 * The flags every cluster command takes: kubectl's global flags, which `kubectl argo rollouts`
 * inherits, so that its scripts run unchanged. They may also come before the command
 * (`sluice -n shop get rollout web`).
 */
export const clusterFlags = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  cluster: { type: 'string' },
  user: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  server: { type: 'string', short: 's' },
  token: { type: 'string' },
  as: { type: 'string' },
  'as-group': { type: 'string', multiple: true },
  'as-uid': { type: 'string' },
  'certificate-authority': { type: 'string' },
  'client-certificate': { type: 'string' },
  'client-key': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  'tls-server-name': { type: 'string' },
  'request-timeout': { type: 'string' },
  // Accepted so that command lines written for kubectl argo rollouts run; they change nothing here.
  'cache-dir': { type: 'string' },
  'disable-compression': { type: 'boolean' },
  kloglevel: { type: 'string', short: 'v' },
  loglevel: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig

export const clusterFlagsHelp = `Cluster flags (kubectl's, as kubectl argo rollouts takes them; also before the command):
      --kubeconfig FILE        the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME           the kubeconfig context (default: its current-context)
      --cluster NAME           the kubeconfig cluster to use instead of the context's
      --user NAME              the kubeconfig user to use instead of the context's
  -n, --namespace NAME         the namespace (default: the context's, else "default")
  -s, --server URL             the API server (instead of the cluster's; no kubeconfig needed)
      --token TOKEN            a bearer token for the API server
      --as USER                impersonate USER (--as-group GROUP, --as-uid UID with it)
      --certificate-authority FILE  the CA to check the server's certificate with
      --client-certificate FILE, --client-key FILE  a client certificate and its key
      --insecure-skip-tls-verify    do not check the server's certificate
      --tls-server-name NAME   the name to check the server's certificate against
      --request-timeout TIME   give up on one API request after TIME (default 30s; 0: never)
      --cache-dir, --disable-compression, -v/--kloglevel, --loglevel: accepted, no effect`

export interface ClusterFlagValues {
  kubeconfig?: string | undefined
  context?: string | undefined
  cluster?: string | undefined
  user?: string | undefined
  namespace?: string | undefined
  server?: string | undefined
  token?: string | undefined
  as?: string | undefined
  'as-group'?: string[] | undefined
  'as-uid'?: string | undefined
  'certificate-authority'?: string | undefined
  'client-certificate'?: string | undefined
  'client-key'?: string | undefined
  'insecure-skip-tls-verify'?: boolean | undefined
  'tls-server-name'?: string | undefined
  'request-timeout'?: string | undefined
}

/** Whether `arg` (`--namespace`, `--namespace=x`, `-n`, `-nshop`) is a cluster flag, and whether it takes a value. */
export function clusterFlagArity(arg: string): 'value' | 'boolean' | undefined {
  const name = arg.startsWith('--') ? arg.slice(2).replace(/=.*$/, '') : Object.keys(clusterFlags).find((k) => `-${(clusterFlags as ParseArgsOptionsConfig)[k]?.short}` === arg.slice(0, 2))
  const flag = name === undefined ? undefined : (clusterFlags as ParseArgsOptionsConfig)[name]
  if (!flag) return undefined
  return flag.type === 'boolean' ? 'boolean' : 'value'
}

