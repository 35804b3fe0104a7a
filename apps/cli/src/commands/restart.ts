/** `sluice restart NAME`: replace the Rollout's pods (spec.restartAt). */
import { restart } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const restartCommand = operationCommand({
  name: 'restart',
  summary: 'Restart the pods of a Rollout',
  usage: 'NAME',
  description: `Restart the pods of a Rollout (spec.restartAt = now): the controller replaces them, a few at a
time, without starting an update.`,
  flags: {},
  examples: ['sluice restart web'],
  prepare: (_values, [name], ctx) => ({ name: name as string, run: (api, ref) => restart(api, ref, ctx.now()) }),
})
