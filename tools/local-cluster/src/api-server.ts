// An API server outage, for fault tests: stop the kube-apiserver that up.sh started (the rest of
// the cluster keeps running, etcd keeps the data), start it again with the same command line, and
// wait until it answers /readyz. The pid file is kept current, so down.sh still stops it.
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { readClusterEnv } from './index.ts'

export interface StoppedApiServer {
  /** The cluster's data dir. */
  dir: string
  /** The command line it ran with (binary first). */
  argv: string[]
  /** When its process was gone (ms since the epoch). */
  stoppedAt: number
}

const pidFile = (dir: string) => join(dir, 'pids', 'kube-apiserver.pid')

function isRunning(pid: number): boolean {
  try {
    // A zombie still answers signal 0; its state in /proc says it is gone.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z/.test(stat)
  } catch {
    return false
  }
}

/**
 * Stops the kube-apiserver of the cluster in `dir` with SIGTERM (SIGKILL after `timeoutMs`) and
 * resolves once its process is gone. Refuses a pid whose command line does not name `dir` (a
 * recycled pid is never signalled).
 */
export async function stopApiServer(dir: string, timeoutMs = 30_000): Promise<StoppedApiServer> {
  const pid = Number(readFileSync(pidFile(dir), 'utf8').trim())
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '')
  if (!argv.some((a) => a.includes(dir))) throw new Error(`pid ${pid} of ${pidFile(dir)} is not this cluster's kube-apiserver`)
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (isRunning(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 20))
  }
  return { dir, argv, stoppedAt: Date.now() }
}

/** Starts the kube-apiserver again as it ran before `stopApiServer` (log appended, pid file updated); returns its pid. */
export function startApiServer(stopped: StoppedApiServer): number {
  const [binary, ...args] = stopped.argv
  if (!binary) throw new Error('no command line to start kube-apiserver with')
  const log = openSync(join(stopped.dir, 'logs', 'kube-apiserver.log'), 'a')
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] })
    child.unref()
    if (child.pid === undefined) throw new Error(`could not start ${binary}`)
    writeFileSync(pidFile(stopped.dir), `${child.pid}\n`)
    return child.pid
  } finally {
    closeSync(log)
  }
}

/** True when the API server of the cluster in `dir` answers /readyz with 200. */
export function isApiServerReady(dir: string): Promise<boolean> {
  const port = Number(readClusterEnv(dir).SLUICE_CLUSTER_API_PORT)
  const ca = readFileSync(join(dir, 'pki', 'ca.crt'))
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', method: 'GET', ca, timeout: 2000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => req.destroy())
    req.end()
  })
}

/** Resolves with the time (ms since the epoch) at which /readyz first answered 200, polling every `everyMs`. */
export async function waitForApiServerReady(dir: string, timeoutMs = 120_000, everyMs = 50): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await isApiServerReady(dir)) return Date.now()
    if (Date.now() > deadline) throw new Error(`kube-apiserver of ${dir} not ready within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
