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
import { parse } from 'yaml'
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node'
import { InputError, UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'
import type { ClusterFlagValues } from './cluster-flags.ts'

export { clusterFlags, clusterFlagsHelp } from './cluster-flags.ts'
export type { ClusterFlagValues } from './cluster-flags.ts'

export interface ResolvedKubeConfig {
  kc: KubeConfig
  /** The context in use ('' for the in-cluster service account). */
  context: string
  /** The API server's URL. */
  server: string
  namespace: string
  /** Where the configuration came from, for messages: a path, `KUBECONFIG=a:b`, or `in-cluster`. */
  source: string
  /** Headers every request carries beyond the kubeconfig's (`--as-group`, `--as-uid`). */
  headers: Record<string, string>
}

interface KubeConfigParts {
  clusters: Cluster[]
  users: User[]
  contexts: Context[]
  currentContext: string
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

export async function resolveKubeConfig(flags: ClusterFlagValues, ctx: Pick<CliContext, 'env' | 'cwd' | 'readFile'>): Promise<ResolvedKubeConfig> {
  for (const [flag, what] of [['kubeconfig', 'a file'], ['context', 'a name'], ['cluster', 'a name'], ['user', 'a name'], ['namespace', 'a name'], ['server', 'a URL']] as const) {
    if (flags[flag] === '') throw new UsageError(`flag ${flag === 'namespace' ? '-n, ' : ''}--${flag} needs ${what}`)
  }
  checkOverrides(flags)
  const { KubeConfig } = await import('@kubernetes/client-node')
  const loaded = await loadParts(flags, ctx, KubeConfig)
  const { parts, source } = loaded
  const contextName = flags.context ?? parts.currentContext
  if (!contextName && flags.server === undefined) {
    throw new InputError(`the kubeconfig (${source}) sets no current-context: pass --context${listOf('contexts', parts.contexts)}`)
  }
  const found = parts.contexts.find((c) => c.name === contextName)
  if (!found && (flags.context !== undefined || flags.server === undefined)) {
    throw new InputError(`context "${contextName}" not found in the kubeconfig (${source})${listOf('contexts', parts.contexts)}`)
  }
  const context: Context = found ?? { name: contextName || 'command-line', cluster: '', user: '' }
  const clusterName = flags.cluster ?? context.cluster
  const named = parts.clusters.find((c) => c.name === clusterName)
  if (flags.cluster !== undefined && !named) throw new InputError(`cluster "${flags.cluster}" not found in the kubeconfig (${source})${listOf('clusters', parts.clusters)}`)
  if (!named && flags.server === undefined) {
    throw new InputError(`context "${contextName}" names cluster "${context.cluster}", which the kubeconfig (${source}) does not define, or defines without a server`)
  }
  const userName = flags.user ?? context.user
  const namedUser = parts.users.find((u) => u.name === userName)
  if (flags.user !== undefined && !namedUser) throw new InputError(`user "${flags.user}" not found in the kubeconfig (${source})${listOf('users', parts.users)}`)
  if (userName && !namedUser && flags.token === undefined) {
    throw new InputError(`context "${contextName}" names user "${context.user}", which the kubeconfig (${source}) does not define`)
  }
  const cluster = clusterWithOverrides(named ?? { name: 'command-line', server: '', skipTLSVerify: false }, flags, ctx.cwd)
  const user = userWithOverrides(namedUser ?? { name: 'command-line' }, flags, ctx.cwd)
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ ...context, cluster: cluster.name, user: user.name }],
    currentContext: context.name,
  })
  const headers: Record<string, string> = {}
  const [group] = flags['as-group'] ?? []
  if (group !== undefined) headers['Impersonate-Group'] = group
  if (flags['as-uid'] !== undefined) headers['Impersonate-Uid'] = flags['as-uid']
  return {
    kc,
    context: loaded.inCluster ? '' : found ? contextName : '',
    server: cluster.server,
    namespace: flags.namespace ?? (context.namespace || 'default'),
    source,
    headers,
  }
}

/** What kubectl refuses in its flags before it connects. */
function checkOverrides(flags: ClusterFlagValues): void {
  if (flags['insecure-skip-tls-verify'] && flags['certificate-authority'] !== undefined) {
    throw new UsageError('--certificate-authority and --insecure-skip-tls-verify do not go together (check the server with the CA, or not at all)')
  }
  if (flags.as === undefined && (flags['as-group'] !== undefined || flags['as-uid'] !== undefined)) {
    throw new UsageError('--as-group and --as-uid impersonate with --as USER only')
  }
  // One Impersonate-Group header is all fetch can send: it joins repeated headers into one value.
  if ((flags['as-group']?.length ?? 0) > 1) throw new UsageError('--as-group: sluice impersonates one group (the flag was given more than once)')
}

/** kubectl's overrides of the cluster: --server, --certificate-authority, --insecure-skip-tls-verify, --tls-server-name. */
function clusterWithOverrides(cluster: Cluster, flags: ClusterFlagValues, cwd: string): Cluster {
  let result: { -readonly [K in keyof Cluster]: Cluster[K] } = { ...cluster }
  if (flags.server !== undefined) {
    result.server = flags.server
    // A new server drops the kubeconfig's TLS server name, as kubectl does.
    delete result.tlsServerName
  }
  if (flags['certificate-authority'] !== undefined) {
    result = { ...result, caFile: resolve(cwd, flags['certificate-authority']), skipTLSVerify: false }
    delete result.caData
  }
  if (flags['insecure-skip-tls-verify']) {
    result = { ...result, skipTLSVerify: true }
    delete result.caData
    delete result.caFile
  }
  if (flags['tls-server-name'] !== undefined) result.tlsServerName = flags['tls-server-name']
  return result
}

/** kubectl's overrides of the user: --token, --client-certificate/--client-key, --as. */
function userWithOverrides(user: User, flags: ClusterFlagValues, cwd: string): User {
  const result: { -readonly [K in keyof User]: User[K] } = { ...user }
  if (flags.token !== undefined) result.token = flags.token
  if (flags['client-certificate'] !== undefined) {
    result.certFile = resolve(cwd, flags['client-certificate'])
    delete result.certData
  }
  if (flags['client-key'] !== undefined) {
    result.keyFile = resolve(cwd, flags['client-key'])
    delete result.keyData
  }
  if (flags.as !== undefined) result.impersonateUser = flags.as
  return result
}

type KubeConfigClass = typeof KubeConfig

async function loadParts(flags: ClusterFlagValues, ctx: Pick<CliContext, 'env' | 'cwd' | 'readFile'>, KubeConfig: KubeConfigClass): Promise<{ parts: KubeConfigParts; source: string; inCluster?: boolean }> {
  if (flags.kubeconfig !== undefined) {
    const parts = await readKubeConfig(flags.kubeconfig, ctx, KubeConfig, { mustExist: true })
    return { parts: parts as KubeConfigParts, source: flags.kubeconfig }
  }
  const list = ctx.env.KUBECONFIG
  if (list) {
    const files = list.split(':').filter((f) => f !== '')
    const found: KubeConfigParts[] = []
    for (const file of files) {
      const parts = await readKubeConfig(file, ctx, KubeConfig, { mustExist: false })
      if (parts) found.push(parts)
    }
    if (found.length === 0 && flags.server === undefined) throw new InputError(`none of the kubeconfig files in KUBECONFIG exists (${files.join(', ')})`)
    return { parts: merge(found), source: files.length === 1 ? (files[0] as string) : `KUBECONFIG=${list}` }
  }
  const home = ctx.env.HOME
  if (home) {
    const file = join(home, '.kube', 'config')
    const parts = await readKubeConfig(file, ctx, KubeConfig, { mustExist: false })
    if (parts) return { parts, source: file }
  }
  const inCluster = await serviceAccountConfig(ctx)
  if (inCluster) return { parts: inCluster, source: 'in-cluster service account', inCluster: true }
  // kubectl --server URL --token T works without any kubeconfig.
  if (flags.server !== undefined) return { parts: { clusters: [], users: [], contexts: [], currentContext: '' }, source: 'the command line' }
  throw new InputError('no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config')
}

/** One kubeconfig file; `undefined` when it does not exist and need not. Relative paths in it are taken from its directory. */
async function readKubeConfig(file: string, ctx: Pick<CliContext, 'cwd' | 'readFile'>, KubeConfig: KubeConfigClass, options: { mustExist: true }): Promise<KubeConfigParts>
async function readKubeConfig(file: string, ctx: Pick<CliContext, 'cwd' | 'readFile'>, KubeConfig: KubeConfigClass, options: { mustExist: false }): Promise<KubeConfigParts | undefined>
async function readKubeConfig(file: string, ctx: Pick<CliContext, 'cwd' | 'readFile'>, KubeConfig: KubeConfigClass, options: { mustExist: boolean }): Promise<KubeConfigParts | undefined> {
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
