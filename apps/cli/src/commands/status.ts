/**
 * `sluice status NAME [--timeout 10m]`: waits until the Rollout's update settles, one line per
 * change (driven by watches), and says how it ended in the exit code: 0 Healthy, 1 Degraded,
 * aborted or timed out, as kubectl argo rollouts status. `--watch=false` prints the status once:
 * exit 1 only when it is Degraded or aborted. For pipelines.
 */
import { parseDuration } from '@sluice/core'
import type { Rollout } from '@sluice/core'
import { EXIT, UsageError } from '../cli-context.ts'
import { outputFormat, parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'
import { connect, formatMs, readRollout } from '../cluster.ts'
import type { Connection } from '../cluster.ts'
import type { CliContext } from '../cli-context.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'
import { renderObject } from '../render/objects.ts'
import { outcomeOf, statusLine, viewRollout } from '../rollout-view.ts'
import type { Outcome } from '../rollout-view.ts'
import { selectorString, watchRollout } from '../rollout-watch.ts'

const help = `Wait for a Rollout's update to settle, printing one line per change.

Usage: sluice status NAME [--timeout TIME] [--watch=false] [-o text|json|yaml] [cluster flags]

Each line: phase - message (step, weight, canary and stable pods), printed when it changes; the
changes come from watches of the Rollout and its ReplicaSets. It ends when the controller has taken
the latest spec and the rollout is Healthy (exit 0), Degraded (exit 1; an abort counts once the
controller has acted on it), or at the timeout (exit 1). A paused rollout is waited for: promote
it from elsewhere.

Flags:
  -t, --timeout TIME    give up after TIME (30s, 10m, 1h); default, or 0: wait as long as it takes
  -w, --watch           wait for the rollout to settle (the default); --watch=false prints the
                        status line once: exit 1 when Degraded or aborted, else 0
  -o, --output FORMAT   text (default); json / yaml: the lines go to standard error and the
                        Rollout as it was last seen is printed at the end
  -h, --help            show this help

${clusterFlagsHelp}

Exit codes: 0 Healthy (--watch=false: anything but Degraded or aborted); 1 Degraded or aborted,
timed out, deleted, not found, no access, cluster unreachable, bad kubeconfig, a usage error.

Examples:
  sluice set image web web=web:2 && sluice status web --timeout 10m
  kubectl sluice status web -n shop -o json | jq .status.phase
`

const flags = {
  ...clusterFlags,
  timeout: { type: 'string', short: 't' },
  watch: { type: 'boolean', short: 'w' },
  output: { type: 'string', short: 'o' },
} as const

const EXIT_OF: Record<Outcome, number> = { Healthy: EXIT.ok, Degraded: EXIT.invalid, Aborted: EXIT.invalid }

export const statusCommand: Command = {
  name: 'status',
  help,
  flags,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(argv, flags, { what: 'NAME', min: 1, max: 1 })
    const name = positionals[0] as string
    const format = outputFormat(values.output, ['text', 'json', 'yaml'])
    const timeoutMs = parseTimeout(values.timeout)
    const conn = await connect(values, ctx)
    const initial = await readRollout(conn, name)
    if (values.watch === false) return statusOnce(conn, initial, format, ctx)
    const say = (line: string) => (format === 'text' ? ctx.stdout : ctx.stderr)(`${line}\n`)

    let last: Rollout = initial
    let lastLine = ''
    let finish: (code: number) => void = () => {}
    const finished = new Promise<number>((resolve) => (finish = resolve))
    const watch = watchRollout(conn.api, initial, {
      pods: false,
      onChange({ rollout, replicaSets }) {
        if (!rollout) {
          say(`rollout "${conn.namespace}/${name}" was deleted`)
          finish(EXIT.invalid)
          return
        }
        last = rollout
        const line = statusLine(viewRollout(rollout, replicaSets, [], ctx.now()))
        if (line !== lastLine) say(line)
        lastLine = line
        const outcome = outcomeOf(rollout)
        if (outcome) finish(EXIT_OF[outcome])
      },
    })
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            say(`timed out after ${formatMs(timeoutMs)} waiting for rollout "${conn.namespace}/${name}" to settle`)
            finish(EXIT.timeout)
          }, timeoutMs)
    try {
      const code = await Promise.race([finished, watch.done.then(() => EXIT.ok, (error: unknown) => Promise.reject(conn.describe(error)))])
      if (format !== 'text') ctx.stdout(renderObject(last, format))
      return code
    } finally {
      if (timer) clearTimeout(timer)
      watch.stop()
    }
  },
}

/** `--watch=false`: the status line of the Rollout as it is now; exit 1 only when it has failed. */
async function statusOnce(conn: Connection, rollout: Rollout, format: 'text' | 'json' | 'yaml', ctx: CliContext): Promise<number> {
  const labelSelector = selectorString(rollout.spec.selector)
  const replicaSets = await conn.call(() => conn.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: conn.namespace }, labelSelector ? { labelSelector } : undefined))
  const line = statusLine(viewRollout(rollout, replicaSets, [], ctx.now()))
  if (format === 'text') ctx.stdout(`${line}\n`)
  else ctx.stdout(renderObject(rollout, format))
  // As the reference: the phase as it stands, even before the controller has seen the latest spec.
  return rollout.status?.phase === 'Degraded' ? EXIT.invalid : EXIT.ok
}

/** `--timeout`: undefined waits for ever (also `0`, as kubectl argo rollouts takes it). */
function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDuration(value)
  if (ms === undefined || (ms === 0 && !/^0+(s|m|h)?$/.test(value))) throw new UsageError(`--timeout takes a duration such as 30s, 10m or 1h (0: no timeout), not "${value}"`)
  return ms === 0 ? undefined : ms
}
