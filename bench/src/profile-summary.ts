/**
 * Summarises what `pnpm bench --profile` wrote, without a browser:
 *
 *   node bench/src/profile-summary.ts bench/results/profiles/<name>.cpuprofile [top]
 *     self time by function and by package/file (where the CPU went)
 *   node bench/src/profile-summary.ts bench/results/profiles/<name>.heapsnapshot [top]
 *     live heap by constructor (count, self size) and the total (what the memory holds)
 */
import { readFileSync } from 'node:fs'

interface CpuNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface CpuProfile {
  nodes: CpuNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const repo = new URL('../../', import.meta.url).href

function where(url: string): string {
  if (!url) return '(native)'
  const path = url.startsWith(repo) ? url.slice(repo.length) : url.replace(/^file:\/\//, '')
  const pkg = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return `dep:${pkg[1]}`
  if (path.startsWith('node:')) return path
  return path
}

export function summarizeCpu(profile: CpuProfile, top: number): string {
  // Self time per node from the samples and their time deltas (µs).
  const selfUs = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0))
  }
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  let total = 0
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    if (us === 0) continue
    const f = node.callFrame
    const place = where(f.url)
    const fn = `${f.functionName || '(anonymous)'} ${place}${f.url ? `:${f.lineNumber + 1}` : ''}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us)
    const group = ['(idle)', '(program)', '(garbage collector)'].includes(f.functionName) ? f.functionName : place.startsWith('dep:') || place.startsWith('node:') ? place : place.split('/').slice(0, 3).join('/')
    byPlace.set(group, (byPlace.get(group) ?? 0) + us)
    total += us
  }
  const lines: string[] = []
  const wall = (profile.endTime - profile.startTime) / 1e6
  const busy = total - (byPlace.get('(idle)') ?? 0)
  lines.push(`profile: ${wall.toFixed(1)} s wall, ${(busy / 1e6).toFixed(1)} s on CPU (not idle)`)
  const table = (title: string, m: Map<string, number>) => {
    lines.push('', title)
    for (const [k, us] of [...m].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`)
    }
  }
  table('self time by package / source directory:', byPlace)
  table('self time by function:', byFunction)
  return lines.join('\n')
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number }
  nodes: number[]
  strings: string[]
}

export function summarizeHeap(heap: HeapSnapshot, top: number): string {
  const fields = heap.snapshot.meta.node_fields
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const types = heap.snapshot.meta.node_types[0]
  const groups = new Map<string, { count: number; size: number }>()
  let total = 0
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt] as number] ?? '?'
    const size = heap.nodes[i + sizeAt] as number
    total += size
    let name = type
    if (type === 'object' || type === 'native' || type === 'closure') name = `${type} ${heap.strings[heap.nodes[i + nameAt] as number] ?? '?'}`
    const g = groups.get(name) ?? { count: 0, size: 0 }
    g.count += 1
    g.size += size
    groups.set(name, g)
  }
  const lines = [`heap: ${(total / 2 ** 20).toFixed(1)} MB in ${heap.nodes.length / width} nodes (self sizes; what is reachable at the snapshot)`, '', 'by type / constructor:']
  for (const [name, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
    lines.push(`  ${(g.size / 2 ** 20).toFixed(2).padStart(8)} MB  ${String(g.count).padStart(9)}  ${name}`)
  }
  return lines.join('\n')
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const [file, topText] = process.argv.slice(2)
  if (!file) {
    process.stderr.write('usage: node bench/src/profile-summary.ts <file.cpuprofile|file.heapsnapshot> [top]\n')
    process.exit(2)
  }
  const top = Number(topText ?? 30)
  const data = JSON.parse(readFileSync(file, 'utf8')) as unknown
  process.stdout.write(`${file.endsWith('.heapsnapshot') ? summarizeHeap(data as HeapSnapshot, top) : summarizeCpu(data as CpuProfile, top)}\n`)
}
