/** `sluice resume NAME`: undo `sluice pause`. */
import { resume } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const resumeCommand = operationCommand({
  name: 'resume',
  usage: 'NAME',
  description: `Resume a Rollout paused with sluice pause (spec.paused). A pause step is left with
sluice promote instead. Refused when the rollout is not paused.`,
  flags: {},
  examples: ['sluice resume web'],
  prepare: (_values, [name]) => ({ name: name as string, run: (api, ref) => resume(api, ref) }),
})
