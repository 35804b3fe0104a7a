/**
 * The chaos suite: a local control plane of its own (its API server and etcd get restarted, so never
 * the shared one), the CRDs of every router, a long-lived "witness" controller that plays every
 * fault-free run (its memory over the whole suite is the growth figure), and for each seed the
 * fault-free run followed by the faulted run of the same scenario, judged against it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeClient, loadCredentials, sleep } from '@sluice/bench/kube'
import { installCrds, loadKubeConfig, readClusterEnv, repoRoot, startCluster, stopCluster } from '@sluice/local-cluster'
import type { Violation } from './checker.ts'
import { SupervisedController } from './controllers.ts'
import { Random } from './random.ts'
import { FAULT_KINDS, runScenario } from './run.ts'
import type { ClusterRef, FaultKind, RunResult } from './run.ts'
import { excerpt, isMark } from './timeline.ts'
import type { Entry } from './timeline.ts'
import { scenarioFor } from './workload.ts'
import type { Router } from './workload.ts'

export const CRD_FILES = [
  'apps/controller/chart/files/crds/rollouts.argoproj.io.yaml',
  'packages/smi/test/crds/trafficsplit.yaml',
  'packages/istio/test/crds/virtualservice.yaml',
  'packages/istio/test/crds/destinationrule.yaml',
  'packages/ambassador/test/crds/mapping.yaml',
].map((f) => join(repoRoot, f))

export interface ChaosCluster {
  cluster: ClusterRef
  client: KubeClient
  /** The fault-free runs' controller, in its own namespace, for the whole suite. */
  witness: SupervisedController
  witnessNamespace: string
}

/** Starts a private control plane in a temp dir on free ports (stopped when this process dies), installs the CRDs and the witness. */
export async function startChaosCluster(log: (line: string) => void): Promise<ChaosCluster> {
  const dir = join(mkdtempSync(join(tmpdir(), 'sluice-chaos-cluster-')), 'cluster')
  const handle = await startCluster({ dir, portBase: 'auto', ownerPid: process.pid, onOutput: (line) => log(`[cluster] ${line}`) })
  const env = readClusterEnv(dir)
  const cluster: ClusterRef = { dir, kubeconfigPath: handle.kubeconfigPath, apiPort: Number(env.SLUICE_CLUSTER_API_PORT) }
  await installCrds(loadKubeConfig(handle.kubeconfigPath), CRD_FILES)
  const client = new KubeClient(loadCredentials(handle.kubeconfigPath), { maxSockets: 8 })
  const witnessNamespace = 'chaos-reference'
  await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: witnessNamespace } })
  while (!(await client.find(`/api/v1/namespaces/${witnessNamespace}/serviceaccounts/default`))) await sleep(200)
  const witness = new SupervisedController({ identity: 'witness', kubeconfig: handle.kubeconfigPath, namespace: witnessNamespace, leaderElect: false, leaseDurationSeconds: 15 })
  witness.start()
  return { cluster, client, witness, witnessNamespace }
}

export async function stopChaosCluster(chaos: ChaosCluster, log: (line: string) => void): Promise<void> {
  await chaos.witness.stop()
  chaos.client.close()
  await stopCluster({ dir: chaos.cluster.dir }, { onOutput: (line) => log(`[cluster] ${line}`) })
}

export interface SeedOptions {
  reactionBoundMs: number
  /** The fault kinds to draw from (default: all). */
  kinds?: readonly FaultKind[]
  routers?: readonly Router[]
  /** See RunOptions.userTiming (default 'patient'). */
  userTiming?: 'patient' | 'eager'
  /** Let the proxy answer 500 to writes it applied (default off; see ProxyFaults.ambiguousWrites). */
  ambiguousWrites?: boolean
  /** See ScenarioOptions.dynamicRollbacks (default off). */
  dynamicRollbacks?: boolean
  /** Controller replicas of the faulted run (default: 1 for odd seeds, 2 for even ones, so both kill kinds are covered). */
  replicas?: 1 | 2
  log: (line: string) => void
}

export interface SeedResult {
  seed: number
  reference: RunResult
  faulted: RunResult
  violations: Violation[]
}

/** The fault-free run of `seed`'s scenario, then its faulted run judged against it. */
export async function runSeed(chaos: ChaosCluster, seed: number, options: SeedOptions): Promise<SeedResult> {
  const scenario = scenarioFor(seed, { prefix: `s${seed}-`, dynamicRollbacks: options.dynamicRollbacks ?? false, ...(options.routers ? { routers: options.routers } : {}) })
  for (const line of scenario.rollouts.map((r) => `[seed ${seed}] ${r.name}: ${r.router} ${JSON.stringify({ replicas: r.replicas, dynamic: r.dynamicStableScale, steps: r.steps, actions: r.actions })}`)) options.log(line)
  const common = { cluster: chaos.cluster, client: chaos.client, scenario, reactionBoundMs: options.reactionBoundMs, log: options.log, userTiming: options.userTiming ?? 'patient' }
  const reference = await runScenario({ ...common, namespace: chaos.witnessNamespace, replicas: 1, sharedControllers: [chaos.witness] })
  options.log(`[seed ${seed}] fault-free run: ${(reference.durationMs / 1000).toFixed(1)} s, ${reference.violations.length} violations`)
  const random = new Random(seed).fork('faults')
  const faulted = await runScenario({
    ...common,
    namespace: `chaos-${seed}`,
    replicas: options.replicas ?? (seed % 2 === 0 ? 2 : 1),
    expected: reference.finalStates,
    faults: { kinds: options.kinds ?? FAULT_KINDS, random, background: { errorRate: 0.03, latencyRate: 0.05, maxLatencyMs: 300, goneRate: 0.3, ambiguousWrites: options.ambiguousWrites ?? false }, gapMs: [300, 2500] },
  })
  const total = Object.values(faulted.faults).reduce<number>((a, b) => a + (b ?? 0), 0)
  options.log(`[seed ${seed}] faulted run: ${(faulted.durationMs / 1000).toFixed(1)} s, ${total} faults, ${faulted.violations.length} violations`)
  return { seed, reference, faulted, violations: [...reference.violations.map((v) => ({ ...v, message: `(fault-free run) ${v.message}` })), ...faulted.violations] }
}

/** When the last object of `rollout` (named after it, as every object of a scenario's rollout is) changed. */
function lastChangeOf(timeline: readonly Entry[], rollout: string): number | undefined {
  let last: number | undefined
  for (const e of timeline) if (!isMark(e) && (e.name === rollout || e.name.startsWith(`${rollout}-`))) last = Math.max(last ?? e.at, e.at)
  return last
}

/** What a failed seed prints: the seed to replay, each violation and the timeline around it. */
export function describeFailure(result: SeedResult): string {
  const lines = [`seed ${result.seed}: ${result.violations.length} invariant violation(s); replay with: pnpm run chaos --seeds ${result.seed} (and the --eager, --ambiguous-writes, --dynamic-rollbacks switches of the run)`]
  for (const v of result.violations) {
    const run = v.message.startsWith('(fault-free run)') ? result.reference : result.faulted
    // A rollout that did not settle is judged when the wait ends, after its last change: the
    // timeline that matters is around that change.
    const atEnd = v.invariant === 'not-settled' || v.invariant === 'final-state-differs'
    const around = atEnd ? (lastChangeOf(run.timeline, v.rollout) ?? v.at) : v.at
    lines.push('', `  ${v.invariant} on ${v.rollout} at rv ${v.rv}: ${v.message}`, `  timeline of ${run.namespace} around ${atEnd ? `the last change of ${v.rollout}` : 'it'} (±3 s):`)
    for (const line of excerpt(run.timeline, around, { origin: run.startedAt })) lines.push(`    ${line}`)
  }
  for (const w of result.faulted.warnings.slice(-15)) lines.push(`  controller: ${w}`)
  return lines.join('\n')
}
