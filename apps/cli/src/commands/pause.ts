/** `sluice pause NAME`: hold the Rollout where it is (spec.paused). */
import { pause } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const pauseCommand = operationCommand({
  name: 'pause',
  usage: 'NAME',
  description: `Pause a Rollout (spec.paused): it holds its current step until resumed (sluice resume) or
promoted. Refused when it is already paused.`,
  flags: {},
  examples: ['sluice pause web'],
  prepare: (_values, [name]) => ({ name: name as string, run: (api, ref) => pause(api, ref) }),
})
