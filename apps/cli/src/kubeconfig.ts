/**
 * Which cluster, user and namespace a cluster command talks to, resolved as kubectl does:
 *
 *   kubeconfig   --kubeconfig FILE; else every file in KUBECONFIG (":"-separated, missing ones
 *                skipped, merged: the first file to define a name or a current-context wins);
 *                else ~/.kube/config; else the pod's service account (in a cluster)
 *   context      --context NAME; else the kubeconfig's current-context
 *   namespace    -n/--namespace; else the context's namespace; else "default"
 *
 * Every problem is an `InputError` of one line naming the file or the context.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { parse } from 'yaml'
import type { Cluster, Context, User } from '@kubernetes/client-node'
import type { ParseArgsOptionsConfig } from 'node:util'
import { InputError, UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'

/** The flags every cluster command takes. */
export const clusterFlags = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'request-timeout': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig

export const clusterFlagsHelp = `Cluster flags (as kubectl):
      --kubeconfig FILE        the kubeconfig (default: $KUBECONFIG, else ~/.kube/config)
      --context NAME           the kubeconfig context (default: its current-context)
  -n, --namespace NAME         the namespace (default: the context's, else "default")
      --request-timeout TIME   give up on one API request after TIME (default 30s)`

export interface ClusterFlagValues {
  kubeconfig?: string | undefined
  context?: string | undefined
  namespace?: string | undefined
  'request-timeout'?: string | undefined
}

export interface ResolvedKubeConfig {
  kc: KubeConfig
  /** The context in use ('' for the in-cluster service account). */
  context: string
  /** The API server's URL. */
  server: string
  namespace: string
  /** Where the configuration came from, for messages: a path, `KUBECONFIG=a:b`, or `in-cluster`. */
  source: string
}

interface KubeConfigParts {
  clusters: Cluster[]
  users: User[]
  contexts: Context[]
  currentContext: string
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

export async function resolveKubeConfig(flags: ClusterFlagValues, ctx: Pick<CliContext, 'env' | 'cwd' | 'readFile'>): Promise<ResolvedKubeConfig> {
  if (flags.kubeconfig === '') throw new UsageError('flag --kubeconfig needs a file')
  if (flags.context === '') throw new UsageError('flag --context needs a name')
  if (flags.namespace === '') throw new UsageError('flag -n, --namespace needs a name')
  const loaded = await loadParts(flags, ctx)
  const { parts, source } = loaded
  const contextName = flags.context ?? parts.currentContext
  if (!contextName) {
    throw new InputError(`the kubeconfig (${source}) sets no current-context: pass --context${listOf('contexts', parts.contexts)}`)
  }
  const context = parts.contexts.find((c) => c.name === contextName)
  if (!context) throw new InputError(`context "${contextName}" not found in the kubeconfig (${source})${listOf('contexts', parts.contexts)}`)
  const cluster = parts.clusters.find((c) => c.name === context.cluster)
  if (!cluster) throw new InputError(`context "${contextName}" names cluster "${context.cluster}", which the kubeconfig (${source}) does not define, or defines without a server`)
  if (context.user && !parts.users.some((u) => u.name === context.user)) {
    throw new InputError(`context "${contextName}" names user "${context.user}", which the kubeconfig (${source}) does not define`)
  }
  const kc = new KubeConfig()
  kc.loadFromOptions({ ...parts, currentContext: contextName })
  return { kc, context: loaded.inCluster ? '' : contextName, server: cluster.server, namespace: flags.namespace ?? (context.namespace || 'default'), source }
}

async function loadParts(flags: ClusterFlagValues, ctx: Pick<CliContext, 'env' | 'cwd' | 'readFile'>): Promise<{ parts: KubeConfigParts; source: string; inCluster?: boolean }> {
  if (flags.kubeconfig !== undefined) {
    const parts = await readKubeConfig(flags.kubeconfig, ctx, { mustExist: true })
    return { parts: parts as KubeConfigParts, source: flags.kubeconfig }
  }
  const list = ctx.env.KUBECONFIG
  if (list) {
    const files = list.split(':').filter((f) => f !== '')
    const found: KubeConfigParts[] = []
    for (const file of files) {
      const parts = await readKubeConfig(file, ctx, { mustExist: false })
      if (parts) found.push(parts)
    }
    if (found.length === 0) throw new InputError(`none of the kubeconfig files in KUBECONFIG exists (${files.join(', ')})`)
    return { parts: merge(found), source: files.length === 1 ? (files[0] as string) : `KUBECONFIG=${list}` }
  }
  const home = ctx.env.HOME
  if (home) {
    const file = join(home, '.kube', 'config')
    const parts = await readKubeConfig(file, ctx, { mustExist: false })
    if (parts) return { parts, source: file }
  }
  const inCluster = await serviceAccountConfig(ctx)
  if (inCluster) return { parts: inCluster, source: 'in-cluster service account', inCluster: true }
  throw new InputError('no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config')
}

/** One kubeconfig file; `undefined` when it does not exist and need not. Relative paths in it are taken from its directory. */
async function readKubeConfig(file: string, ctx: Pick<CliContext, 'cwd' | 'readFile'>, options: { mustExist: true }): Promise<KubeConfigParts>
async function readKubeConfig(file: string, ctx: Pick<CliContext, 'cwd' | 'readFile'>, options: { mustExist: false }): Promise<KubeConfigParts | undefined>
async function readKubeConfig(file: string, ctx: Pick<CliContext, 'cwd' | 'readFile'>, options: { mustExist: boolean }): Promise<KubeConfigParts | undefined> {
  let text: string
  try {
    text = await ctx.readFile(file)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !options.mustExist) return undefined
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message
    throw new InputError(`cannot read the kubeconfig ${file}: ${reason}`)
  }
  let document: unknown
  try {
    document = parse(text)
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]
    throw new InputError(`the kubeconfig ${file} is not valid YAML: ${first}`)
  }
  if (document === null || document === undefined) return { clusters: [], users: [], contexts: [], currentContext: '' }
  if (typeof document !== 'object' || Array.isArray(document)) throw new InputError(`the kubeconfig ${file} is not a kubeconfig (a YAML mapping of clusters, contexts and users)`)
  const kc = new KubeConfig()
  try {
    // Entries without a name or a server are left out; the context in use is checked afterwards.
    kc.loadFromString(text, { onInvalidEntry: 'filter' })
  } catch (error) {
    throw new InputError(`the kubeconfig ${file} is not valid: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`)
  }
  kc.makePathsAbsolute(dirname(isAbsolute(file) ? file : resolve(ctx.cwd, file)))
  return { clusters: kc.clusters ?? [], users: kc.users ?? [], contexts: kc.contexts ?? [], currentContext: kc.currentContext ?? '' }
}

/** kubectl's merge: the first file that names a cluster, user or context, or sets current-context, wins. */
function merge(files: readonly KubeConfigParts[]): KubeConfigParts {
  const firstOf = <T extends { name: string }>(lists: readonly (readonly T[])[]) => {
    const byName = new Map<string, T>()
    for (const list of lists) for (const item of list) if (!byName.has(item.name)) byName.set(item.name, item)
    return [...byName.values()]
  }
  return {
    clusters: firstOf(files.map((f) => f.clusters)),
    users: firstOf(files.map((f) => f.users)),
    contexts: firstOf(files.map((f) => f.contexts)),
    currentContext: files.find((f) => f.currentContext)?.currentContext ?? '',
  }
}

/** Inside a pod: its service account's token and CA, and its namespace. */
async function serviceAccountConfig(ctx: Pick<CliContext, 'env' | 'readFile'>): Promise<KubeConfigParts | undefined> {
  const host = ctx.env.KUBERNETES_SERVICE_HOST
  const port = ctx.env.KUBERNETES_SERVICE_PORT
  if (!host || !port) return undefined
  let token: string
  try {
    token = (await ctx.readFile(`${SERVICE_ACCOUNT_DIR}/token`)).trim()
  } catch {
    return undefined
  }
  const namespace = await ctx.readFile(`${SERVICE_ACCOUNT_DIR}/namespace`).then((n) => n.trim(), () => undefined)
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`
  return {
    clusters: [{ name: 'in-cluster', server, caFile: `${SERVICE_ACCOUNT_DIR}/ca.crt`, skipTLSVerify: false }],
    users: [{ name: 'in-cluster', token }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) }],
    currentContext: 'in-cluster',
  }
}

function listOf(what: string, items: readonly { name: string }[]): string {
  return items.length === 0 ? ` (it defines no ${what})` : ` (${what}: ${items.map((i) => i.name).join(', ')})`
}
