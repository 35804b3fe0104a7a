/** `sluice promote NAME [--full]`: past the current pause or step; `--full` skips every step left. */
import { promote } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const promoteCommand = operationCommand({
  name: 'promote',
  usage: 'NAME [--full]',
  description: `Promote a Rollout: leave the pause it waits in, or go on past the current step (as
kubectl argo rollouts promote). With --full, skip every remaining step and pause and take the new
revision to all pods at once. Refused when the rollout is not in the middle of an update, or aborted.`,
  flags: { full: { type: 'boolean' } },
  flagsHelp: '      --full               skip all remaining steps',
  examples: ['sluice promote web', 'sluice promote web --full -n shop'],
  prepare: (values, [name]) => ({ name: name as string, run: (api, ref) => promote(api, ref, { full: values.full === true }) }),
})
