/** `sluice restart NAME [--in TIME]`: replace the Rollout's pods (spec.restartAt), now or TIME from now. */
import { restart } from '@sluice/client'
import { parseDuration } from '@sluice/core'
import { UsageError } from '../cli-context.ts'
import { operationCommand } from '../operation-command.ts'

export const restartCommand = operationCommand({
  name: 'restart',
  usage: 'NAME [--in TIME]',
  description: `Restart the pods of a Rollout (spec.restartAt = now, or TIME from now with --in): the controller
replaces them, a few at a time, without starting an update.`,
  flags: { in: { type: 'string', short: 'i' } },
  flagsHelp: '  -i, --in TIME            restart TIME from now (30s, 5m, 1h) instead of now',
  examples: ['sluice restart web', 'sluice restart web --in 10m'],
  prepare: (values, [name], ctx) => {
    const text = values.in
    const delayMs = typeof text === 'string' ? parseDuration(text) : 0
    if (delayMs === undefined) throw new UsageError(`--in takes a duration such as 30s, 5m or 1h, not "${String(text)}"`)
    return { name: name as string, run: (api, ref) => restart(api, ref, new Date(ctx.now().getTime() + delayMs)) }
  },
})
