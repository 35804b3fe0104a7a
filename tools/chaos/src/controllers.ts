/**
 * The Sluice controller under test, as real child processes from source, supervised the way a
 * Deployment's kubelet would: a process that exits (killed, or stopping itself after losing its
 * Lease) is started again after `restartDelayMs`. Each process lifetime records, from its JSON log,
 * when it started, synced, took the Lease and first reconciled, which gives the recovery times.
 */
import { spawn } from 'node:child_process'
import { appendFileSync, mkdirSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { sampleProcess } from '@sluice/bench/proc'
import type { ProcSample } from '@sluice/bench/proc'
import { repoRoot } from '@sluice/local-cluster'

export interface Lifetime {
  pid: number
  spawnedAt: number
  startedAt?: number
  leadingAt?: number
  firstReconcileAt?: number
  exitedAt?: number
  exit?: string
  /** How it was ended by the chaos suite, if it was. */
  killedWith?: NodeJS.Signals
}

export interface ControllerOptions {
  identity: string
  kubeconfig: string
  namespace: string
  leaderElect: boolean
  leaseDurationSeconds: number
  /** Extra environment (SLUICE_CHAOS_BREAK for the broken-controller test). */
  env?: Record<string, string>
  restartDelayMs?: number
  /**
   * Default `debug`: the controller logs a pass that changes nothing (the first pass after a
   * restart into a settled state, say) at debug only, and the supervisor needs every `reconciled`
   * line to time a restart's first reconcile.
   */
  logLevel?: string
}

const controllerMain = join(repoRoot, 'apps/controller/src/main.ts')

export class SupervisedController {
  readonly options: ControllerOptions
  readonly lifetimes: Lifetime[] = []
  /** Log lines of level warn and above, the latest 200, for a failure report. */
  readonly warnings: string[] = []
  /** Memory samples of every process lifetime. */
  readonly memory: (ProcSample & { pid: number })[] = []
  #child: ChildProcess | undefined
  #stopped = false
  #restartTimer: NodeJS.Timeout | undefined
  #exited: Promise<void> = Promise.resolve()

  constructor(options: ControllerOptions) {
    this.options = options
  }

  get current(): Lifetime | undefined {
    return this.lifetimes.at(-1)
  }

  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined
  }

  /** True while the current process holds the Lease (or runs without leader election) and has reconciled. */
  get isLeading(): boolean {
    const life = this.current
    return life !== undefined && life.exitedAt === undefined && (this.options.leaderElect ? life.leadingAt !== undefined : life.startedAt !== undefined)
  }

  start(): void {
    this.#stopped = false
    this.#spawn()
  }

  #spawn(): void {
    const o = this.options
    const args = [
      '--max-semi-space-size=2',
      '--conditions=@sluice/source',
      controllerMain,
      '--kubeconfig',
      o.kubeconfig,
      '--namespace',
      o.namespace,
      '--http-addr',
      '127.0.0.1:0',
      '--identity',
      o.identity,
      '--leader-elect',
      String(o.leaderElect),
      '--leader-election-namespace',
      o.namespace,
      '--lease-duration',
      String(o.leaseDurationSeconds),
      '--log-level',
      o.logLevel ?? 'debug',
    ]
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...(o.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    const life: Lifetime = { pid: child.pid ?? 0, spawnedAt: Date.now() }
    this.lifetimes.push(life)
    // SLUICE_CHAOS_LOG_DIR keeps every line of every process lifetime, for a violation's post-mortem.
    const logDir = process.env.SLUICE_CHAOS_LOG_DIR
    const logFile = logDir ? join(logDir, `${o.namespace}-${o.identity}.log`) : undefined
    if (logDir) mkdirSync(logDir, { recursive: true })
    let buffer = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      let newline = buffer.indexOf('\n')
      while (newline >= 0) {
        const text = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
        if (logFile) appendFileSync(logFile, `${text}\n`)
        this.#line(life, text)
      }
    })
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#warn(`stderr: ${chunk.trim()}`))
    const sampler = setInterval(() => {
      const sample = child.pid === undefined ? undefined : sampleProcess(child.pid)
      if (sample) this.memory.push({ ...sample, pid: child.pid ?? 0 })
    }, 5000)
    sampler.unref()
    this.#exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        clearInterval(sampler)
        life.exitedAt = Date.now()
        life.exit = signal ?? String(code)
        resolve()
        if (!this.#stopped) this.#restartTimer = setTimeout(() => this.#spawn(), this.options.restartDelayMs ?? 1000)
      }),
    )
  }

  #line(life: Lifetime, text: string): void {
    let line: { msg?: string; level?: number; time?: number }
    try {
      line = JSON.parse(text) as typeof line
    } catch {
      this.#warn(text)
      return
    }
    const at = Date.now()
    if (line.msg === 'started') life.startedAt ??= at
    else if (line.msg === 'leading: reconciling Rollouts') life.leadingAt ??= at
    else if (line.msg === 'reconciled') life.firstReconcileAt ??= at
    if ((line.level ?? 0) >= 40) this.#warn(text)
  }

  #warn(text: string): void {
    this.warnings.push(`${new Date().toISOString()} ${this.options.identity}: ${text.slice(0, 600)}`)
    if (this.warnings.length > 200) this.warnings.shift()
  }

  /** Sends `signal` to the running process (it will be restarted); resolves once it has exited. */
  async kill(signal: NodeJS.Signals): Promise<Lifetime | undefined> {
    const child = this.#child
    const life = this.current
    if (!child || !life || life.exitedAt !== undefined) return undefined
    life.killedWith = signal
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await this.#exited
    clearTimeout(timer)
    return life
  }

  /** Stops for good: SIGTERM (SIGKILL after 20 s), no restart. */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#restartTimer)
    const child = this.#child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    await this.#exited
    clearTimeout(timer)
  }
}
