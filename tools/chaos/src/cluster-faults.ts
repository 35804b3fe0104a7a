/**
 * Stops and restarts a component of a local control plane (tools/local-cluster/up.sh): the pid comes
 * from `<dir>/pids/<component>.pid`, the command line from /proc, so the component comes back with
 * exactly the flags up.sh gave it, in a session of its own, logging to the same file; the pid file is
 * updated so that down.sh (and the owner watchdog) still stops it. Only for a cluster of our own:
 * stopping the API server of a shared cluster would break everyone's tests.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sleep } from '@sluice/bench/kube'
import type { KubeClient } from '@sluice/bench/kube'

export type Component = 'kube-apiserver' | 'etcd'

export interface Restart {
  component: Component
  signal: NodeJS.Signals
  /** ms since the epoch: signal sent, process gone, started again, healthy again. */
  stoppedAt: number
  goneAt: number
  startedAt: number
  readyAt: number
}

function pidOf(dir: string, component: Component): number {
  return Number(readFileSync(join(dir, 'pids', `${component}.pid`), 'utf8').trim())
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Sends `signal` to the component, waits until it is gone (SIGKILL after 20 s), waits `downMs`,
 * starts it again with the same command line and waits until the API server is ready (`/readyz`
 * through `client`, which must talk to the API server directly).
 */
export async function restartComponent(dir: string, component: Component, options: { signal: NodeJS.Signals; downMs: number; client: KubeClient; timeoutMs?: number }): Promise<Restart> {
  const pid = pidOf(dir, component)
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0)
  if (!argv.some((a) => a.includes(dir))) throw new Error(`pid ${pid} of ${component} does not belong to the cluster in ${dir}`)
  const stoppedAt = Date.now()
  process.kill(pid, options.signal)
  const killDeadline = Date.now() + 20_000
  while (isAlive(pid)) {
    if (Date.now() > killDeadline) process.kill(pid, 'SIGKILL')
    await sleep(50)
  }
  const goneAt = Date.now()
  await sleep(options.downMs)

  const [file, ...args] = argv as [string, ...string[]]
  const log = openSync(join(dir, 'logs', `${component}.log`), 'a')
  const child = spawn(file, args, { detached: true, stdio: ['ignore', log, log] })
  closeSync(log)
  if (child.pid === undefined) throw new Error(`could not start ${component} again`)
  child.unref()
  writeFileSync(join(dir, 'pids', `${component}.pid`), `${child.pid}\n`)
  const startedAt = Date.now()

  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  for (;;) {
    try {
      const text = await options.client.get<string>('/readyz')
      if (String(text).trim() === 'ok') break
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${component} restarted but the API server was not ready within ${options.timeoutMs ?? 120_000} ms`)
    if (!isAlive(child.pid)) throw new Error(`${component} exited right after its restart; see ${join(dir, 'logs', `${component}.log`)}`)
    await sleep(100)
  }
  return { component, signal: options.signal, stoppedAt, goneAt, startedAt, readyAt: Date.now() }
}
