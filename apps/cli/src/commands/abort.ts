/** `sluice abort NAME...`: all traffic and pods back to the stable revision; several names, one after the other, as Argo's. */
import { abort } from '@sluice/client'
import { operationCommand } from '../operation-command.ts'

export const abortCommand = operationCommand({
  name: 'abort',
  usage: 'NAME...',
  description: `Abort the update a Rollout is in: the stable revision takes all traffic and pods again and
the rollout becomes Degraded until retried (sluice retry) or its template goes back (sluice undo).
Refused when the rollout is fully promoted or already aborted.`,
  flags: {},
  args: { what: 'NAME', min: 1, max: Number.POSITIVE_INFINITY },
  examples: ['sluice abort web', 'sluice abort web api'],
  prepare: (_values, names) => ({ name: names, run: (api, ref) => abort(api, ref) }),
})
