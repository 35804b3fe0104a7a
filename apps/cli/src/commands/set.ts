/**
 * `sluice set image NAME CONTAINER=IMAGE`: a new image for one container, which starts an update;
 * `'*=IMAGE'` sets it for every container and init container, as Argo's `set image` does.
 */
import { setImage } from '@sluice/client'
import { UsageError } from '../cli-context.ts'
import { operationCommand } from '../operation-command.ts'

export const setCommand = operationCommand({
  name: 'set',
  usage: 'image NAME CONTAINER=IMAGE',
  description: `Set the image of one container (or init container) of a Rollout's pod template, which starts an
update through the steps; CONTAINER "*" (quote it for the shell) sets it for every container and init
container. Refused when the rollout has no such container, or it already runs IMAGE.`,
  flags: {},
  args: { what: 'image NAME CONTAINER=IMAGE', min: 3, max: 3 },
  words: ['image'],
  examples: ['sluice set image web web=registry.example/web:2.1', "sluice set image web '*=registry.example/web:2.1'"],
  prepare: (_values, [what, name, assignment]) => {
    if (what !== 'image') throw new UsageError(`sluice sets images only: sluice set image NAME CONTAINER=IMAGE (not "${what}")`)
    const match = /^([^=]+)=([^=]+)$/.exec(assignment ?? '')
    if (!match) throw new UsageError(`expected CONTAINER=IMAGE (or '*=IMAGE' for every container), not "${assignment}"`)
    const [, container, image] = match as unknown as [string, string, string]
    return { name: name as string, run: (api, ref) => setImage(api, ref, container, image) }
  },
})
