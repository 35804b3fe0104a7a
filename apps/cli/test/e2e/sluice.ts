/**
 * Runs the real `sluice` command (a Node process on the TypeScript sources) against the test
 * cluster, and a terminal (tmux) to watch it in.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
// The controller's end-to-end harness (namespace, CRDs, the controller as a process, waits) is
// reused as it is: the CLI's tests need exactly that world.
import { repoRoot } from '@sluice/controller/e2e-harness'
import type { Env } from '@sluice/controller/e2e-harness'

export const cliMain = fileURLToPath(new URL('../../src/main.ts', import.meta.url))
export const fromSourceLauncher = fileURLToPath(new URL('../../scripts/sluice-from-source', import.meta.url))

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** The process environment for the CLI: no colour settings or kubeconfig of the person running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NO_COLOR: _n, FORCE_COLOR: _f, KUBECONFIG: _k, SLUICE_DEBUG: _d, ...rest } = process.env
  return { ...rest, ...extra }
}

/** The cluster flags for the test namespace. */
export const on = (env: Env) => ['--kubeconfig', env.kubeconfigPath, '-n', env.namespace]

/** `sluice ARGS...` to its end. */
export function sluice(args: readonly string[], options: { env?: Record<string, string> } = {}): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=@sluice/source', cliMain, ...args], { cwd: repoRoot, env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  return collect(child)
}

/** A running `sluice` (status, get --watch): its output so far, and its end. */
export interface Running {
  readonly child: ChildProcess
  stdout(): string
  stderr(): string
  readonly done: Promise<Run>
}

export function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, ['--conditions=@sluice/source', cliMain, ...args], { cwd: repoRoot, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
  return { child, stdout: () => stdout, stderr: () => stderr, done }
}

function collect(child: ChildProcess): Promise<Run> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The directory of the kubectl built for the local cluster. */
export function kubectlDir(): string {
  return execFileSync('bash', [`${repoRoot}/tools/local-cluster/build.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
}

/** A PATH that finds this Node first (the launcher runs `node`). */
export const pathWithNode = (...dirs: string[]) => [...dirs, dirname(process.execPath), process.env.PATH ?? ''].join(':')

export const hasTmux = spawnSync('tmux', ['-V']).status === 0

/** A detached tmux session on a private server, running one shell command in a 160×50 terminal. */
export class Terminal {
  readonly #socket = `sluice-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`

  constructor(command: string) {
    // The command's end is written on the screen and the pane stays, so its last screen can be read.
    const script = `${command}; echo "[exit $?]"; sleep 600`
    execFileSync('tmux', ['-L', this.#socket, 'new-session', '-d', '-s', 'e2e', '-x', '160', '-y', '50', 'sh', '-c', script], { cwd: repoRoot, env: cleanEnv({ TERM: 'xterm-256color' }) })
  }

  /** The screen as text (`escapes`: with its colour codes). */
  screen(options: { escapes?: boolean } = {}): string {
    return execFileSync('tmux', ['-L', this.#socket, 'capture-pane', '-p', ...(options.escapes ? ['-e'] : []), '-t', 'e2e'], { encoding: 'utf8' })
  }

  close(): void {
    spawnSync('tmux', ['-L', this.#socket, 'kill-server'])
  }
}

/** A shell word. */
export const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
