/** `sluice undo NAME [--to-revision N]`: the template of an earlier revision becomes current again. */
import { undo } from '@sluice/client'
import { UsageError } from '../cli-context.ts'
import { operationCommand } from '../operation-command.ts'

export const undoCommand = operationCommand({
  name: 'undo',
  usage: 'NAME [--to-revision N]',
  description: `Roll a Rollout back: the pod template of the previous revision (or of revision N) becomes
its template again, which starts an update to it through the steps. Refused when there is no such
revision.`,
  flags: { 'to-revision': { type: 'string' } },
  flagsHelp: '      --to-revision N      the revision to go back to (default: the one before the current)',
  examples: ['sluice undo web', 'sluice undo web --to-revision 3'],
  prepare: (values, [name]) => {
    const text = values['to-revision']
    if (text !== undefined && (typeof text !== 'string' || !/^[1-9]\d*$/.test(text))) throw new UsageError(`--to-revision takes a revision number (1, 2, ...), not "${String(text)}"`)
    const revision = text === undefined ? undefined : Number(text)
    return { name: name as string, run: (api, ref) => undo(api, ref, revision) }
  },
})
