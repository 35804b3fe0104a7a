/**
 * The `sluice` command line: picks the command, runs it, and turns what it throws into one clear
 * message and an exit code. Never prints a stack unless asked (SLUICE_DEBUG=1).
 *
 * Each command's module is loaded only when it runs (or its help is asked for): `sluice --version`
 * and `sluice --help` load none, and so neither the Kubernetes client nor the engine.
 */
import { EXIT, InputError, UsageError } from './cli-context.ts'
import type { CliContext } from './cli-context.ts'
import { asksForHelp } from './command.ts'
import type { Command } from './command.ts'
import { clusterFlagArity } from './cluster-flags.ts'
import { didYouMean } from './suggest.ts'

export interface CommandEntry {
  /** One line for `sluice --help`. */
  readonly summary: string
  load(): Promise<Command>
}

/** Every command, by the word that names it; `sluice --help` lists them in this order. */
export const commands: Readonly<Record<string, CommandEntry>> = {
  get: { summary: 'Show a Rollout as a tree (--watch: follow it live); get rollouts lists them', load: async () => (await import('./commands/get.ts')).getCommand },
  list: { summary: 'List Rollouts: phase, step, weights, ready pods, age (--watch: follow changes)', load: async () => (await import('./commands/list.ts')).listCommand },
  status: { summary: 'Wait for a Rollout to settle: exit 0 Healthy, 1 Degraded, aborted or timed out', load: async () => (await import('./commands/status.ts')).statusCommand },
  promote: { summary: 'Promote a paused Rollout to its next step (--full: to the end)', load: async () => (await import('./commands/promote.ts')).promoteCommand },
  abort: { summary: 'Abort an update: back to the stable revision', load: async () => (await import('./commands/abort.ts')).abortCommand },
  retry: { summary: 'Retry an aborted update from its first step', load: async () => (await import('./commands/retry.ts')).retryCommand },
  pause: { summary: 'Pause a Rollout where it is', load: async () => (await import('./commands/pause.ts')).pauseCommand },
  resume: { summary: 'Resume a Rollout paused with sluice pause', load: async () => (await import('./commands/resume.ts')).resumeCommand },
  restart: { summary: 'Restart the pods of a Rollout (--in TIME: later)', load: async () => (await import('./commands/restart.ts')).restartCommand },
  set: { summary: "Set the image of a container (set image NAME CONTAINER=IMAGE, or '*=IMAGE')", load: async () => (await import('./commands/set.ts')).setCommand },
  undo: { summary: 'Roll back to the previous revision (or --to-revision N)', load: async () => (await import('./commands/undo.ts')).undoCommand },
  create: { summary: 'Create a Rollout and the objects it references from a file (-f)', load: async () => (await import('./commands/create.ts')).createCommand },
  terminate: { summary: 'Terminate an AnalysisRun or an Experiment', load: async () => (await import('./commands/terminate.ts')).terminateCommand },
  plan: { summary: 'Preview a Rollout update step by step, offline', load: async () => (await import('./commands/plan.ts')).planCommand },
  lint: { summary: 'Check a Rollout and the objects it references, offline', load: async () => (await import('./commands/lint.ts')).lintCommand },
  completion: { summary: 'Print a shell completion script (bash, zsh, fish)', load: async () => (await import('./commands/completion.ts')).completionCommand },
  version: { summary: 'Print the version of sluice', load: async () => (await import('./commands/version.ts')).versionCommand },
}

function rootHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length))
  return `sluice: progressive delivery for Argo Rollouts (argoproj.io/v1alpha1): watch and drive
Rollouts on a cluster, preview and check manifests offline. Also a kubectl plugin: kubectl sluice.
Command lines written for kubectl argo rollouts work unchanged.

Usage: sluice <command> [flags]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Flags:
  -h, --help     show help (also: sluice <command> --help, sluice help <command>)
      --version  print the version

Cluster commands find the cluster as kubectl does: --kubeconfig, $KUBECONFIG or ~/.kube/config;
--context; -n/--namespace, else the context's namespace, else "default"; and take kubectl's other
global flags (--server, --token, --as, ...), also before the command.

Exit codes: 0 ok; 1 anything else: a usage error, invalid input, problems found, an operation that
does not apply, a failed or timed-out rollout (status), a cluster error (not found, no access,
unreachable).
`
}

/** Runs `sluice` with `argv` (the arguments after the program) and resolves to the exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  let command: Command | undefined
  try {
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
      ctx.stdout(`${ctx.version}\n`)
      return EXIT.ok
    }
    const { first, rest } = splitCommand(argv)
    if (first === undefined || first === '-h' || first === '--help') {
      ctx[first === undefined ? 'stderr' : 'stdout'](rootHelp())
      return first === undefined ? EXIT.usage : EXIT.ok
    }
    if (first === '--version') {
      ctx.stdout(`${ctx.version}\n`)
      return EXIT.ok
    }
    if (first === 'help') return await showHelp(rest, ctx)
    if (first.startsWith('-')) throw new UsageError(`unknown flag ${first}${didYouMean(first, ['--help', '--version'], false)} (flags go after the command: sluice <command> [flags])`)
    const entry = commands[first]
    if (!entry) throw new UsageError(unknownCommand(first))
    command = await entry.load()
    if (asksForHelp(rest)) {
      ctx.stdout(command.help)
      return EXIT.ok
    }
    return await command.run(rest, ctx)
  } catch (error) {
    return report(error, command, ctx)
  }
}

/**
 * The command word and its arguments. kubectl's global flags may come before the command
 * (`kubectl argo rollouts -n shop get rollout web`): they are moved after it.
 */
function splitCommand(argv: readonly string[]): { first: string | undefined; rest: string[] } {
  const moved: string[] = []
  let i = 0
  while (i < argv.length) {
    const arg = argv[i] as string
    const arity = arg.startsWith('-') && arg !== '-' && arg !== '--' ? clusterFlagArity(arg) : undefined
    if (arity === undefined) break
    const inline = arg.includes('=') || (!arg.startsWith('--') && arg.length > 2)
    moved.push(arg)
    if (arity === 'value' && !inline && i + 1 < argv.length) moved.push(argv[++i] as string)
    i++
  }
  const first = argv[i]
  if (first === undefined && moved.length > 0) throw new UsageError('a command is required after the cluster flags (sluice [cluster flags] <command> ...)')
  return { first, rest: [...moved, ...argv.slice(i + 1)] }
}

function unknownCommand(word: string): string {
  const names = Object.keys(commands)
  const hint = didYouMean(word, names)
  return hint ? `unknown command "${word}"${hint}` : `unknown command "${word}" (commands: ${names.join(', ')})`
}

async function showHelp(topics: readonly string[], ctx: CliContext): Promise<number> {
  const [topic] = topics
  if (topic === undefined) {
    ctx.stdout(rootHelp())
    return EXIT.ok
  }
  const entry = commands[topic]
  if (!entry) throw new UsageError(`no help for ${unknownCommand(topic)}`)
  ctx.stdout((await entry.load()).help)
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
