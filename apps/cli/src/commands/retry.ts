/**
 * `sluice retry NAME`: start an aborted update again from its first step. Also Argo's spellings:
 * `retry rollout NAME` (`ro`, `rollouts`), and `retry experiment NAME`, which clears an
 * Experiment's status as Argo's command does.
 */
import { retry } from '@sluice/client'
import { UsageError } from '../cli-context.ts'
import { operationCommand } from '../operation-command.ts'
import { experimentKinds, patchArgoObject } from '../argo-objects.ts'
import { rolloutKinds } from './list.ts'

export const retryCommand = operationCommand({
  name: 'retry',
  usage: '[rollout] NAME...',
  description: `Retry an aborted update: the Rollout starts its steps again from the first one. Refused when
the rollout is not aborted. "retry rollout NAME..." is the same (kubectl argo rollouts' spelling);
"retry experiment NAME..." clears the status of an Experiment, which starts it again.`,
  flags: {},
  args: { what: 'NAME', min: 1, max: Number.POSITIVE_INFINITY },
  words: ['rollout', 'experiment'],
  examples: ['sluice retry web', 'sluice retry rollout web'],
  prepare: (_values, positionals) => {
    if (positionals.length === 1) return { name: positionals, run: (api, ref) => retry(api, ref) }
    const [kind, ...names] = positionals as [string, ...string[]]
    if (rolloutKinds.includes(kind)) return { name: names, run: (api, ref) => retry(api, ref) }
    if (experimentKinds.includes(kind)) return { name: names, run: (api, ref) => patchArgoObject(api, 'Experiment', ref, { status: null }, 'retried') }
    throw new UsageError(`sluice retries rollouts or experiments: sluice retry rollout NAME... or sluice retry experiment NAME... (not "${kind}")`)
  },
})
