/**
 * Starts and stops the controller under test from a command line, so that any controller serving the
 * Rollout API can be measured. `{kubeconfig}` in the command is replaced by the benchmark cluster's
 * kubeconfig; leading `NAME=value` words set its environment; a command starting with `node` runs on
 * the harness's own Node (process.execPath), and in profile mode gets `--cpu-prof` and
 * `--heapsnapshot-signal=SIGUSR2`.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { basename } from 'node:path'

export const DEFAULT_CONTROLLER_COMMAND =
  'node --max-semi-space-size=2 --conditions=@sluice/source apps/controller/src/main.ts --kubeconfig {kubeconfig} --leader-elect=false --http-addr 127.0.0.1:0 --log-level warn'

/**
 * Splits a command line into words the way a POSIX shell would for the simple cases: blanks separate,
 * single quotes keep everything, double quotes keep all but `\"` and `\\`, a backslash escapes one character.
 *   split(`node a.ts --x "a b" 'c d'`) → ['node', 'a.ts', '--x', 'a b', 'c d']
 */
export function splitCommand(command: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && (command[i + 1] === '"' || command[i + 1] === '\\')) word += command[++i]
      else word += c
    } else if (c === "'" || c === '"') {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < command.length) {
      word += command[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += c
      inWord = true
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in the controller command`)
  if (inWord) words.push(word)
  return words
}

export interface ProfileOptions {
  /** Directory for the CPU profile and the heap snapshot. */
  dir: string
  /** File name of the CPU profile. */
  cpuProfileName: string
}

/** The argv to spawn: placeholders filled, `node` → this Node, profiling flags when asked (Node commands only). */
export function controllerArgv(command: string, kubeconfig: string, profile?: ProfileOptions): { file: string; args: string[]; env: Record<string, string>; profiled: boolean } {
  const words = splitCommand(command).map((w) => w.replaceAll('{kubeconfig}', kubeconfig))
  // Leading NAME=value words set the controller's environment, as in a shell.
  const env: Record<string, string> = {}
  while (words[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
    const assignment = words.shift() as string
    env[assignment.slice(0, assignment.indexOf('='))] = assignment.slice(assignment.indexOf('=') + 1)
  }
  const [first, ...rest] = words
  if (!first) throw new Error('empty controller command')
  const isNode = first === 'node' || basename(first) === 'node'
  const file = isNode ? process.execPath : first
  const flags = isNode && profile ? ['--cpu-prof', `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${profile.cpuProfileName}`, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${profile.dir}`] : []
  return { file, args: [...flags, ...rest], env, profiled: flags.length > 0 }
}

export interface RunningController {
  readonly pid: number
  readonly child: ChildProcess
  readonly profiled: boolean
  /** Resolves with the exit code (or signal) when the process ended. */
  readonly exited: Promise<string>
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<string>
}

export function startControllerProcess(options: { command: string; kubeconfig: string; cwd: string; logFile: string; profile?: ProfileOptions }): RunningController {
  const { file, args, env, profiled } = controllerArgv(options.command, options.kubeconfig, options.profile)
  const log = openSync(options.logFile, 'w')
  const child = spawn(file, args, { cwd: options.cwd, env: { ...process.env, ...env }, stdio: ['ignore', log, log] })
  closeSync(log)
  if (child.pid === undefined) throw new Error(`could not start the controller: ${file} ${args.join(' ')}`)
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))))
  const gone = () => child.exitCode !== null || child.signalCode !== null
  return {
    pid: child.pid,
    child,
    profiled,
    exited,
    async stop(graceMs = 20_000) {
      if (gone()) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        if (!gone()) child.kill('SIGKILL')
      }, graceMs)
      const how = await exited
      clearTimeout(timer)
      return how
    },
  }
}
