/**
 * `sluice get rollout NAME [--watch]`: the Rollout as a tree; with `--watch`, redrawn on every
 * change of the Rollout, its ReplicaSets or its pods (watches, no polling) until the update it
 * follows has settled or the Rollout is deleted. `get rollouts` lists them, as `list rollouts`.
 */
import type { KubeObject, Rollout } from '@sluice/core'
import { EXIT, UsageError } from '../cli-context.ts'
import type { CliContext } from '../cli-context.ts'
import { createPalette } from '../colors.ts'
import { outputFormat, parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'
import { connect, readRollout } from '../cluster.ts'
import type { Connection } from '../cluster.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'
import { renderObject } from '../render/objects.ts'
import { renderRolloutTree } from '../render/rollout-tree.ts'
import { outcomeOf, viewRollout } from '../rollout-view.ts'
import { selectorString, watchRollout } from '../rollout-watch.ts'
import type { RolloutObjects } from '../rollout-watch.ts'
import { listRollouts, rolloutKinds } from './list.ts'

const help = `Show a Rollout: its phase, steps, weights, routes, revisions and pods.

Usage: sluice get rollout NAME [-w [--timeout-seconds N]] [--no-color] [-o text|json|yaml] [cluster flags]
       sluice get rollouts [-A] [-o text|json|yaml] [cluster flags]   (the same as: sluice list rollouts)

The tree shows: phase and message; the strategy and the traffic routers; the current step of the
steps; the canary and stable weights (what the router carries, or, without traffic routing, the
ratio of ready pods) and the weight the steps ask for; the header and mirror routes in force;
replica counts; each revision with its ReplicaSet (ready/desired) and pods; the conditions.

Flags:
  -w, --watch           redraw on every change (driven by watches of the Rollout, its ReplicaSets
                        and pods); ends once the update it saw has settled (Healthy, Degraded or
                        aborted) or the Rollout is deleted; Ctrl-C stops it earlier
      --timeout-seconds N  (with --watch) stop watching after N seconds, exit 0
      --no-color        no colours, even on a terminal
  -o, --output FORMAT   text (default), or the Rollout object as json / yaml (with --watch: each
                        new version of it)
  -A, --all-namespaces  (get rollouts) every namespace
  -h, --help            show this help

${clusterFlagsHelp}

Exit codes: 0 ok; 1 not found, no access, cluster unreachable, bad kubeconfig; 2 usage error.

Examples:
  sluice get rollout web
  sluice get rollout web -n shop --watch
  kubectl sluice get rollout web -o yaml
`

const flags = {
  ...clusterFlags,
  watch: { type: 'boolean', short: 'w' },
  'no-color': { type: 'boolean' },
  'timeout-seconds': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'all-namespaces': { type: 'boolean', short: 'A' },
} as const

export const getCommand: Command = {
  name: 'get',
  help,
  flags,
  words: ['rollout', 'rollouts'],
  async run(argv, input) {
    const { values, positionals } = parseCommandLine(argv, flags, { what: 'the kind (rollout) and NAME', min: 1, max: 2 })
    const ctx = values['no-color'] ? { ...input, color: false } : input
    const timeoutMs = parseTimeoutSeconds(values['timeout-seconds'])
    const [kind, name] = positionals as [string, string | undefined]
    if (!rolloutKinds.includes(kind)) throw new UsageError(`sluice gets rollouts only, not "${kind}" (write: sluice get rollout NAME)`)
    const format = outputFormat(values.output, ['text', 'json', 'yaml'])
    if (name === undefined) {
      if (values.watch) throw new UsageError('--watch follows one rollout: sluice get rollout NAME --watch')
      return listRollouts(values, format, ctx)
    }
    if (values['all-namespaces']) throw new UsageError('-A, --all-namespaces lists rollouts; it does not go with a NAME')
    const conn = await connect(values, ctx)
    const rollout = await readRollout(conn, name)
    if (!values.watch) {
      if (format !== 'text') {
        ctx.stdout(renderObject(rollout, format))
        return EXIT.ok
      }
      const objects = await readOwned(conn, rollout)
      ctx.stdout(renderRolloutTree(viewRollout(rollout, objects.replicaSets, objects.pods, ctx.now()), createPalette(ctx.color)))
      return EXIT.ok
    }
    return follow(conn, rollout, format, ctx, timeoutMs)
  },
}

/** `--timeout-seconds N` (Argo's): a whole number of seconds; 0, the default, never stops. */
function parseTimeoutSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--timeout-seconds takes a whole number of seconds, not "${value}"`)
  return Number(value) === 0 ? undefined : Number(value) * 1000
}

async function readOwned(conn: Connection, rollout: Rollout): Promise<{ replicaSets: KubeObject[]; pods: KubeObject[] }> {
  const labelSelector = selectorString(rollout.spec.selector)
  const options = labelSelector ? { labelSelector } : undefined
  const [replicaSets, pods] = await conn.call(() =>
    Promise.all([
      conn.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: conn.namespace }, options),
      conn.api.list({ apiVersion: 'v1', kind: 'Pod', namespace: conn.namespace }, options),
    ]),
  )
  return { replicaSets, pods }
}

/** `--watch`: draw on every snapshot; end when the update settles or the Rollout is gone. */
export async function follow(conn: Connection, initial: Rollout, format: 'text' | 'json' | 'yaml', ctx: CliContext, timeoutMs: number | undefined): Promise<number> {
  const palette = createPalette(ctx.color)
  const name = `${conn.namespace}/${initial.metadata.name}`
  let sawUnsettled = outcomeOf(initial) === undefined
  let lastText = ''
  let lastVersion = ''
  let first = true
  let end: (() => void) | undefined
  const ended = new Promise<void>((resolve) => (end = resolve))

  const draw = (objects: RolloutObjects) => {
    const { rollout } = objects
    if (!rollout) {
      ctx.stderr(`rollout "${name}" was deleted\n`)
      end?.()
      return
    }
    if (format !== 'text') {
      if (rollout.metadata.resourceVersion !== lastVersion) ctx.stdout(`${format === 'yaml' && !first ? '---\n' : ''}${renderObject(rollout, format)}`)
      lastVersion = rollout.metadata.resourceVersion ?? ''
    } else {
      const text = renderRolloutTree(viewRollout(rollout, objects.replicaSets, objects.pods, ctx.now()), palette)
      if (ctx.interactive) {
        // Home, each line cleared to its end, then everything below: a redraw without flicker.
        ctx.stdout(`${first ? '\u001b[2J' : ''}\u001b[H${text.replace(/\n/g, '\u001b[K\n')}\u001b[J`)
      } else if (text !== lastText) {
        ctx.stdout(`${first ? '' : '\n'}${text}`)
      }
      lastText = text
    }
    first = false
    const outcome = outcomeOf(rollout)
    if (outcome === undefined) sawUnsettled = true
    else if (sawUnsettled) end?.()
  }

  const watch = watchRollout(conn.api, initial, { pods: format === 'text', onChange: draw })
  // kubectl argo rollouts get --watch --timeout-seconds N: stops after N seconds, successfully.
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => end?.(), timeoutMs)
  try {
    await Promise.race([ended, watch.done.then(() => undefined, (error: unknown) => Promise.reject(conn.describe(error)))])
  } finally {
    if (timer) clearTimeout(timer)
    watch.stop()
  }
  return EXIT.ok
}
