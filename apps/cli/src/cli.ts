/**
 * The `sluice` command line: picks the command, runs it, and turns what it throws into one clear
 * message and an exit code. Never prints a stack unless asked (SLUICE_DEBUG=1).
 */
import { EXIT, InputError, UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'
import { asksForHelp } from './command.ts'
import type { Command } from './command.ts'
import { abortCommand } from './commands/abort.ts'
import { getCommand } from './commands/get.ts'
import { lintCommand } from './commands/lint.ts'
import { listCommand } from './commands/list.ts'
import { pauseCommand } from './commands/pause.ts'
import { planCommand } from './commands/plan.ts'
import { promoteCommand } from './commands/promote.ts'
import { restartCommand } from './commands/restart.ts'
import { resumeCommand } from './commands/resume.ts'
import { retryCommand } from './commands/retry.ts'
import { setCommand } from './commands/set.ts'
import { statusCommand } from './commands/status.ts'
import { undoCommand } from './commands/undo.ts'
import { versionCommand } from './commands/version.ts'

/** Every command, by the word that names it; `sluice --help` lists them in this order. */
export const commands: Readonly<Record<string, Command>> = {
  get: getCommand,
  list: listCommand,
  status: statusCommand,
  promote: promoteCommand,
  abort: abortCommand,
  retry: retryCommand,
  pause: pauseCommand,
  resume: resumeCommand,
  restart: restartCommand,
  set: setCommand,
  undo: undoCommand,
  plan: planCommand,
  lint: lintCommand,
  version: versionCommand,
}

function rootHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length))
  return `sluice: progressive delivery for Argo Rollouts (argoproj.io/v1alpha1): watch and drive
Rollouts on a cluster, preview and check manifests offline. Also a kubectl plugin: kubectl sluice.

Usage: sluice <command> [flags]

Commands:
${Object.values(commands)
  .map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Flags:
  -h, --help     show help (also: sluice <command> --help, sluice help <command>)
      --version  print the version

Cluster commands find the cluster as kubectl does: --kubeconfig, $KUBECONFIG or ~/.kube/config;
--context; -n/--namespace, else the context's namespace, else "default".

Exit codes: 0 ok; 1 invalid input, problems found, an operation that does not apply, a failed
rollout (status), or a cluster error (not found, no access, unreachable); 2 usage error, or status
timed out.
`
}

/** Runs `sluice` with `argv` (the arguments after the program) and resolves to the exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [first, ...rest] = argv
  let command: Command | undefined
  try {
    if (first === undefined || first === '-h' || first === '--help') {
      ctx[first === undefined ? 'stderr' : 'stdout'](rootHelp())
      return first === undefined ? EXIT.usage : EXIT.ok
    }
    if (first === '--version' || first === '-v') {
      ctx.stdout(`${ctx.version}\n`)
      return EXIT.ok
    }
    if (first === 'help') return showHelp(rest, ctx)
    if (first.startsWith('-')) throw new UsageError(`unknown flag ${first} (flags go after the command: sluice <command> [flags])`)
    command = commands[first]
    if (!command) throw new UsageError(`unknown command "${first}" (commands: ${Object.keys(commands).join(', ')})`)
    if (asksForHelp(rest)) {
      ctx.stdout(command.help)
      return EXIT.ok
    }
    return await command.run(rest, ctx)
  } catch (error) {
    return report(error, command, ctx)
  }
}

function showHelp(topics: readonly string[], ctx: CliContext): number {
  const [topic] = topics
  if (topic === undefined) {
    ctx.stdout(rootHelp())
    return EXIT.ok
  }
  const command = commands[topic]
  if (!command) throw new UsageError(`no help for unknown command "${topic}" (commands: ${Object.keys(commands).join(', ')})`)
  ctx.stdout(command.help)
  return EXIT.ok
}

function report(error: unknown, command: Command | undefined, ctx: CliContext): number {
  const prefix = command ? `sluice ${command.name}` : 'sluice'
  if (error instanceof UsageError) {
    ctx.stderr(`${prefix}: ${error.message}\nRun '${prefix} --help' for usage.\n`)
    return EXIT.usage
  }
  if (error instanceof InputError) {
    ctx.stderr(`${prefix}: ${error.message}\n${error.details.map((d) => `  ${d}\n`).join('')}`)
    return EXIT.invalid
  }
  const message = error instanceof Error ? error.message : String(error)
  ctx.stderr(`sluice: internal error: ${message}\n`)
  if (ctx.debug && error instanceof Error && error.stack) ctx.stderr(`${error.stack}\n`)
  return EXIT.invalid
}
