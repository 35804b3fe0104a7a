/** `sluice version`: which sluice this is (`kubectl sluice version` checks the plugin is installed). */
import { EXIT } from '../cli-context.ts'
import { outputFormat, parseFlags } from '../command.ts'
import type { Command } from '../command.ts'

export const versionCommand: Command = {
  name: 'version',
  summary: 'Print the version of sluice',
  help: `Print the version of sluice.

Usage: sluice version [-o text|json]
`,
  async run(argv, ctx) {
    const flags = parseFlags(argv, { output: { type: 'string', short: 'o' } })
    if (outputFormat(flags.output, ['text', 'json']) === 'json') ctx.stdout(`${JSON.stringify({ sluice: ctx.version })}\n`)
    else ctx.stdout(`sluice ${ctx.version}\n`)
    return EXIT.ok
  },
}
