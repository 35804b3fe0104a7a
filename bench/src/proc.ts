/**
 * What the kernel knows about the controller under test: resident memory (VmRSS, and the kernel's
 * high-water mark VmHWM), CPU time (utime + stime) and the TCP ports it listens on. Read from /proc,
 * so it works for any controller, whatever it is written in. A command that forks (a wrapper script)
 * is measured as its whole process tree.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

let ticksPerSecond: number | undefined
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** `pid` and all its descendants that are alive. */
export function processTree(pid: number): number[] {
  const all = [pid]
  for (let i = 0; i < all.length; i++) {
    const p = all[i] as number
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${p}/task`)
    } catch {
      continue
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean)) all.push(Number(child))
      } catch {
        // the task ended
      }
    }
  }
  return all
}

export interface ProcSample {
  /** ms since the epoch. */
  at: number
  /** Resident set, bytes (sum over the tree). */
  rss: number
  /** Peak resident set the kernel recorded since start, bytes (sum over the tree). */
  hwm: number
  /** Anonymous resident memory (heaps: V8's and malloc's), bytes. */
  rssAnon: number
  /** File-backed resident memory (the binary, shared libraries), bytes. */
  rssFile: number
  /** User + system CPU seconds since start (sum over the tree). */
  cpuSeconds: number
}

/** One reading of the tree rooted at `pid`; undefined when the process is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  let rss = 0
  let hwm = 0
  let anon = 0
  let file = 0
  let ticks = 0
  let found = false
  for (const p of processTree(pid)) {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8')
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      rss += kib(status, 'VmRSS')
      hwm += kib(status, 'VmHWM')
      anon += kib(status, 'RssAnon')
      file += kib(status, 'RssFile')
      // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
      found = true
    } catch {
      // exited between listing and reading
    }
  }
  if (!found) return undefined
  return { at: Date.now(), rss: rss * 1024, hwm: hwm * 1024, rssAnon: anon * 1024, rssFile: file * 1024, cpuSeconds: ticks / clockTicks() }
}

function kib(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)
  return match ? Number(match[1]) : 0
}

/** TCP ports the tree rooted at `pid` listens on (IPv4 and IPv6). */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>()
  for (const p of processTree(pid)) {
    let fds: string[] = []
    try {
      fds = readdirSync(`/proc/${p}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${p}/fd/${fd}`)
        const match = /^socket:\[(\d+)\]$/.exec(target)
        if (match?.[1]) inodes.add(match[1])
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>()
  for (const table of ['tcp', 'tcp6']) {
    let text = ''
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, inode is column 10
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9] ?? '')) continue
      const port = parseInt((cols[1] ?? '').split(':')[1] ?? '', 16)
      if (Number.isInteger(port)) ports.add(port)
    }
  }
  return [...ports]
}
