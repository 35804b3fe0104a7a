/** `sluice pause NAME...`: hold the Rollout where it is (spec.paused); several names, one after the other, as Argo's. */
import { pause } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const pauseCommand = operationCommand({
  name: 'pause',
  usage: 'NAME...',
  description: `Pause a Rollout (spec.paused): it holds its current step until resumed (sluice resume) or
promoted. Refused when it is already paused.`,
  flags: {},
  args: { what: 'NAME', min: 1, max: Number.POSITIVE_INFINITY },
  examples: ['sluice pause web', 'sluice pause web api'],
  prepare: (_values, names) => ({ name: names, run: (api, ref) => pause(api, ref) }),
})
