/**
 * The benchmark's own control plane (never the shared one: measurements need a quiet API server):
 * `tools/local-cluster/up.sh` in `bench/.work/cluster` on free ports, with a watchdog that stops it
 * should the harness die, and `down.sh` at the end.
 */
import { spawn } from 'node:child_process'
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Cluster {
  dir: string
  kubeconfig: string
  apiPort: number
  startupSeconds: number
}

function run(script: string, env: Record<string, string>, logFile: string, cwd: string): Promise<number> {
  const log = openSync(logFile, 'a')
  const child = spawn('bash', [script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', log, log] })
  closeSync(log)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)))
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/**
 * Starts the cluster; tries three times, since `auto` ports are checked free before they are bound
 * and another process on the machine may take one in between ("address already in use").
 */
export async function clusterUp(repoRoot: string, dir: string, logFile: string): Promise<Cluster> {
  const started = Date.now()
  for (let attempt = 1; ; attempt++) {
    const code = await run(
      join(repoRoot, 'tools/local-cluster/up.sh'),
      { SLUICE_CLUSTER_DIR: dir, SLUICE_CLUSTER_PORT_BASE: process.env.SLUICE_CLUSTER_PORT_BASE ?? 'auto', SLUICE_CLUSTER_OWNER_PID: String(process.pid) },
      logFile,
      repoRoot,
    )
    if (code === 0) break
    if (attempt >= 3) throw new Error(`tools/local-cluster/up.sh failed ${attempt} times (exit ${code}); ${logFile}:\n${tail(logFile)}`)
    process.stderr.write(`bench: tools/local-cluster/up.sh failed (exit ${code}), retrying; see ${logFile}\n`)
    await clusterDown(repoRoot, dir, logFile)
  }
  const env = Object.fromEntries(
    readFileSync(join(dir, 'cluster.env'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>
  return { dir, kubeconfig: join(dir, 'admin.kubeconfig'), apiPort: Number(env.SLUICE_CLUSTER_API_PORT), startupSeconds: (Date.now() - started) / 1000 }
}

export async function clusterDown(repoRoot: string, dir: string, logFile: string): Promise<void> {
  if (!existsSync(join(dir, 'cluster.env')) && !existsSync(join(dir, 'pids'))) return
  const code = await run(join(repoRoot, 'tools/local-cluster/down.sh'), { SLUICE_CLUSTER_DIR: dir }, logFile, repoRoot)
  if (code !== 0) process.stderr.write(`bench: tools/local-cluster/down.sh exited ${code}; see ${logFile}\n`)
}
