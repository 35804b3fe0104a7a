/**
 * `sluice list rollouts [-A] [--name NAME] [--watch] [--timestamps]`: one line per Rollout with its
 * phase, step, weights, readiness, age; with `--watch`, a new line whenever a row changes (watches
 * of the Rollouts and their ReplicaSets, no polling), until interrupted, as Argo's `list --watch`.
 */
import type { KubeObject, Rollout } from '@sluice/core'
import { isResourceExpired } from '@sluice/kube'
import type { KindRef } from '@sluice/kube'
import { EXIT, UsageError } from '../cli-context.ts'
import type { CliContext } from '../cli-context.ts'
import { createPalette } from '../colors.ts'
import { outputFormat, parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'
import { connect } from '../cluster.ts'
import type { Connection } from '../cluster.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'
import type { ClusterFlagValues } from '../kubeconfig.ts'
import { renderList } from '../render/objects.ts'
import { rolloutListLines, rolloutRowKey } from '../render/rollout-list.ts'
import { viewRollout } from '../rollout-view.ts'

/** The ways to say "rollouts" on the command line (kubectl's plural, singular and short name). */
export const rolloutKinds: readonly string[] = ['rollouts', 'rollout', 'ro', 'rollouts.argoproj.io']

const help = `List Rollouts.

Usage: sluice list [rollouts] [-A] [--name NAME] [-w] [--timestamps] [-o text|json|yaml] [cluster flags]
       (also: sluice get rollouts, sluice list rollout, sluice list ro)

Columns: NAME, PHASE, STEP (current step / number of steps, "aborted" after an abort), SET-WEIGHT
(what the current step asks for, during an update), WEIGHT (what the traffic router carries, or
"(pods)": the ratio of ready canary pods without traffic routing), READY (ready pods / desired), AGE.

Flags:
  -A, --all-namespaces  every namespace (adds a NAMESPACE column)
      --name NAME       only the Rollout called NAME
  -w, --watch           after the table, a new line whenever a row changes (driven by watches);
                        runs until interrupted (Ctrl-C)
      --timestamps      a first TIMESTAMP column: when the line was printed (UTC)
  -o, --output FORMAT   text (default), or the Rollout objects as a json / yaml List
  -h, --help            show this help

${clusterFlagsHelp}

Exit codes: 0 ok (also when there is none); 1 no access, cluster unreachable, bad kubeconfig, usage error.
`

const flags = {
  ...clusterFlags,
  output: { type: 'string', short: 'o' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  name: { type: 'string' },
  watch: { type: 'boolean', short: 'w' },
  timestamps: { type: 'boolean' },
} as const

export const listCommand: Command = {
  name: 'list',
  help,
  flags,
  words: ['rollouts'],
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(argv, flags, { what: 'the kind (rollouts)', min: 0, max: 1 })
    const kind = positionals[0] ?? 'rollouts'
    if (!rolloutKinds.includes(kind)) throw new UsageError(`sluice lists rollouts only, not "${kind}"`)
    return listRollouts(values, outputFormat(values.output, ['text', 'json', 'yaml']), ctx)
  },
}

export interface ListOptions extends ClusterFlagValues {
  'all-namespaces'?: boolean | undefined
  name?: string | undefined
  watch?: boolean | undefined
  timestamps?: boolean | undefined
}

const ROLLOUTS = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' }
const REPLICA_SETS = { apiVersion: 'apps/v1', kind: 'ReplicaSet' }

export async function listRollouts(values: ListOptions, format: 'text' | 'json' | 'yaml', ctx: CliContext): Promise<number> {
  const all = values['all-namespaces'] === true
  if (all && values.namespace !== undefined) throw new UsageError('-A, --all-namespaces and -n, --namespace do not go together')
  if (values.name === '') throw new UsageError('flag --name needs a name')
  if (values.watch && format !== 'text') throw new UsageError('--watch prints lines of the table: it does not go with -o json or yaml')
  const conn = await connect(values, ctx)
  const namespace = all ? undefined : conn.namespace
  const scope = namespace === undefined ? {} : { namespace }
  const wanted = (r: KubeObject) => values.name === undefined || r.metadata.name === values.name
  const [rolloutPage, replicaSetPage] = await conn.call(() => Promise.all([conn.api.listPage<Rollout>({ ...ROLLOUTS, ...scope }), conn.api.listPage({ ...REPLICA_SETS, ...scope })]))
  const rollouts = rolloutPage.items.filter(wanted)
  if (format !== 'text') {
    ctx.stdout(renderList(sortRollouts(rollouts), format))
    return EXIT.ok
  }
  const table = new ListTable(all, values.timestamps === true, ctx)
  for (const r of rollouts) table.rollouts.set(keyOf(r), r)
  for (const rs of replicaSetPage.items) table.replicaSets.set(keyOf(rs), rs)
  if (rollouts.length === 0 && !values.watch) {
    ctx.stderr(all ? 'No rollouts found.\n' : `No rollouts found in namespace ${conn.namespace}.\n`)
    return EXIT.ok
  }
  table.printAll()
  if (!values.watch) return EXIT.ok
  await followList(conn, scope, { rollouts: rolloutPage.resourceVersion, replicaSets: replicaSetPage.resourceVersion }, table, wanted)
  return EXIT.ok
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`
const sortRollouts = (rollouts: Rollout[]) =>
  [...rollouts].sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))

/** The rows as last printed, and the objects they are computed from. */
class ListTable {
  readonly rollouts = new Map<string, Rollout>()
  readonly replicaSets = new Map<string, KubeObject>()
  readonly #printed = new Map<string, string>()
  #headerPrinted = false
  readonly #all: boolean
  readonly #timestamps: boolean
  readonly #ctx: CliContext

  constructor(all: boolean, timestamps: boolean, ctx: CliContext) {
    this.#all = all
    this.#timestamps = timestamps
    this.#ctx = ctx
  }

  #lines(): { keys: string[]; lines: string[]; rowKeys: string[] } {
    const now = this.#ctx.now()
    const rollouts = sortRollouts([...this.rollouts.values()])
    const replicaSets = [...this.replicaSets.values()]
    const views = rollouts.map((r) => viewRollout(r, replicaSets.filter((rs) => rs.metadata.namespace === r.metadata.namespace), [], now))
    const timestamp = this.#timestamps ? `${now.toISOString().slice(0, 19)}Z` : undefined
    const lines = rolloutListLines(views, { allNamespaces: this.#all, palette: createPalette(this.#ctx.color), timestamp })
    return { keys: rollouts.map(keyOf), lines, rowKeys: views.map(rolloutRowKey) }
  }

  printAll(): void {
    const { keys, lines, rowKeys } = this.#lines()
    if (keys.length === 0) return
    this.#ctx.stdout(`${lines.join('\n')}\n`)
    this.#headerPrinted = true
    keys.forEach((k, i) => this.#printed.set(k, rowKeys[i] as string))
  }

  /** Prints the rows that changed since they were last printed (the header first, once). */
  printChanges(): void {
    if (!this.#headerPrinted) return this.printAll()
    const { keys, lines, rowKeys } = this.#lines()
    keys.forEach((k, i) => {
      if (this.#printed.get(k) === rowKeys[i]) return
      this.#printed.set(k, rowKeys[i] as string)
      this.#ctx.stdout(`${lines[i + 1]}\n`)
    })
  }
}

/**
 * Watches the Rollouts and ReplicaSets from the versions listed until interrupted: a watch the
 * server closes is reopened from the last version seen; one whose version has expired (410 Gone)
 * starts again from a fresh list.
 */
async function followList(conn: Connection, scope: { namespace?: string }, versions: { rollouts: string; replicaSets: string }, table: ListTable, wanted: (r: KubeObject) => boolean): Promise<never> {
  const follow = async <T extends KubeObject>(ref: KindRef, from: string, store: Map<string, T>, keep: (o: KubeObject) => boolean): Promise<never> => {
    let resourceVersion = from
    for (;;) {
      try {
        const handle = await conn.api.watch<T>(ref, { resourceVersion }, (event) => {
          if (event.type === 'BOOKMARK') {
            resourceVersion = event.resourceVersion
            return
          }
          resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion
          if (!keep(event.object)) return
          if (event.type === 'DELETED') store.delete(keyOf(event.object))
          else store.set(keyOf(event.object), event.object)
          table.printChanges()
        })
        await handle.done
      } catch (error) {
        if (!isResourceExpired(error)) throw error
        const page = await conn.api.listPage<T>(ref)
        store.clear()
        for (const o of page.items) if (keep(o)) store.set(keyOf(o), o)
        resourceVersion = page.resourceVersion
        table.printChanges()
      }
    }
  }
  try {
    return await Promise.race([
      follow({ ...ROLLOUTS, ...scope }, versions.rollouts, table.rollouts, wanted),
      follow({ ...REPLICA_SETS, ...scope }, versions.replicaSets, table.replicaSets, () => true),
    ])
  } catch (error) {
    throw conn.describe(error)
  }
}
