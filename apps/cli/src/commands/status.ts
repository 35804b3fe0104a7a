/**
 * `sluice status NAME [--timeout 10m]`: waits until the Rollout's update settles, one line per
 * change (driven by watches), and says how it ended in the exit code: 0 Healthy, 1 Degraded or
 * aborted, 2 timed out. For pipelines.
 */
import { parseDuration } from '@sluice/core'
import type { Rollout } from '@sluice/core'
import { EXIT, UsageError } from '../cli-context.ts'
import { outputFormat, parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'
import { connect, formatMs, readRollout } from '../cluster.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'
import { renderObject } from '../render/objects.ts'
import { outcomeOf, statusLine, viewRollout } from '../rollout-view.ts'
import type { Outcome } from '../rollout-view.ts'
import { watchRollout } from '../rollout-watch.ts'

const help = `Wait for a Rollout's update to settle, printing one line per change.

Usage: sluice status NAME [--timeout TIME] [-o text|json|yaml] [cluster flags]

Each line: phase - message (step, weight, canary and stable pods), printed when it changes; the
changes come from watches of the Rollout and its ReplicaSets. It ends when the controller has taken
the latest spec and the rollout is Healthy (exit 0), Degraded (exit 1; an abort counts once the
controller has acted on it), or at the timeout (exit 2). A paused rollout is waited for: promote
it from elsewhere.

Flags:
      --timeout TIME    give up after TIME (30s, 10m, 1h); default: wait as long as it takes
  -o, --output FORMAT   text (default); json / yaml: the lines go to standard error and the
                        Rollout as it was last seen is printed at the end
  -h, --help            show this help

${clusterFlagsHelp}

Exit codes: 0 Healthy; 1 Degraded or aborted, deleted, not found, no access, cluster unreachable,
bad kubeconfig; 2 timed out, or a usage error.

Examples:
  sluice set image web web=web:2 && sluice status web --timeout 10m
  kubectl sluice status web -n shop -o json | jq .status.phase
`

const flags = {
  ...clusterFlags,
  timeout: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const

const EXIT_OF: Record<Outcome, number> = { Healthy: EXIT.ok, Degraded: EXIT.invalid, Aborted: EXIT.invalid }

export const statusCommand: Command = {
  name: 'status',
  summary: 'Wait for a Rollout to settle: exit 0 Healthy, 1 Degraded/aborted, 2 timeout',
  help,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(argv, flags, { what: 'NAME', min: 1, max: 1 })
    const name = positionals[0] as string
    const format = outputFormat(values.output, ['text', 'json', 'yaml'])
    const timeoutMs = parseTimeout(values.timeout)
    const conn = await connect(values, ctx)
    const initial = await readRollout(conn, name)
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

function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0) throw new UsageError(`--timeout takes a duration such as 30s, 10m or 1h, not "${value}"`)
  return ms
}
