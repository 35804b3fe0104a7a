/**
 * `sluice list rollouts [-A]`: one line per Rollout with its phase, step, weights, readiness, age.
 */
import type { KubeObject, Rollout } from '@sluice/core'
import { EXIT, UsageError } from '../cli-context.ts'
import type { CliContext } from '../cli-context.ts'
import { createPalette } from '../colors.ts'
import { outputFormat, parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'
import { connect } from '../cluster.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'
import type { ClusterFlagValues } from '../kubeconfig.ts'
import { renderList } from '../render/objects.ts'
import { renderRolloutList } from '../render/rollout-list.ts'
import { viewRollout } from '../rollout-view.ts'

/** The ways to say "rollouts" on the command line (kubectl's plural, singular and short name). */
export const rolloutKinds: readonly string[] = ['rollouts', 'rollout', 'ro', 'rollouts.argoproj.io']

const help = `List Rollouts.

Usage: sluice list [rollouts] [-A] [-o text|json|yaml] [cluster flags]
       (also: sluice get rollouts, sluice list rollout, sluice list ro)

Columns: NAME, PHASE, STEP (current step / number of steps, "aborted" after an abort), SET-WEIGHT
(what the current step asks for, during an update), WEIGHT (what the traffic router carries, or
"(pods)": the ratio of ready canary pods without traffic routing), READY (ready pods / desired), AGE.

Flags:
  -A, --all-namespaces  every namespace (adds a NAMESPACE column)
  -o, --output FORMAT   text (default), or the Rollout objects as a json / yaml List
  -h, --help            show this help

${clusterFlagsHelp}

Exit codes: 0 ok (also when there is none); 1 no access, cluster unreachable, bad kubeconfig; 2 usage error.
`

const flags = {
  ...clusterFlags,
  output: { type: 'string', short: 'o' },
  'all-namespaces': { type: 'boolean', short: 'A' },
} as const

export const listCommand: Command = {
  name: 'list',
  summary: 'List Rollouts: phase, step, weights, ready pods, age (-A: all namespaces)',
  help,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(argv, flags, { what: 'the kind (rollouts)', min: 0, max: 1 })
    const kind = positionals[0] ?? 'rollouts'
    if (!rolloutKinds.includes(kind)) throw new UsageError(`sluice lists rollouts only, not "${kind}"`)
    return listRollouts(values, outputFormat(values.output, ['text', 'json', 'yaml']), ctx)
  },
}

export async function listRollouts(values: ClusterFlagValues & { 'all-namespaces'?: boolean | undefined }, format: 'text' | 'json' | 'yaml', ctx: CliContext): Promise<number> {
  const all = values['all-namespaces'] === true
  if (all && values.namespace !== undefined) throw new UsageError('-A, --all-namespaces and -n, --namespace do not go together')
  const conn = await connect(values, ctx)
  const namespace = all ? undefined : conn.namespace
  const scope = namespace === undefined ? {} : { namespace }
  const [rollouts, replicaSets] = await conn.call(() =>
    Promise.all([
      conn.api.list<Rollout>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', ...scope }),
      conn.api.list<KubeObject>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', ...scope }),
    ]),
  )
  rollouts.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
  if (format !== 'text') {
    ctx.stdout(renderList(rollouts, format))
    return EXIT.ok
  }
  if (rollouts.length === 0) {
    ctx.stderr(all ? 'No rollouts found.\n' : `No rollouts found in namespace ${conn.namespace}.\n`)
    return EXIT.ok
  }
  const now = ctx.now()
  const views = rollouts.map((r) => viewRollout(r, replicaSets.filter((rs) => rs.metadata.namespace === r.metadata.namespace), [], now))
  ctx.stdout(renderRolloutList(views, { allNamespaces: all, palette: createPalette(ctx.color) }))
  return EXIT.ok
}
