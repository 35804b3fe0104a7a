/**
 * The shape of the commands that change a Rollout (`promote`, `abort`, `retry`, `pause`,
 * `resume`, `restart`, `set image`, `undo`): flags and arguments, connect, one operation of
 * `@sluice/client`, print what it did. An operation that does not apply (`OperationRefused`) is
 * one line on standard error and exit 1.
 */
import type { ParseArgsOptionsConfig } from 'node:util'
import type { RolloutRef } from '@sluice/client'
import type { ClusterKubeApi } from '@sluice/kube'
import { EXIT } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'
import { parseCommandLine } from './command.ts'
import type { Command } from './command.ts'
import { connect } from './cluster.ts'
import { clusterFlags, clusterFlagsHelp } from './kubeconfig.ts'

export interface OperationSpec<Options extends ParseArgsOptionsConfig> {
  name: string
  /** `sluice promote NAME [--full]`: the usage line's arguments after the command name. */
  usage: string
  /** What the command does, before the flags. */
  description: string
  /** Flags beyond the cluster flags, and their help lines. */
  flags: Options
  flagsHelp?: string
  /** The positional arguments: `NAME` by default. */
  args?: { what: string; min: number; max: number }
  /** The words the first argument may be, for completion (`set image`). */
  words?: readonly string[]
  examples: string[]
  /**
   * Checks the arguments (before connecting) and returns the operation to run: on one Rollout, or on
   * several one after the other (`abort a b`, as Argo's), stopping at the first that fails.
   */
  prepare(values: Readonly<Record<string, string | boolean | undefined>>, positionals: string[], ctx: CliContext): {
    name: string | readonly string[]
    run(api: ClusterKubeApi, ref: RolloutRef): Promise<string>
  }
}

export function operationCommand<Options extends ParseArgsOptionsConfig>(spec: OperationSpec<Options>): Command {
  const help = `${spec.description}

Usage: sluice ${spec.name} ${spec.usage} [cluster flags]

Flags:
${spec.flagsHelp ? `${spec.flagsHelp}\n` : ''}  -h, --help               show this help

${clusterFlagsHelp}

Exit codes: 0 done; 1 the operation does not apply to the rollout as it is, the rollout is not
found, no access, cluster unreachable, bad kubeconfig; 2 usage error.

Examples:
${spec.examples.map((e) => `  ${e}`).join('\n')}
`
  const options = { ...clusterFlags, ...spec.flags }
  return {
    name: spec.name,
    help,
    flags: options,
    ...(spec.words ? { words: spec.words } : {}),
    async run(argv, ctx) {
      const { values, positionals } = parseCommandLine(argv, options, spec.args ?? { what: 'NAME', min: 1, max: 1 })
      const operation = spec.prepare(values as Record<string, string | boolean | undefined>, positionals, ctx)
      const conn = await connect(values, ctx)
      for (const name of typeof operation.name === 'string' ? [operation.name] : operation.name) {
        const message = await conn.call(() => operation.run(conn.api, { namespace: conn.namespace, name }))
        ctx.stdout(`${message}\n`)
      }
      return EXIT.ok
    },
  }
}
