/**
 * Given/when/then helpers for the end-to-end tests: a real API server (the local control plane,
 * KWOK making pods Ready), the controller as a real child process, and real clients.
 */
// Brings in the type of inject('kubeconfigPath').
import type {} from '@sluice/local-cluster/vitest-global-setup'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createTestNamespace, installCrds, loadKubeConfig } from '@sluice/local-cluster'
import type { TestNamespace } from '@sluice/local-cluster'
import { createKubeApi } from '@sluice/kube'
import type { ClusterKubeApi } from '@sluice/kube'
import type { KubeObject, Rollout } from '@sluice/core'
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig } from '@kubernetes/client-node'
import { parseAllDocuments, stringify } from 'yaml'

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url))
const controllerMain = fileURLToPath(new URL('../../src/main.ts', import.meta.url))
export const rolloutCrd = fileURLToPath(new URL('../../chart/files/crds/rollouts.argoproj.io.yaml', import.meta.url))

export interface ControllerProcess {
  readonly child: ChildProcess
  readonly identity: string
  /** Every log line so far (JSON objects). */
  lines(): Record<string, unknown>[]
  /** Resolves with the first log line that matches. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>
  /** The /metrics text. */
  metrics(): Promise<string>
  /** SIGTERM (graceful) or SIGKILL (crash); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface Env {
  kc: KubeConfig
  kubeconfigPath: string
  api: ClusterKubeApi
  namespace: string
  ns: TestNamespace
  controllers: ControllerProcess[]
}

/** A fresh namespace with the Rollout CRD installed. */
export async function setUp(kubeconfigPath: string, prefix: string, crds: string[] = []): Promise<Env> {
  const kc = loadKubeConfig(kubeconfigPath)
  await installCrds(kc, [rolloutCrd, ...crds])
  const ns = await createTestNamespace(kc, prefix)
  return { kc, kubeconfigPath, api: createKubeApi(kc, { userAgent: 'sluice-e2e' }), namespace: ns.name, ns, controllers: [] }
}

export async function tearDown(env: Env | undefined): Promise<void> {
  if (!env) return
  await Promise.all(env.controllers.map((c) => c.stop('SIGKILL')))
  await env.ns.delete()
}

export interface StartOptions {
  identity?: string
  leaderElect?: boolean
  leaseDurationSeconds?: number
  extraArgs?: string[]
}

/** Starts the controller as a child process watching the test namespace; resolves once its caches synced. */
export async function startController(env: Env, options: StartOptions = {}): Promise<ControllerProcess> {
  const identity = options.identity ?? `e2e-${env.controllers.length + 1}`
  const args = [
    '--conditions=@sluice/source',
    controllerMain,
    '--kubeconfig',
    env.kubeconfigPath,
    '--namespace',
    env.namespace,
    '--http-addr',
    '127.0.0.1:0',
    '--identity',
    identity,
    '--leader-elect',
    String(options.leaderElect ?? false),
    '--leader-election-namespace',
    env.namespace,
    '--lease-duration',
    String(options.leaseDurationSeconds ?? 15),
    '--verify-retry',
    '1',
    ...(options.extraArgs ?? []),
  ]
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: Record<string, unknown>[] = []
  const waiters: { predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = []
  let buffer = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let newline = buffer.indexOf('\n')
    while (newline >= 0) {
      const text = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      newline = buffer.indexOf('\n')
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text) as Record<string, unknown>
      } catch {
        line = { msg: text }
      }
      lines.push(line)
      for (const w of [...waiters]) {
        if (w.predicate(line)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      }
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const waitForLog = (predicate: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 60_000) => {
    const found = lines.find(predicate)
    if (found) return Promise.resolve(found)
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`controller ${identity}: no log line ${what} within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs)
      waiters.push({
        predicate,
        resolve: (l) => {
          clearTimeout(timer)
          resolve(l)
        },
      })
      void exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`controller ${identity} exited (${code}) before ${what}; stderr: ${stderr.slice(-2000)}`))
      })
    })
  }
  const started = await waitForLog((l) => l.msg === 'started', '"started"', 90_000)
  const port = started.port as number
  const controller: ControllerProcess = {
    child,
    identity,
    lines: () => lines,
    waitForLog,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      return exited
    },
  }
  env.controllers.push(controller)
  return controller
}

/** Creates every object of a multi-document YAML text in the test namespace. */
export async function apply(env: Env, yaml: string): Promise<KubeObject[]> {
  const objects = parseAllDocuments(yaml)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
  const created: KubeObject[] = []
  for (const object of objects) {
    object.metadata = { ...object.metadata, namespace: env.namespace }
    created.push(await env.api.create(object))
  }
  return created
}

export const rolloutRef = (env: Env, name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: env.namespace, name })

export async function getRollout(env: Env, name: string): Promise<Rollout> {
  const rollout = await env.api.get<Rollout>(rolloutRef(env, name))
  if (!rollout) throw new Error(`rollout ${env.namespace}/${name} not found`)
  return rollout
}

/** Polls (every 100 ms) until `check` returns a value; the error names what was awaited and the last state seen. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last error: ${(last as Error).message}` : ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Waits until the Rollout satisfies `predicate`; returns it. */
export function rolloutWhere(env: Env, name: string, what: string, predicate: (r: Rollout) => boolean, timeoutMs?: number): Promise<Rollout> {
  let last: Rollout | undefined
  return eventually(
    `rollout ${name}: ${what}`,
    async () => {
      last = await getRollout(env, name)
      return predicate(last) ? last : undefined
    },
    timeoutMs,
  ).catch((error: unknown) => {
    const status = last?.status
    throw new Error(
      `${(error as Error).message}\n  last status: phase=${status?.phase} message=${status?.message} step=${status?.currentStepIndex} stable=${status?.stableRS} current=${status?.currentPodHash} weights=${JSON.stringify(status?.canary?.weights)}`,
    )
  })
}

export interface ReplicaSetView {
  name: string
  hash: string
  replicas: number
  available: number
  deadline?: string
}

export async function replicaSets(env: Env, rolloutName: string): Promise<ReplicaSetView[]> {
  const rollout = await getRollout(env, rolloutName)
  const all = await env.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: env.namespace })
  return all
    .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === rollout.metadata.uid))
    .map((rs) => {
      const view: ReplicaSetView = {
        name: rs.metadata.name ?? '',
        hash: rs.metadata.labels?.['rollouts-pod-template-hash'] ?? '',
        replicas: (rs.spec as { replicas?: number }).replicas ?? 0,
        available: (rs.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0,
      }
      const deadline = rs.metadata.annotations?.['scale-down-deadline']
      if (deadline) view.deadline = deadline
      return view
    })
}

/** `{canaryHash: replicas/available, ...}` keyed by role, for compact assertions. */
export async function pods(env: Env, rolloutName: string): Promise<{ canary: string; stable: string; others: string }> {
  const rollout = await getRollout(env, rolloutName)
  const sets = await replicaSets(env, rolloutName)
  const show = (rs: ReplicaSetView | undefined) => (rs ? `${rs.replicas}/${rs.available}` : '-')
  const canary = sets.find((rs) => rs.hash === rollout.status?.currentPodHash)
  const stable = sets.find((rs) => rs.hash === rollout.status?.stableRS)
  const others = sets.filter((rs) => rs !== canary && rs !== stable).map(show).join(',')
  return { canary: show(canary), stable: show(stable), others }
}

export async function serviceSelectorHash(env: Env, service: string): Promise<string | undefined> {
  const svc = await env.api.get({ apiVersion: 'v1', kind: 'Service', namespace: env.namespace, name: service })
  return (svc?.spec as { selector?: Record<string, string> } | undefined)?.selector?.['rollouts-pod-template-hash']
}

/** Events (events.k8s.io/v1) about an object, oldest first: `reason: note` with their counts. */
export async function eventsFor(env: Env, name: string): Promise<{ type: string; reason: string; note: string; count: number }[]> {
  const events = await env.api.list({ apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: env.namespace })
  return events
    .filter((e) => (e.regarding as { name?: string } | undefined)?.name === name)
    .sort((a, b) => String(a.eventTime ?? a.metadata.creationTimestamp).localeCompare(String(b.eventTime ?? b.metadata.creationTimestamp)))
    .map((e) => ({
      type: String(e.type),
      reason: String(e.reason),
      note: String(e.note ?? ''),
      count: (e.series as { count?: number } | undefined)?.count ?? 1,
    }))
}

/** Normal Event writes a Rollout gets in a burst (client-go's spam filter, which Argo Rollouts has too). */
export const EVENT_BURST = 25

/**
 * Waits until the Events of `reason` about Rollout `rollout` include every note of `notes`, or, in
 * a scenario long enough to spend the Rollout's burst of Normal Events, as many of them as the burst
 * left room for; the first `always` notes are never allowed to be missing. Every note seen must be
 * one of `notes`, and the Rollout's Normal Events never add up to more than the burst plus one
 * token per 5 minutes. Returns the notes seen.
 */
export function eventNotesInclude(e: Env, rollout: string, reason: string, notes: readonly string[], always = 2): Promise<string[]> {
  const started = Date.now()
  return eventually(
    `${reason} Events ${JSON.stringify(notes)}`,
    async () => {
      const events = await eventsFor(e, rollout)
      const normal = events.filter((ev) => ev.type === 'Normal').reduce((sum, ev) => sum + ev.count, 0)
      const refilled = Math.floor((Date.now() - started) / 300_000) + 1
      if (normal > EVENT_BURST + refilled) throw new Error(`${normal} Normal Events about ${rollout}, more than the burst of ${EVENT_BURST}`)
      const seen = events.filter((ev) => ev.reason === reason).map((ev) => ev.note)
      const foreign = seen.filter((n) => !notes.includes(n))
      if (foreign.length > 0) throw new Error(`unexpected ${JSON.stringify(foreign)}`)
      const missing = notes.filter((n, i) => !seen.includes(n) && (i < always || normal < EVENT_BURST))
      if (missing.length > 0) throw new Error(`missing ${JSON.stringify(missing)}; there are ${JSON.stringify(seen)}`)
      return seen
    },
    30_000,
  )
}

export async function setImage(env: Env, name: string, image: string): Promise<void> {
  const rollout = await getRollout(env, name)
  const containers = (rollout.spec.template?.spec?.containers ?? []).map((c, i) => (i === 0 ? { ...c, image } : c))
  await env.api.mergePatch(rolloutRef(env, name), { spec: { template: { spec: { containers } } } })
}

export { installCrds }
export { record, recordChanges, timeline, transitions, writersOf } from './recorders.ts'
export type { Change, Moment, Recorder } from './recorders.ts'

/** Changes the image and waits until the controller has taken the new template (status.currentPodHash moved). */
export async function updateImage(env: Env, name: string, image: string): Promise<string> {
  const before = (await getRollout(env, name)).status?.currentPodHash
  await setImage(env, name, image)
  const r = await rolloutWhere(env, name, `new template of ${image} observed`, (x) => x.status?.currentPodHash !== undefined && x.status.currentPodHash !== before)
  return r.status?.currentPodHash ?? ''
}

/**
 * YAML of the Services the tests route through: `web-stable` and `web-canary` (or `names`), selecting
 * the pods of app `web` on port 80 (named `http`); `nodePort` for the ALB, whose target groups need one.
 */
export function servicesYaml(options: { names?: string[]; nodePort?: boolean } = {}): string {
  const names = options.names ?? ['web-stable', 'web-canary']
  const type = options.nodePort ? 'type: NodePort, ' : ''
  return names.map((name) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}}\nspec: {${type}selector: {app: web}, ports: [{name: http, port: 80}]}\n`).join('---\n')
}

/**
 * YAML of a Rollout of app `web` (image web:1): `canary` is the body of `spec.strategy.canary`,
 * written at column 0 (it is indented here).
 */
export function rolloutYaml(canary: string, options: { name?: string; replicas?: number } = {}): string {
  const body = canary
    .replace(/^\n+|\s+$/g, '')
    .split('\n')
    .map((line) => (line ? `      ${line}` : line))
    .join('\n')
  return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: ${options.name ?? 'web'}}
spec:
  replicas: ${options.replicas ?? 4}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
  strategy:
    canary:
${body}
`
}

export type EventView = Awaited<ReturnType<typeof eventsFor>>[number]

/**
 * The Events about an object once `ready` holds for them. The controller records Events after the
 * status write, asynchronously, so a test that just saw a state waits for its Events rather than
 * reading them at once.
 */
export function eventsWhere(env: Env, name: string, what: string, ready: (events: EventView[]) => boolean): Promise<EventView[]> {
  return eventually(`Events of ${name}: ${what}`, async () => {
    const events = await eventsFor(env, name)
    return ready(events) ? events : undefined
  })
}

let helmPath: Promise<string> | undefined

/** Path of the helm CLI, built from its Go module into the cache on a fresh machine (tools/helm/build.sh, minutes). */
export function helmBinary(): Promise<string> {
  helmPath ??= new Promise((resolve, reject) => {
    const child = spawn('bash', [fileURLToPath(new URL('../../../../tools/helm/build.sh', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n').pop() ?? '') : reject(new Error(`tools/helm/build.sh exited ${code}`))))
  })
  return helmPath
}

/**
 * A kubeconfig file that holds nothing but a token of ServiceAccount `namespace/name`, for running the
 * controller with exactly the rights an installation grants it.
 */
export async function serviceAccountKubeconfig(admin: KubeConfig, namespace: string, name: string): Promise<string> {
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  })
  const cluster = admin.getCurrentCluster()
  const caData = cluster?.caData ?? (cluster?.caFile ? Buffer.from(await readFile(cluster.caFile)).toString('base64') : '')
  const file = join(await mkdtemp(join(tmpdir(), 'sluice-sa-')), 'kubeconfig')
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cluster?.server, 'certificate-authority-data': caData } }],
      users: [{ name, user: { token: token.status?.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'local', user: name } }],
      'current-context': 'sa',
    }),
  )
  return file
}
