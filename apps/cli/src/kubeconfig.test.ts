import { describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { InputError, UsageError } from './cli-context.ts'
import { resolveKubeConfig } from './kubeconfig.ts'
import type { ClusterFlagValues } from './kubeconfig.ts'

/** A kubeconfig with one context per entry: name → { server, namespace?, user? }. */
function kubeconfig(contexts: Record<string, { server: string; namespace?: string; user?: string }>, current?: string, extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: Object.entries(contexts).map(([name, c]) => ({ name: `${name}-cluster`, cluster: { server: c.server } })),
    users: Object.keys(contexts).map((name) => ({ name: `${name}-user`, user: { token: `token-${name}` } })),
    contexts: Object.entries(contexts).map(([name, c]) => ({ name, context: { cluster: `${name}-cluster`, user: c.user ?? `${name}-user`, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
    ...(current ? { 'current-context': current } : {}),
    ...extra,
  })
}

function resolve(flags: ClusterFlagValues, files: Record<string, string>, env: Record<string, string> = {}) {
  return resolveKubeConfig(flags, {
    env,
    cwd: '/work',
    readFile: async (path) => {
      const text = files[path]
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
      return text
    },
  })
}

const a = kubeconfig({ alpha: { server: 'https://alpha:6443', namespace: 'shop' }, beta: { server: 'https://beta:6443' } }, 'alpha')

describe('resolveKubeConfig: as kubectl', () => {
  it('takes --kubeconfig, its current context and the context namespace', async () => {
    const r = await resolve({ kubeconfig: '/k/a' }, { '/k/a': a })
    expect([r.context, r.server, r.namespace, r.source]).toEqual(['alpha', 'https://alpha:6443', 'shop', '/k/a'])
    expect(r.kc.getCurrentUser()?.token).toBe('token-alpha')
  })

  it('lets --context and -n override, and falls back to "default"', async () => {
    expect((await resolve({ kubeconfig: '/k/a', namespace: 'ops' }, { '/k/a': a })).namespace).toBe('ops')
    const beta = await resolve({ kubeconfig: '/k/a', context: 'beta' }, { '/k/a': a })
    expect([beta.context, beta.server, beta.namespace]).toEqual(['beta', 'https://beta:6443', 'default'])
    expect(beta.kc.getCurrentCluster()?.server).toBe('https://beta:6443')
  })

  it('merges the files of KUBECONFIG: the first to define a name or a current-context wins, missing files are skipped', async () => {
    const first = kubeconfig({ alpha: { server: 'https://first:6443' } })
    const pointer = stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'beta' })
    const files = { '/k/first': first, '/k/pointer': pointer, '/k/a': a }
    const r = await resolve({}, files, { KUBECONFIG: '/k/pointer:/k/missing:/k/first:/k/a' })
    expect([r.context, r.server, r.source]).toEqual(['beta', 'https://beta:6443', 'KUBECONFIG=/k/pointer:/k/missing:/k/first:/k/a'])
    const alpha = await resolve({ context: 'alpha' }, files, { KUBECONFIG: '/k/pointer:/k/first:/k/a' })
    expect([alpha.server, alpha.namespace]).toEqual(['https://first:6443', 'default'])
  })

  it('prefers --kubeconfig to KUBECONFIG, and KUBECONFIG to ~/.kube/config', async () => {
    const home = kubeconfig({ home: { server: 'https://home:6443' } }, 'home')
    const files = { '/k/a': a, '/root/.kube/config': home }
    expect((await resolve({ kubeconfig: '/k/a' }, files, { KUBECONFIG: '/root/.kube/config' })).context).toBe('alpha')
    expect((await resolve({}, files, { KUBECONFIG: '/k/a', HOME: '/root' })).context).toBe('alpha')
    expect((await resolve({}, files, { HOME: '/root' })).context).toBe('home')
  })

  it('uses the service account inside a pod', async () => {
    const dir = '/var/run/secrets/kubernetes.io/serviceaccount'
    const r = await resolve({}, { [`${dir}/token`]: 'sa-token\n', [`${dir}/namespace`]: 'shop' }, { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' })
    expect([r.context, r.server, r.namespace, r.source]).toEqual(['', 'https://10.0.0.1:443', 'shop', 'in-cluster service account'])
    expect(r.kc.getCurrentUser()?.token).toBe('sa-token')
    expect(r.kc.getCurrentCluster()?.caFile).toBe(`${dir}/ca.crt`)
  })

  it('reads relative certificate paths from the kubeconfig file’s directory', async () => {
    const text = stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://c:6443', 'certificate-authority': 'ca.crt' } }],
      users: [{ name: 'u', user: { 'client-certificate': 'pki/me.crt', 'client-key': '/abs/me.key' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    })
    const r = await resolve({ kubeconfig: 'conf/kc.yaml' }, { 'conf/kc.yaml': text })
    expect(r.kc.getCurrentCluster()?.caFile).toBe('/work/conf/ca.crt')
    expect(r.kc.getCurrentUser()?.certFile).toBe('/work/conf/pki/me.crt')
    expect(r.kc.getCurrentUser()?.keyFile).toBe('/abs/me.key')
  })

  it.each([
    [{ kubeconfig: '/k/none' }, {}, {}, 'cannot read the kubeconfig /k/none: no such file'],
    [{}, {}, { KUBECONFIG: '/k/x:/k/y' }, 'none of the kubeconfig files in KUBECONFIG exists (/k/x, /k/y)'],
    [{}, {}, { HOME: '/root' }, 'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config'],
    [{ kubeconfig: '/k/a', context: 'gamma' }, { '/k/a': a }, {}, 'context "gamma" not found in the kubeconfig (/k/a) (contexts: alpha, beta)'],
    [{ kubeconfig: '/k/b' }, { '/k/b': kubeconfig({ alpha: { server: 'https://a' } }) }, {}, 'the kubeconfig (/k/b) sets no current-context: pass --context (contexts: alpha)'],
    [{ kubeconfig: '/k/c' }, { '/k/c': kubeconfig({ alpha: { server: '' } }, 'alpha') }, {}, 'context "alpha" names cluster "alpha-cluster", which the kubeconfig (/k/c) does not define, or defines without a server'],
    [{ kubeconfig: '/k/d' }, { '/k/d': kubeconfig({ alpha: { server: 'https://a', user: 'ghost' } }, 'alpha') }, {}, 'context "alpha" names user "ghost", which the kubeconfig (/k/d) does not define'],
    [{ kubeconfig: '/k/e' }, { '/k/e': 'clusters: [\n' }, {}, /^the kubeconfig \/k\/e is not valid YAML: /],
    [{ kubeconfig: '/k/f' }, { '/k/f': '- just\n- a list\n' }, {}, 'the kubeconfig /k/f is not a kubeconfig (a YAML mapping of clusters, contexts and users)'],
    [{ kubeconfig: '/k/g' }, { '/k/g': '' }, {}, 'the kubeconfig (/k/g) sets no current-context: pass --context (it defines no contexts)'],
  ] as const)('%j → one line: %s', async (flags, files, env, message) => {
    const failure = await resolve(flags, files as Record<string, string>, env as Record<string, string>).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(InputError)
    if (typeof message === 'string') expect((failure as Error).message).toBe(message)
    else expect((failure as Error).message).toMatch(message)
    expect((failure as Error).message).not.toContain('\n')
  })

  it('refuses empty flag values as usage errors', async () => {
    await expect(resolve({ kubeconfig: '' }, {})).rejects.toThrow(UsageError)
    await expect(resolve({ kubeconfig: '/k/a', namespace: '' }, { '/k/a': a })).rejects.toThrow('flag -n, --namespace needs a name')
  })
})

describe("resolveKubeConfig: kubectl's override flags", () => {
  const withCa = kubeconfig({ alpha: { server: 'https://alpha:6443' } }, 'alpha', {
    clusters: [
      { name: 'alpha-cluster', cluster: { server: 'https://alpha:6443', 'certificate-authority-data': 'Q0E=', 'tls-server-name': 'alpha.internal' } },
      { name: 'other', cluster: { server: 'https://other:6443' } },
    ],
    users: [
      { name: 'alpha-user', user: { token: 'token-alpha' } },
      { name: 'admin', user: { token: 'token-admin' } },
    ],
  })

  it('--server and --token need no kubeconfig at all', async () => {
    const r = await resolve({ server: 'https://10.0.0.1:6443', token: 't0' }, {}, { HOME: '/home/none' })
    expect([r.context, r.server, r.namespace, r.source]).toEqual(['', 'https://10.0.0.1:6443', 'default', 'the command line'])
    expect(r.kc.getCurrentUser()?.token).toBe('t0')
  })

  it('--server replaces the cluster URL and drops its TLS server name; --tls-server-name sets one', async () => {
    let r = await resolve({ kubeconfig: '/k', server: 'https://lb:443' }, { '/k': withCa })
    expect([r.server, r.kc.getCurrentCluster()?.tlsServerName, r.kc.getCurrentCluster()?.caData]).toEqual(['https://lb:443', undefined, 'Q0E='])
    r = await resolve({ kubeconfig: '/k', server: 'https://lb:443', 'tls-server-name': 'api' }, { '/k': withCa })
    expect(r.kc.getCurrentCluster()?.tlsServerName).toBe('api')
  })

  it('--certificate-authority replaces the CA; --insecure-skip-tls-verify drops it', async () => {
    let r = await resolve({ kubeconfig: '/k', 'certificate-authority': 'ca.pem' }, { '/k': withCa })
    expect([r.kc.getCurrentCluster()?.caFile, r.kc.getCurrentCluster()?.caData, r.kc.getCurrentCluster()?.skipTLSVerify]).toEqual(['/work/ca.pem', undefined, false])
    r = await resolve({ kubeconfig: '/k', 'insecure-skip-tls-verify': true }, { '/k': withCa })
    expect([r.kc.getCurrentCluster()?.caData, r.kc.getCurrentCluster()?.skipTLSVerify]).toEqual([undefined, true])
  })

  it('--cluster and --user replace the context’s, and must exist', async () => {
    const r = await resolve({ kubeconfig: '/k', cluster: 'other', user: 'admin' }, { '/k': withCa })
    expect([r.context, r.server, r.kc.getCurrentUser()?.token]).toEqual(['alpha', 'https://other:6443', 'token-admin'])
    await expect(resolve({ kubeconfig: '/k', cluster: 'gone' }, { '/k': withCa })).rejects.toThrow(new InputError('cluster "gone" not found in the kubeconfig (/k) (clusters: alpha-cluster, other)'))
    await expect(resolve({ kubeconfig: '/k', user: 'gone' }, { '/k': withCa })).rejects.toThrow(new InputError('user "gone" not found in the kubeconfig (/k) (users: alpha-user, admin)'))
  })

  it('--token replaces the user’s token; --as impersonates, with --as-group and --as-uid as headers', async () => {
    const r = await resolve({ kubeconfig: '/k', token: 't1', as: 'jane', 'as-group': ['devs'], 'as-uid': '42' }, { '/k': withCa })
    expect([r.kc.getCurrentUser()?.token, r.kc.getCurrentUser()?.impersonateUser]).toEqual(['t1', 'jane'])
    expect(r.headers).toEqual({ 'Impersonate-Group': 'devs', 'Impersonate-Uid': '42' })
  })

  it('refuses what kubectl refuses', async () => {
    await expect(resolve({ kubeconfig: '/k', 'as-group': ['devs'] }, { '/k': withCa })).rejects.toThrow(UsageError)
    await expect(resolve({ kubeconfig: '/k', 'insecure-skip-tls-verify': true, 'certificate-authority': 'ca.pem' }, { '/k': withCa })).rejects.toThrow(UsageError)
    await expect(resolve({ kubeconfig: '/k', as: 'x', 'as-group': ['a', 'b'] }, { '/k': withCa })).rejects.toThrow(/one group/)
  })
})
