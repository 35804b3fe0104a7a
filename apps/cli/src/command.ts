/**
 * The contract of a `sluice` subcommand (one file each under `commands/`, registered in `cli.ts`),
 * and the flag parsing they share.
 */
import { parseArgs } from 'node:util'
import type { ParseArgsOptionsConfig } from 'node:util'
import { UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'

export interface Command {
  /** The word after `sluice`. */
  readonly name: string
  /** One line for `sluice --help`. */
  readonly summary: string
  /** The whole `sluice <name> --help` text; `cli.ts` prints it for `-h`/`--help` anywhere in the arguments. */
  readonly help: string
  /**
   * Runs with the arguments after the command's name and resolves to the exit code. Throws
   * `UsageError` for a wrong command line and `InputError` for input it cannot work with; `cli.ts`
   * prints both.
   */
  run(argv: readonly string[], ctx: CliContext): Promise<number>
}

/**
 * Parses kubectl-like flags (`-f FILE`, `--filename=FILE`, `-o json`) strictly: an unknown flag, a
 * missing value or a stray argument is a `UsageError` in one short line.
 */
export function parseFlags<const Options extends ParseArgsOptionsConfig>(argv: readonly string[], options: Options) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new UsageError(describeParseError(error))
  }
}

/**
 * Like `parseFlags`, but also takes positional arguments (`sluice get rollout NAME`): between
 * `min` and `max` of them, else a `UsageError` that says what was expected (`what`, e.g. "NAME").
 */
export function parseCommandLine<const Options extends ParseArgsOptionsConfig>(argv: readonly string[], options: Options, args: { what: string; min: number; max: number }) {
  let parsed
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true })
  } catch (error) {
    throw new UsageError(describeParseError(error))
  }
  const { positionals } = parsed
  if (positionals.length < args.min) throw new UsageError(`${args.what} is required`)
  if (positionals.length > args.max) throw new UsageError(`unexpected argument "${positionals[args.max]}"${args.max > 0 ? ` (after ${args.what})` : ''}`)
  return { values: parsed.values, positionals }
}

/** node's parseArgs messages are long and mention JavaScript; say the same in a CLI's words. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: string } | undefined)?.code
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? ''
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${quoted}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const flag = quoted.replace(/ <value>$/, '')
      if (message.includes('argument missing')) return `flag ${flag} needs a value`
      if (message.includes('ambiguous')) return `flag ${flag} needs a value (write ${flag.split(', ').at(-1)}=VALUE for one that starts with "-")`
      return `flag ${flag} takes no value`
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`
    default:
      return message
  }
}

/** The flags of every command that reads a manifest file: `-f FILE` and `-o FORMAT`. */
export const manifestFlags = {
  filename: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
} as const satisfies ParseArgsOptionsConfig

/** True when the arguments ask for help (`-h`, `--help`) before any `--`. */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '-h' || a === '--help')
}

/** Checks `-o`/`--output` against the formats a command offers. */
export function outputFormat<const F extends string>(value: string | undefined, formats: readonly [F, ...F[]]): F {
  if (value === undefined) return formats[0]
  if ((formats as readonly string[]).includes(value)) return value as F
  throw new UsageError(`unknown output format "${value}" (one of: ${formats.join(', ')})`)
}

/** The file flag every offline command needs. */
export function requireFile(value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError('flag -f, --filename is required')
  return value
}
