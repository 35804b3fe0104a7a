/** `sluice retry NAME`: start an aborted update again from its first step. */
import { retry } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const retryCommand = operationCommand({
  name: 'retry',
  summary: 'Retry an aborted update from its first step',
  usage: 'NAME',
  description: `Retry an aborted update: the Rollout starts its steps again from the first one. Refused when
the rollout is not aborted.`,
  flags: {},
  examples: ['sluice retry web'],
  prepare: (_values, [name]) => ({ name: name as string, run: (api, ref) => retry(api, ref) }),
})
