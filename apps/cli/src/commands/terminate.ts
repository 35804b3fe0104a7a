/**
 * `sluice terminate analysisrun|experiment NAME...`: stops an AnalysisRun or an Experiment that is
 * in progress (`spec.terminate: true`), as kubectl argo rollouts terminate does. Sluice runs neither
 * kind itself; the command is for clusters whose Argo objects another controller runs, and says
 * plainly when the cluster does not serve the kind.
 */
import { EXIT, UsageError } from '../cli-context.ts'
import { parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'
import { analysisRunKinds, experimentKinds, patchArgoObject } from '../argo-objects.ts'
import { connect } from '../cluster.ts'
import { clusterFlags, clusterFlagsHelp } from '../kubeconfig.ts'

const help = `Terminate an AnalysisRun or an Experiment that is in progress (spec.terminate = true).

Usage: sluice terminate analysisrun NAME... [cluster flags]   (also: analysisruns, ar)
       sluice terminate experiment NAME... [cluster flags]    (also: experiments, exp)

Sluice itself runs neither kind; this is kubectl argo rollouts terminate, for clusters where another
controller runs them. A cluster that does not serve the kind (no CRD) is an error, exit 1.

Flags:
  -h, --help               show this help

${clusterFlagsHelp}

Exit codes: 0 terminated; 1 not found, kind not served, no access, cluster unreachable, usage error.

Examples:
  sluice terminate analysisrun web-6c54f9d7c4-2-success-rate
  sluice terminate exp web-canary-test -n shop
`

export const terminateCommand: Command = {
  name: 'terminate',
  help,
  flags: clusterFlags,
  words: ['analysisrun', 'experiment'],
  async run(argv, ctx) {
    const { values, positionals } = parseCommandLine(argv, clusterFlags, { what: 'the kind (analysisrun or experiment) and NAME', min: 2, max: Number.POSITIVE_INFINITY })
    const [kindWord, ...names] = positionals as [string, ...string[]]
    const kind = analysisRunKinds.includes(kindWord) ? 'AnalysisRun' : experimentKinds.includes(kindWord) ? 'Experiment' : undefined
    if (!kind) throw new UsageError(`sluice terminates an analysisrun or an experiment, not "${kindWord}"`)
    const conn = await connect(values, ctx)
    for (const name of names) {
      const message = await conn.call(() => patchArgoObject(conn.api, kind, { namespace: conn.namespace, name }, { spec: { terminate: true } }, 'terminated'))
      ctx.stdout(`${message}\n`)
    }
    return EXIT.ok
  },
}
