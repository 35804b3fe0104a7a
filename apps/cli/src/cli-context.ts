/**
 * Everything a command needs from the process, handed in by `main.ts` (the only file that reads
 * `process.argv`, `process.env` and the standard streams), so tests run commands in memory.
 */
export interface CliContext {
  /** Writes to standard output: the command's result and nothing else. */
  stdout(text: string): void
  /** Writes to standard error: problems, usage errors, internal errors. */
  stderr(text: string): void
  /** Reads a file named on the command line (relative to the working directory; `-` is standard input). */
  readFile(path: string): Promise<string>
  /** Whether text output may use ANSI colours (standard output is a TTY and NO_COLOR is unset). */
  color: boolean
  /** Print the stack of an internal error (SLUICE_DEBUG=1). */
  debug: boolean
  /** This package's version, for `--version`. */
  version: string
  /**
   * The environment, as far as commands read it (`KUBECONFIG`, `HOME`, in-cluster variables). Never
   * `process.env` itself: `main.ts` hands it in, tests pass their own.
   */
  env: Readonly<Record<string, string | undefined>>
  /** The working directory relative paths (`--kubeconfig`, `-f`) are resolved against. */
  cwd: string
  /** Standard output is a terminal: `get --watch` redraws the screen in place instead of appending. */
  interactive: boolean
  /** The current time (ages, timeouts). */
  now(): Date
}

/**
 * Exit codes shared by every command. Every failure is 1, as `kubectl argo rollouts` exits: scripts
 * written for it test `$? -ne 0` or `$? -eq 1`, and a usage error or a `status` timeout is 1 there too.
 */
export const EXIT = {
  ok: 0,
  /** The input is invalid (file, YAML, Rollout, references), or `lint` found problems. */
  invalid: 1,
  /** The command line is wrong: unknown command or flag, missing or bad flag value. */
  usage: 1,
  /** `status` gave up waiting (`--timeout`). */
  timeout: 1,
} as const

/** A wrong command line. Printed with a pointer to `--help`; exit 1. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/**
 * Input the command cannot work with: a missing file, malformed YAML, an invalid Rollout. `message`
 * is the first line; `details` (one problem each, e.g. formatted field errors) follow it. Exit 1.
 */
export class InputError extends Error {
  override name = 'InputError'
  readonly details: readonly string[]

  constructor(message: string, details: readonly string[] = [], options?: ErrorOptions) {
    super(message, options)
    this.details = details
  }
}
