/**
 * One run of a scenario on a real local control plane: the namespace, the objects, the controller
 * (as real processes behind the fault proxy), the recorder; every Rollout deployed and Healthy, then
 * armed and updated; the scenario's user actions taken as each rollout reaches their step, while the
 * fault injector (for a faulted run) picks a fault at random moments; then faults off, every rollout
 * settled, and the timeline judged. A fault-free run of the same scenario gives the final states the
 * faulted run must end in.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeError, sleep } from '@sluice/bench/kube'
import type { KubeClient } from '@sluice/bench/kube'
import { checkFinalStates, checkTimeline, finalStateOf } from './checker.ts'
import type { ClusterState, FinalState, Violation } from './checker.ts'
import { restartComponent } from './cluster-faults.ts'
import type { Component } from './cluster-faults.ts'
import { SupervisedController } from './controllers.ts'
import { FaultProxy, NO_FAULTS } from './fault-proxy.ts'
import type { ProxyFaults } from './fault-proxy.ts'
import type { Random } from './random.ts'
import { KIND_PATHS, Recorder } from './recorder.ts'
import type { Entry, Mark, ObservedKind, RolloutView } from './timeline.ts'
import { POD_TEMPLATE_HASH, serviceNameOf } from './views.ts'
import { collectionPath, describeScenario, manifests } from './workload.ts'
import type { RolloutScenario, Scenario, UserAction } from './workload.ts'

export const FAULT_KINDS = [
  'controller-sigkill',
  'controller-sigterm',
  'leader-sigkill',
  'apiserver-restart',
  'etcd-restart',
  'watch-drop',
  'watch-stall',
  'proxy-error-burst',
  'edit-weight',
  'edit-service',
  'edit-replicaset',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

export interface FaultPlan {
  kinds: readonly FaultKind[]
  random: Random
  /** Error and latency rates of the proxy for the whole faulted phase. */
  background: ProxyFaults
  /** Pause between two faults (ms), drawn uniformly. */
  gapMs: [number, number]
  /**
   * Keep injecting, after the scenario's last user action, until every kind has been injected once
   * (kinds are dealt from a shuffled deck, so each cycle holds every kind once). Default true.
   */
  coverEveryKind?: boolean
}

export interface ClusterRef {
  dir: string
  kubeconfigPath: string
  apiPort: number
}

export interface RunOptions {
  cluster: ClusterRef
  /** Talks to the API server directly (never through the proxy). */
  client: KubeClient
  scenario: Scenario
  namespace: string
  /** Undefined: the fault-free run. */
  faults?: FaultPlan
  /** Controller processes (leader election decides the writer). */
  replicas: 1 | 2
  leaseDurationSeconds?: number
  reactionBoundMs: number
  controllerEnv?: Record<string, string>
  /**
   * Controllers started by the caller (they outlive the run; the soak's fault-free runs share one to
   * measure its memory over the hour). The namespace then exists already and is kept; the run deletes
   * its own objects at the end.
   */
  sharedControllers?: SupervisedController[]
  /** Final states of the fault-free run; when given, the run is judged against them. */
  expected?: Record<string, FinalState>
  /**
   * When the scenario's user acts: 'patient' once the rollout has reached the action's step and no
   * ReplicaSet of it is scaling (every one has exactly its spec.replicas ready, no pod terminating);
   * 'eager' as soon as the step is reached, while ReplicaSets may still be scaling (exposes the
   * races reported in tools/chaos/README.md). Default 'patient'.
   */
  userTiming?: 'patient' | 'eager'
  /** ms one rollout may take for each of its waits (deploy, an action's step, settling). */
  waitTimeoutMs?: number
  log?: (line: string) => void
}

export interface Recoveries {
  /** Controller process (re)started → its first reconcile. */
  restartToReconcile: number[]
  /** API server ready again → the controller's first successful write. */
  apiServerToWrite: number[]
  /** etcd back and the API server ready → the controller's first successful write. */
  etcdToWrite: number[]
  /** Leader killed → a replica holds the Lease again (the other one, or the killed one restarted). */
  leaderTakeover: number[]
}

export interface RunResult {
  seed: number
  namespace: string
  faulted: boolean
  scenario: string[]
  startedAt: number
  durationMs: number
  violations: Violation[]
  timeline: Entry[]
  finalStates: Record<string, FinalState>
  faults: Partial<Record<FaultKind | string, number>>
  recoveries: Recoveries
  controllers: SupervisedController[]
  warnings: string[]
}

export async function runScenario(options: RunOptions): Promise<RunResult> {
  const log = options.log ?? (() => {})
  const { client, namespace, scenario } = options
  const startedAt = Date.now()
  const waitMs = options.waitTimeoutMs ?? 120_000
  const recoveries: Recoveries = { restartToReconcile: [], apiServerToWrite: [], etcdToWrite: [], leaderTakeover: [] }
  const faultCounts: Record<string, number> = {}
  const violations: Violation[] = []

  const shared = options.sharedControllers !== undefined
  if (!shared) await createNamespace(client, namespace)
  const proxy = new FaultProxy({ clusterDir: options.cluster.dir, apiPort: options.cluster.apiPort, random: (options.faults?.random ?? seedless()).fork('proxy') })
  await proxy.listen()
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'sluice-chaos-')), 'controller.kubeconfig')
  writeFileSync(kubeconfig, proxy.kubeconfig(options.cluster.kubeconfigPath), { mode: 0o600 })

  const recorder = new Recorder(client, namespace)
  await recorder.start()
  const controllers = options.sharedControllers ?? Array.from(
    { length: options.replicas },
    (_, i) =>
      new SupervisedController({
        identity: `chaos-${i + 1}`,
        kubeconfig,
        namespace,
        leaderElect: true,
        leaseDurationSeconds: options.leaseDurationSeconds ?? 4,
        ...(options.controllerEnv ? { env: options.controllerEnv } : {}),
      }),
  )
  if (!shared) for (const c of controllers) c.start()

  let stopFaults = () => {}
  let faultLoop: Promise<void> = Promise.resolve()
  try {
    for (const rollout of scenario.rollouts) for (const object of manifests(rollout, namespace)) await retrying(() => client.post(collectionPath(object), object), 'create')
    await Promise.all(scenario.rollouts.map((r) => recorder.waitFor(`${r.name} deployed and Healthy`, (s) => isHealthyOn(s, r, undefined), waitMs)))
    const initialHash = Object.fromEntries(scenario.rollouts.map((r) => [r.name, recorder.state.rollouts.get(r.name)?.status.stableRS]))
    log(`[${namespace}] ${scenario.rollouts.length} rollouts Healthy after ${((Date.now() - startedAt) / 1000).toFixed(1)} s; updating`)
    for (const r of scenario.rollouts) recorder.mark({ type: 'arm', rollout: r.name })

    if (options.faults) {
      proxy.faults = options.faults.background
      const injector = new FaultInjector({ ...options, faults: options.faults, proxy, recorder, controllers, recoveries, counts: faultCounts, log })
      stopFaults = () => injector.stop()
      faultLoop = injector.run()
    }

    for (const r of scenario.rollouts) {
      recorder.mark({ type: 'action', rollout: r.name, what: 'image app:2' })
      await retrying(() => client.mergePatch(`${KIND_PATHS.Rollout(namespace)}/${r.name}`, { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } }), 'update')
    }
    await Promise.all(scenario.rollouts.map((r) => drive(r, { client, namespace, recorder, initialHash: initialHash[r.name], waitMs, patient: options.userTiming !== 'eager' })))
    log(`[${namespace}] every user action taken after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`)
  } catch (error) {
    violations.push({ invariant: 'not-settled', rollout: '*', at: Date.now(), rv: recorder.lastRv, message: `the scenario did not complete: ${(error as Error).message}` })
  } finally {
    stopFaults()
    await faultLoop
    proxy.faults = NO_FAULTS
  }

  // Faults off: every rollout must reach its ending and stay there for 2 s.
  const settled = await Promise.allSettled(scenario.rollouts.map((r) => waitSteady(recorder, `${r.name} settled (${r.ending})`, (s) => isSettled(s, r), 2000, waitMs)))
  settled.forEach((outcome, i) => {
    const r = scenario.rollouts[i] as RolloutScenario
    if (outcome.status === 'rejected') {
      const view = recorder.state.rollouts.get(r.name)
      violations.push({ invariant: 'not-settled', rollout: r.name, at: Date.now(), rv: recorder.lastRv, message: `${(outcome.reason as Error).message}; last status: ${JSON.stringify(view?.status)}` })
    }
  })

  if (!shared) for (const c of controllers) await c.stop()
  await recorder.stop()
  await proxy.close()

  const timeline = recorder.entries
  violations.push(...checkTimeline(timeline, { reactionBoundMs: options.reactionBoundMs }))
  const finalStates: Record<string, FinalState> = {}
  for (const r of scenario.rollouts) {
    const state = finalStateOf(timeline, r.name)
    if (state) finalStates[r.name] = state
  }
  if (options.expected) violations.push(...checkFinalStates(options.expected, timeline, Date.now()))
  if (shared) await deleteObjects(client, scenario, namespace)
  else await deleteNamespace(client, namespace)
  return {
    seed: scenario.seed,
    namespace,
    faulted: options.faults !== undefined,
    scenario: scenario.rollouts.map(describeScenario),
    startedAt,
    durationMs: Date.now() - startedAt,
    violations,
    timeline,
    finalStates,
    faults: { ...faultCounts, ...prefixed(proxy.injected) },
    recoveries,
    controllers,
    warnings: controllers.flatMap((c) => c.warnings),
  }
}

function prefixed(injected: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(injected).filter(([, n]) => n > 0).map(([k, n]) => [`proxy ${k}`, n]))
}

/** A stand-in random source for fault-free runs, whose proxy never draws a fault. */
function seedless(): Random {
  return { next: () => 1, int: (min: number) => min, pick: <T>(items: readonly T[]) => items[0] as T, chance: () => false, fork: () => seedless() } as unknown as Random
}

// ---------------------------------------------------------------------------------------------------
// The scenario's user actions

interface DriveDeps {
  client: KubeClient
  namespace: string
  recorder: Recorder
  initialHash: string | undefined
  waitMs: number
  patient: boolean
}

async function drive(r: RolloutScenario, deps: DriveDeps): Promise<void> {
  const { client, namespace, recorder } = deps
  const path = `${KIND_PATHS.Rollout(namespace)}/${r.name}`
  let updateHash = deps.initialHash
  // The Rollout version of our last write: triggers look only at statuses written after it.
  let since = recorder.lastRv
  const current = (s: ClusterState) => s.rollouts.get(r.name)
  const newUpdate = (view: RolloutView | undefined) => view !== undefined && view.status.currentPodHash !== undefined && view.status.currentPodHash !== updateHash
  for (const action of r.actions) {
    const reached = (s: ClusterState) => {
      const view = current(s)
      if (!view || latestRolloutRv(recorder, r.name) <= since) return false
      if (deps.patient && !isSteady(s, r.name)) return false
      if (action.type === 'retry') return view.status.abort && isAbortSettled(s, r, view)
      return newUpdate(view) && !view.status.abort && (view.status.currentStepIndex ?? 0) >= action.atStep && (action.type !== 'promote' || view.status.pauseStartTime !== undefined)
    }
    await recorder.waitFor(`${r.name}: ${describeAction(action)}`, reached, deps.waitMs)
    const hashBefore = current(recorder.state)?.status.currentPodHash
    recorder.mark({ type: 'action', rollout: r.name, what: describeAction(action) })
    const written = await retrying(() => write(client, path, action), describeAction(action))
    since = Number((written as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? recorder.lastRv)
    if (action.type === 'set-image') {
      updateHash = hashBefore
      await recorder.waitFor(`${r.name}: the new template observed`, (s) => newUpdate(current(s)), deps.waitMs)
    }
    if (action.type === 'retry') updateHash = deps.initialHash
  }
}

function latestRolloutRv(recorder: Recorder, name: string): number {
  for (let i = recorder.entries.length - 1; i >= 0; i--) {
    const e = recorder.entries[i] as Entry
    if (!('mark' in e) && e.kind === 'Rollout' && e.name === name) return e.rv
  }
  return 0
}

function describeAction(action: UserAction): string {
  switch (action.type) {
    case 'abort':
      return `abort at step ${action.atStep}`
    case 'retry':
      return 'retry once the abort settled'
    case 'promote':
      return `promote the pause of step ${action.atStep}`
    case 'set-image':
      return `image ${action.image} at step ${action.atStep}`
    case 'scale':
      return `replicas ${action.replicas} at step ${action.atStep}`
  }
}

/** The write a user (kubectl argo rollouts, sluice) makes for the action. */
function write(client: KubeClient, path: string, action: UserAction): Promise<unknown> {
  switch (action.type) {
    case 'abort':
      return client.mergePatch(`${path}/status`, { status: { abort: true } })
    case 'retry':
      return client.mergePatch(`${path}/status`, { status: { abort: false } })
    case 'promote':
      return client.mergePatch(`${path}/status`, { status: { pauseConditions: null } })
    case 'set-image':
      return client.mergePatch(path, { spec: { template: { spec: { containers: [{ name: 'app', image: action.image }] } } } })
    case 'scale':
      return client.mergePatch(path, { spec: { replicas: action.replicas } })
  }
}

// ---------------------------------------------------------------------------------------------------
// States the scenario waits for

function replicaSetsOf(s: ClusterState, rollout: string) {
  return [...s.replicaSets.values()].filter((rs) => rs.owner === rollout)
}

/** No ReplicaSet of the rollout is scaling: each has exactly spec.replicas pods, all ready, none terminating, and says so in its status. */
function isSteady(s: ClusterState, rollout: string): boolean {
  for (const rs of replicaSetsOf(s, rollout)) {
    if (rs.readyReplicas !== rs.replicas || rs.availableReplicas !== rs.replicas) return false
    let pods = 0
    for (const pod of s.pods.values()) {
      if (pod.labels[POD_TEMPLATE_HASH] !== rs.hash) continue
      if (pod.deleting || !pod.ready) return false
      pods++
    }
    if (pods !== rs.replicas) return false
  }
  return true
}

function isHealthyOn(s: ClusterState, r: RolloutScenario, hash: string | undefined): boolean {
  const view = s.rollouts.get(r.name)
  if (!view) return false
  const st = view.status
  if (st.phase !== 'Healthy' || st.abort || !st.stableRS || st.stableRS !== st.currentPodHash || (hash !== undefined && st.stableRS !== hash)) return false
  return s.capacity(r.name, view.stableService) >= view.replicas && s.canaryWeight(view) === 0 && s.splits(view).length > 0
}

function isAbortSettled(s: ClusterState, r: RolloutScenario, view: RolloutView): boolean {
  const canary = replicaSetsOf(s, r.name).filter((rs) => rs.hash === view.status.currentPodHash)
  return s.canaryWeight(view) === 0 && canary.every((rs) => rs.replicas === 0) && s.capacity(r.name, view.stableService) >= view.replicas
}

function isSettled(s: ClusterState, r: RolloutScenario): boolean {
  const view = s.rollouts.get(r.name)
  if (!view) return false
  if (r.ending === 'aborted') return view.status.abort && isAbortSettled(s, r, view)
  if (!isHealthyOn(s, r, undefined)) return false
  return replicaSetsOf(s, r.name).every((rs) => rs.hash === view.status.stableRS || rs.replicas === 0)
}

/** Resolves once `check` has held for `steadyMs` without a break. */
async function waitSteady(recorder: Recorder, what: string, check: (s: ClusterState) => boolean, steadyMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    await recorder.waitFor(what, check, Math.max(1, deadline - Date.now()))
    const since = Date.now()
    let broken = false
    const off = recorder.onEntry(() => {
      if (!check(recorder.state)) broken = true
    })
    while (!broken && Date.now() - since < steadyMs) await sleep(100)
    off()
    if (!broken) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} to hold for ${steadyMs} ms`)
  }
}

// ---------------------------------------------------------------------------------------------------
// Faults

interface InjectorDeps extends RunOptions {
  faults: FaultPlan
  proxy: FaultProxy
  recorder: Recorder
  controllers: SupervisedController[]
  recoveries: Recoveries
  counts: Record<string, number>
  log: (line: string) => void
}

class FaultInjector {
  readonly #d: InjectorDeps
  #stopped = false
  #wake: () => void = () => {}

  constructor(deps: InjectorDeps) {
    this.#d = deps
  }

  /** Asks the loop to end: at once, or (coverEveryKind) once every kind has been injected. */
  stop(): void {
    this.#stopped = true
    this.#wake()
  }

  async run(): Promise<void> {
    const { random, gapMs, kinds } = this.#d.faults
    const usable = kinds.filter((k) => (k === 'leader-sigkill' ? this.#d.controllers.length > 1 : true))
    const cover = this.#d.faults.coverEveryKind ?? true
    const injected = new Set<FaultKind>()
    let deck: FaultKind[] = []
    let attempts = 0
    // Covering every kind gives up after three decks' worth of attempts (a kind may find nothing to act on).
    const done = () => this.#stopped && (!cover || usable.every((k) => injected.has(k)) || attempts > usable.length * 3)
    while (!done() && usable.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, random.int(gapMs[0], gapMs[1]))
        this.#wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      if (done()) return
      if (deck.length === 0) deck = shuffle(usable, random)
      const kind = deck.pop() as FaultKind
      attempts++
      try {
        const what = await this.#inject(kind)
        if (what) {
          injected.add(kind)
          this.#d.counts[kind] = (this.#d.counts[kind] ?? 0) + 1
          this.#d.log(`[${this.#d.namespace}] fault: ${what}`)
        }
      } catch (error) {
        this.#d.log(`[${this.#d.namespace}] fault ${kind} failed: ${(error as Error).message}`)
        this.#mark({ type: 'fault', what: `${kind} failed: ${(error as Error).message}` })
      }
    }
  }

  #mark(mark: Mark): void {
    this.#d.recorder.mark(mark)
  }

  /** Waits (bounded) until a controller holds the Lease and has reconciled after `since`; returns when, or undefined. */
  async #leaderReconciledAfter(since: number, timeoutMs = 60_000): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      for (const c of this.#d.controllers) {
        const life = c.current
        if (life && life.exitedAt === undefined && life.firstReconcileAt !== undefined && life.firstReconcileAt >= since && c.isLeading) return life.firstReconcileAt
        if (life && life.exitedAt === undefined && c.isLeading && life.leadingAt !== undefined && life.leadingAt >= since && life.firstReconcileAt !== undefined) return life.firstReconcileAt
      }
      // A leader that survived the fault reconciles only when something changes: its next write counts.
      const write = this.#d.proxy.writes.find((t) => t >= since)
      if (write !== undefined && this.#d.controllers.some((c) => c.isLeading)) return write
      await sleep(100)
    }
    return undefined
  }

  async #inject(kind: FaultKind): Promise<string | undefined> {
    const d = this.#d
    const random = d.faults.random
    switch (kind) {
      case 'controller-sigkill':
      case 'controller-sigterm':
      case 'leader-sigkill': {
        const signal: NodeJS.Signals = kind === 'controller-sigterm' ? 'SIGTERM' : 'SIGKILL'
        const live = d.controllers.filter((c) => c.pid !== undefined)
        const target = kind === 'leader-sigkill' ? live.find((c) => c.isLeading) : live.length > 0 ? random.pick(live) : undefined
        if (!target) return undefined
        const wasLeading = target.isLeading || d.controllers.length === 1
        const why = `${signal} ${target.options.identity}`
        this.#mark({ type: 'fault', what: why })
        if (wasLeading) this.#mark({ type: 'impaired', on: true, why })
        const killedAt = Date.now()
        await target.kill(signal)
        if (wasLeading) {
          const back = await this.#leaderReconciledAfter(killedAt)
          this.#mark({ type: 'impaired', on: false, why })
          if (d.controllers.length > 1) {
            // Whichever replica leads first after the kill: the other one, or the killed one restarted
            // (it races the other for the expired Lease, and wins about as often under load).
            const leadingSince = d.controllers.map((c) => c.current?.leadingAt).filter((at): at is number => at !== undefined && at >= killedAt)
            if (leadingSince.length > 0) d.recoveries.leaderTakeover.push(Math.min(...leadingSince) - killedAt)
          }
          if (back === undefined) this.#mark({ type: 'fault', what: `${why}: no leader reconciled within 60 s` })
        }
        // The restarted process's own start → first reconcile, once it is the one leading.
        const restarted = await waitUntil(() => (target.current && target.current.spawnedAt >= killedAt ? target.current : undefined), 15_000)
        if (restarted && d.controllers.length === 1) {
          await waitUntil(() => restarted.firstReconcileAt, 60_000)
          if (restarted.firstReconcileAt !== undefined) d.recoveries.restartToReconcile.push(restarted.firstReconcileAt - restarted.spawnedAt)
        }
        return `${why} (${wasLeading ? 'leader' : 'follower'})`
      }
      case 'apiserver-restart':
      case 'etcd-restart': {
        const component: Component = kind === 'apiserver-restart' ? 'kube-apiserver' : 'etcd'
        const signal: NodeJS.Signals = random.pick(['SIGTERM', 'SIGKILL'] as const)
        const downMs = random.int(500, component === 'etcd' ? 3000 : 4000)
        const why = `${component} ${signal}, down ${downMs} ms`
        this.#mark({ type: 'fault', what: why })
        this.#mark({ type: 'impaired', on: true, why })
        try {
          const restart = await restartComponent(d.cluster.dir, component, { signal, downMs, client: d.client })
          const firstWrite = await waitUntil(() => d.proxy.writes.find((t) => t >= restart.readyAt), 60_000)
          if (firstWrite !== undefined) (component === 'etcd' ? d.recoveries.etcdToWrite : d.recoveries.apiServerToWrite).push(firstWrite - restart.readyAt)
          // Lost Leases restart the controllers: impaired until one leads and has reconciled again.
          await this.#leaderReconciledAfter(restart.stoppedAt)
        } finally {
          this.#mark({ type: 'impaired', on: false, why })
        }
        return why
      }
      case 'watch-drop': {
        const n = d.proxy.dropWatches(random.next() * 0.5 + 0.5)
        this.#mark({ type: 'fault', what: `${n} watches of the controller dropped` })
        return `${n} watches dropped`
      }
      case 'watch-stall': {
        const ms = random.int(2000, 8000)
        const why = `the controller's watches stalled for ${ms} ms`
        this.#mark({ type: 'fault', what: why })
        this.#mark({ type: 'impaired', on: true, why })
        const n = d.proxy.stallWatches(ms)
        await sleep(ms + 1000)
        this.#mark({ type: 'impaired', on: false, why })
        return `${n} watches stalled ${ms} ms`
      }
      case 'proxy-error-burst': {
        const ms = random.int(2000, 6000)
        const burst: ProxyFaults = { ...d.faults.background, errorRate: 0.3 + random.next() * 0.3, latencyRate: 0.5, maxLatencyMs: 800, goneRate: 0.8 }
        const why = `API errors ${(burst.errorRate * 100).toFixed(0)} % for ${ms} ms`
        this.#mark({ type: 'fault', what: why })
        this.#mark({ type: 'impaired', on: true, why })
        const before = d.proxy.faults
        d.proxy.faults = burst
        await sleep(ms)
        d.proxy.faults = before
        // The work queue's per-key backoff may hold a rollout back for about as long again.
        await sleep(Math.min(ms, 3000))
        this.#mark({ type: 'impaired', on: false, why })
        return why
      }
      case 'edit-weight':
      case 'edit-service':
      case 'edit-replicaset':
        return this.#edit(kind)
    }
  }

  /** An out-of-band edit of one rollout's objects, as a person or another controller would make it. */
  async #edit(kind: 'edit-weight' | 'edit-service' | 'edit-replicaset'): Promise<string | undefined> {
    const d = this.#d
    const random = d.faults.random
    const state = d.recorder.state
    const r = random.pick(d.scenario.rollouts)
    const view = state.rollouts.get(r.name)
    if (!view) return undefined
    const ns = d.namespace
    let edited: { kind: ObservedKind; name: string; object: unknown; what: string } | undefined
    if (kind === 'edit-service') {
      const service = random.pick([view.canaryService, view.stableService].filter((s): s is string => s !== undefined))
      const hash = random.pick(['chaos0', view.status.stableRS ?? 'chaos0', view.status.currentPodHash ?? 'chaos0'])
      const object = await d.client.mergePatch(`${KIND_PATHS.Service(ns)}/${service}`, { spec: { selector: { [POD_TEMPLATE_HASH]: hash } } })
      edited = { kind: 'Service', name: service, object, what: `selector hash → ${hash}` }
    } else if (kind === 'edit-replicaset') {
      const sets = [...state.replicaSets.entries()].filter(([, rs]) => rs.owner === r.name && rs.replicas > 0)
      if (sets.length === 0) return undefined
      const [name, rs] = random.pick(sets)
      const replicas = random.chance(0.7) ? random.int(0, Math.max(0, rs.replicas - 1)) : rs.replicas + random.int(1, 2)
      const object = await d.client.mergePatch(`${KIND_PATHS.ReplicaSet(ns)}/${name}`, { spec: { replicas } })
      edited = { kind: 'ReplicaSet', name, object, what: `replicas ${rs.replicas} → ${replicas}` }
    } else {
      const weight = random.pick([0, 0, 5, 30, 50, 100])
      edited = await editWeight(d.client, ns, view, weight)
      if (!edited) return undefined
    }
    const rv = Number((edited.object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? 0)
    this.#mark({ type: 'edit', kind: edited.kind, name: edited.name, rv, what: edited.what })
    return `${kind} ${edited.kind}/${edited.name}: ${edited.what}`
  }
}

/** Sets the canary weight in a rollout's mesh object behind the controller's back. */
async function editWeight(client: KubeClient, ns: string, view: RolloutView, weight: number): Promise<{ kind: ObservedKind; name: string; object: unknown; what: string } | undefined> {
  const tr = view.trafficRouting
  const canary = view.canaryService ?? ''
  const stable = view.stableService ?? ''
  const what = `canary weight → ${weight}`
  switch (tr.router) {
    case 'smi': {
      const path = `${KIND_PATHS.TrafficSplit(ns)}/${tr.trafficSplitName}`
      const object = await client.mergePatch(path, { spec: { backends: [{ service: canary, weight }, { service: stable, weight: view.maxWeight - weight }] } })
      return { kind: 'TrafficSplit', name: tr.trafficSplitName, object, what }
    }
    case 'istio': {
      const path = `${KIND_PATHS.VirtualService(ns)}/${tr.virtualService}`
      const vs = await client.get<{ spec: { http: { name?: string; route: { destination: { host: string }; weight?: number }[] }[] } }>(path)
      for (const route of vs.spec.http) {
        if (tr.routes.length > 0 && !tr.routes.includes(route.name ?? '')) continue
        for (const dest of route.route) dest.weight = serviceNameOf(dest.destination.host) === canary ? weight : view.maxWeight - weight
      }
      const object = await client.send('PUT', path, vs)
      return { kind: 'VirtualService', name: tr.virtualService, object, what }
    }
    case 'nginx': {
      const object = await client.mergePatch(`${KIND_PATHS.Ingress(ns)}/${tr.canaryIngress}`, { metadata: { annotations: { [`${tr.annotationPrefix}/canary-weight`]: String(weight) } } })
      return { kind: 'Ingress', name: tr.canaryIngress, object, what }
    }
    case 'alb': {
      const key = `${tr.annotationPrefix}/actions.${tr.actionService}`
      const ingress = await client.get<{ metadata: { annotations?: Record<string, string> } }>(`${KIND_PATHS.Ingress(ns)}/${tr.ingress}`)
      const text = ingress.metadata.annotations?.[key]
      if (!text) return undefined
      const action = JSON.parse(text) as { ForwardConfig?: { TargetGroups?: { ServiceName?: string; Weight?: number }[] } }
      for (const group of action.ForwardConfig?.TargetGroups ?? []) group.Weight = group.ServiceName === canary ? weight : view.maxWeight - weight
      const object = await client.mergePatch(`${KIND_PATHS.Ingress(ns)}/${tr.ingress}`, { metadata: { annotations: { [key]: JSON.stringify(action) } } })
      return { kind: 'Ingress', name: tr.ingress, object, what }
    }
    case 'ambassador': {
      const name = `${tr.mappings[0]}-canary`
      try {
        const object = await client.mergePatch(`${KIND_PATHS.Mapping(ns)}/${name}`, { spec: { weight: Math.max(1, weight) } })
        return { kind: 'Mapping', name, object, what: `canary weight → ${Math.max(1, weight)}` }
      } catch (error) {
        if (error instanceof KubeError && error.status === 404) return undefined
        throw error
      }
    }
    case 'none':
      return undefined
  }
}

// ---------------------------------------------------------------------------------------------------
// Plumbing

function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

async function waitUntil<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) return undefined
    await sleep(100)
  }
}

/** Retries a write of the scenario through API server outages (bounded: 90 s); conflicts and the like are not retried. */
async function retrying<T>(write: () => Promise<T>, what: string): Promise<T> {
  const deadline = Date.now() + 90_000
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (error) {
      const transient = !(error instanceof KubeError) || error.status >= 500 || error.status === 429
      if (!transient || Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`, { cause: error })
      await sleep(Math.min(1000, 100 * attempt))
    }
  }
}

async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await retrying(() => client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'sluice.dev/chaos': 'true' } } }), `namespace ${name}`)
  const deadline = Date.now() + 60_000
  while (!(await client.find(`/api/v1/namespaces/${name}/serviceaccounts/default`))) {
    if (Date.now() > deadline) throw new Error(`namespace ${name}: no default ServiceAccount after 60 s`)
    await sleep(200)
  }
}

/** Deletes the scenario's Rollouts (their ReplicaSets and pods go by garbage collection) and the objects made for them. */
async function deleteObjects(client: KubeClient, scenario: Scenario, namespace: string): Promise<void> {
  for (const r of scenario.rollouts) {
    for (const object of [...manifests(r, namespace)].reverse()) {
      const name = (object.metadata as { name: string }).name
      try {
        await client.send('DELETE', `${collectionPath(object)}/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' })
      } catch (error) {
        if (!(error instanceof KubeError && error.status === 404)) throw error
      }
    }
  }
}

async function deleteNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.send('DELETE', `/api/v1/namespaces/${name}`)
  } catch (error) {
    if (!(error instanceof KubeError && error.status === 404)) throw error
  }
}
