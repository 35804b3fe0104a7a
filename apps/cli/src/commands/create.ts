/**
 * `sluice create -f FILE...`: creates the objects of the files on the cluster, Services and every
 * other object before the Rollouts that reference them, so that the controller finds them when it
 * first sees the Rollout. `--watch` then follows the Rollout as `get rollout --watch` does. The
 * flags are kubectl argo rollouts create's.
 */
import { KubeApiError } from '@sluice/core'
import type { KubeObject, Rollout } from '@sluice/core'
import { EXIT, InputError, UsageError } from '../cli-context.ts'
import { parseFlags } from '../command.ts'
import type { Command } from '../command.ts'
import { connect, readRollout } from '../cluster.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'
import { parseKubeObjects } from '../manifest.ts'
import { follow } from './get.ts'

const help = `Create a Rollout and the objects it references (Services, mesh objects, ...) from files.

Usage: sluice create -f FILE [-f FILE...] [-w] [--no-color] [cluster flags]

Each FILE is a YAML stream (or JSON) of Kubernetes objects ("-" reads standard input). Namespaces are
created first, then every other object in file order, then the Rollouts: the Services and mesh objects
a Rollout names exist when the controller first sees it. An object without a namespace goes to the
namespace of -n (else the context's). Creation stops at the first object that fails (one that exists
already, say); the ones before it stay created, and were reported.

Flags:
  -f, --filename FILE   a file of objects (required; repeat it for more files)
  -w, --watch           then follow the Rollout as sluice get rollout NAME --watch (one Rollout only)
      --no-color        no colours in what --watch draws
  -h, --help            show this help

${clusterFlagsHelp}

Exit codes: 0 created; 1 a file cannot be read, an object exists already or is refused, no access,
cluster unreachable, bad kubeconfig, usage error.

Examples:
  sluice create -f rollout.yaml
  sluice create -f services.yaml -f rollout.yaml -n shop --watch
`

const flags = {
  ...clusterFlags,
  filename: { type: 'string', short: 'f', multiple: true },
  watch: { type: 'boolean', short: 'w' },
  'no-color': { type: 'boolean' },
} as const

/** Namespaces first, then the rest in order, then the Rollouts. */
export function creationOrder(objects: readonly KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject) => (o.kind === 'Namespace' ? 0 : o.kind === 'Rollout' && o.apiVersion.startsWith('argoproj.io/') ? 2 : 1)
  return objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map(({ o }) => o)
}

/** kubectl's way to name what it created: `service/web`, `rollout.argoproj.io/web`. */
export function createdName(object: KubeObject): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : ''
  return `${object.kind.toLowerCase()}${group ? `.${group}` : ''}/${object.metadata.name}`
}

export const createCommand: Command = {
  name: 'create',
  help,
  flags,
  async run(argv, input) {
    const values = parseFlags(argv, flags)
    const files = values.filename ?? []
    if (files.length === 0 || files.includes('')) throw new UsageError('flag -f, --filename is required')
    const ctx = values['no-color'] ? { ...input, color: false } : input
    const objects: KubeObject[] = []
    for (const file of files) {
      let text: string
      try {
        text = await ctx.readFile(file)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        throw new InputError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
      }
      objects.push(...parseKubeObjects(text, file))
    }
    if (objects.length === 0) throw new InputError(`${files.join(', ')}: no objects to create`)
    const rollouts = objects.filter((o) => o.kind === 'Rollout')
    if (values.watch && rollouts.length !== 1) throw new UsageError(`--watch follows one Rollout; the files hold ${rollouts.length}`)
    const conn = await connect(values, ctx)
    for (const object of creationOrder(objects)) {
      const namespaced = object.kind === 'Namespace' ? {} : { namespace: object.metadata.namespace ?? conn.namespace }
      const body = { ...object, metadata: { ...object.metadata, ...namespaced } }
      try {
        await conn.api.create(body)
      } catch (error) {
        if (error instanceof KubeApiError && error.reason === 'AlreadyExists') {
          throw new InputError(`${createdName(object)}${namespaced.namespace ? ` in namespace ${namespaced.namespace}` : ''} already exists`, [], { cause: error })
        }
        throw conn.describe(error)
      }
      ctx.stdout(`${createdName(object)} created\n`)
    }
    if (!values.watch) return EXIT.ok
    const [only] = rollouts as [Rollout]
    const watched = { ...conn, namespace: only.metadata.namespace ?? conn.namespace }
    return follow(watched, await readRollout(watched, only.metadata.name ?? ''), 'text', ctx, undefined)
  },
}
