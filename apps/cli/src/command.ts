/**
 * The contract of a `sluice` subcommand (one file each under `commands/`, registered in `cli.ts`),
 * and the flag parsing they share.
 */
import { parseArgs } from 'node:util'
import type { ParseArgsOptionsConfig } from 'node:util'
import { UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'
import { didYouMean } from './suggest.ts'

export interface Command {
  /** The word after `sluice`. */
  readonly name: string
  /** The whole `sluice <name> --help` text; `cli.ts` prints it for `-h`/`--help` anywhere in the arguments. */
  readonly help: string
  /** The flags it takes (for "did you mean" and the completion scripts). */
  readonly flags: ParseArgsOptionsConfig
  /** The words its first argument may be (`get rollout`, `completion bash`), for the completion scripts. */
  readonly words?: readonly string[]
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
  const { args, negated } = booleanValues(argv, options)
  try {
    return withNegated(parseArgs({ args, options, strict: true, allowPositionals: false }).values, negated)
  } catch (error) {
    throw new UsageError(describeParseError(error, options))
  }
}

/**
 * Like `parseFlags`, but also takes positional arguments (`sluice get rollout NAME`): between
 * `min` and `max` of them, else a `UsageError` that says what was expected (`what`, e.g. "NAME").
 */
export function parseCommandLine<const Options extends ParseArgsOptionsConfig>(argv: readonly string[], options: Options, args: { what: string; min: number; max: number }) {
  const { args: normalized, negated } = booleanValues(argv, options)
  let parsed
  try {
    parsed = parseArgs({ args: normalized, options, strict: true, allowPositionals: true })
  } catch (error) {
    throw new UsageError(describeParseError(error, options))
  }
  withNegated(parsed.values, negated)
  const { positionals } = parsed
  if (positionals.length < args.min) throw new UsageError(`${args.what} is required`)
  if (positionals.length > args.max) throw new UsageError(`unexpected argument "${positionals[args.max]}"${args.max > 0 ? ` (after ${args.what})` : ''}`)
  return { values: parsed.values, positionals }
}

/**
 * kubectl (cobra) takes `--watch=false` and `--watch=true` for a boolean flag, and scripts written
 * for `kubectl argo rollouts status NAME --watch=false` rely on it; node's parseArgs does not. The
 * `=true` form becomes the bare flag, the `=false` form is taken out and set to false after parsing.
 */
function booleanValues(argv: readonly string[], options: ParseArgsOptionsConfig): { args: string[]; negated: string[] } {
  const args: string[] = []
  const negated: string[] = []
  const end = argv.indexOf('--')
  for (const [i, arg] of argv.entries()) {
    const match = end !== -1 && i >= end ? null : /^(?:--([^=]+)|-(\w))=(.*)$/.exec(arg)
    const name = match ? (match[1] ?? Object.keys(options).find((k) => options[k]?.short === match[2])) : undefined
    if (!match || name === undefined || options[name]?.type !== 'boolean') {
      args.push(arg)
      continue
    }
    const value = match[3]
    if (value === 'true') args.push(`--${name}`)
    else if (value === 'false') negated.push(name)
    else throw new UsageError(`flag --${name} takes true or false, not "${value}"`)
  }
  return { args, negated }
}

function withNegated<V extends Record<string, unknown>>(values: V, negated: readonly string[]): V {
  for (const name of negated) (values as Record<string, unknown>)[name] = false
  return values
}

/** node's parseArgs messages are long and mention JavaScript; say the same in a CLI's words. */
function describeParseError(error: unknown, options: ParseArgsOptionsConfig): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: string } | undefined)?.code
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? ''
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const known = Object.keys(options).map((k) => `--${k}`)
      return `unknown flag ${quoted}${quoted.startsWith('--') ? didYouMean(quoted.replace(/=.*$/, ''), known, false) : ''}`
    }
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
