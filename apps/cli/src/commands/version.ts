/** `sluice version`: which sluice this is (`kubectl sluice version` checks the plugin is installed). */
import { EXIT } from '../cli-context.ts'
import { outputFormat, parseFlags } from '../command.ts'
import type { Command } from '../command.ts'

const flags = { output: { type: 'string', short: 'o' }, short: { type: 'boolean' } } as const

export const versionCommand: Command = {
  name: 'version',
  help: `Print the version of sluice.

Usage: sluice version [--short] [-o text|json]

Flags:
      --short           "sluice: VERSION", the shape of kubectl argo rollouts version --short
  -o, --output FORMAT   text (default) or json
`,
  flags,
  async run(argv, ctx) {
    const values = parseFlags(argv, flags)
    if (outputFormat(values.output, ['text', 'json']) === 'json') ctx.stdout(`${JSON.stringify({ sluice: ctx.version })}\n`)
    else ctx.stdout(values.short ? `sluice: ${ctx.version}\n` : `sluice ${ctx.version}\n`)
    return EXIT.ok
  },
}
