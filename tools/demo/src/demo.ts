/**
 * `pnpm demo`: brings the local control plane up, installs the CRDs, starts the controller, applies
 * examples/demo.yaml, changes its image and shows the rollout advancing step by step (ReplicaSets,
 * pods, weights, phase) until it is promoted. Non-interactive: the one indefinite pause is promoted
 * by the demo itself, as `sluice promote` would.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { promote } from '@sluice/client'
import type { KubeObject, Rollout } from '@sluice/core'
import { createKubeApi } from '@sluice/kube'
import type { ClusterKubeApi } from '@sluice/kube'
import { createTestNamespace, installCrds, loadKubeConfig } from '@sluice/local-cluster'
import { parseAllDocuments } from 'yaml'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const clusterDir = process.env.SLUICE_CLUSTER_DIR ?? join(root, '.cluster')
const kubeconfig = join(clusterDir, 'admin.kubeconfig')
const isTty = process.stdout.isTTY === true && !process.env.NO_COLOR && process.env.CI !== 'true'
const bold = (s: string) => (isTty ? `\x1b[1m${s}\x1b[0m` : s)
const dim = (s: string) => (isTty ? `\x1b[2m${s}\x1b[0m` : s)
const say = (s: string) => process.stdout.write(`${s}\n`)
const started = Date.now()
const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`

async function main(): Promise<number> {
  say(bold('Sluice demo: a canary rollout on a local Kubernetes control plane'))
  say(`${clock()}  1/5 starting the local control plane (etcd, kube-apiserver, controller-manager, scheduler, KWOK)`)
  say(dim('          the first run builds it from Go sources: 20-35 minutes on 2 cores; later runs start in seconds'))
  const up = spawnSync('bash', [join(root, 'tools/local-cluster/up.sh')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SLUICE_CLUSTER_DIR: clusterDir } })
  if (up.status !== 0) {
    say(`sluice demo: the local cluster did not start (exit ${up.status}); see the messages above`)
    return 1
  }
  const kc = loadKubeConfig(kubeconfig)
  const api = createKubeApi(kc, { userAgent: 'sluice-demo' })

  say(`${clock()}  2/5 installing the CRDs: argoproj.io Rollout, and SMI TrafficSplit (the demo's stand-in mesh)`)
  await installCrds(kc, [join(root, 'apps/controller/chart/files/crds/rollouts.argoproj.io.yaml'), join(root, 'packages/smi/test/crds/trafficsplit.yaml')])
  const ns = await createTestNamespace(kc, 'sluice-demo')
  const namespace = ns.name

  say(`${clock()}  3/5 starting the controller (logs: ${join(clusterDir, 'demo-controller.log')})`)
  mkdirSync(clusterDir, { recursive: true })
  const logFile = createWriteStream(join(clusterDir, 'demo-controller.log'))
  const controller = spawn(
    process.execPath,
    ['--conditions=@sluice/source', join(root, 'apps/controller/src/main.ts'), '--kubeconfig', kubeconfig, '--namespace', namespace, '--leader-elect=false', '--http-addr', '127.0.0.1:0'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  controller.stdout.pipe(logFile)
  controller.stderr.pipe(logFile)
  let controllerExited = false
  controller.once('exit', () => {
    controllerExited = true
  })
  const controllerStarted = new Promise<void>((resolve) => {
    let seen = ''
    controller.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes('"msg":"started"')) resolve()
    })
  })

  try {
    await Promise.race([controllerStarted, until(async () => false, 120_000, () => controllerExited)])
    say(`${clock()}  4/5 applying examples/demo.yaml in namespace ${namespace} and waiting for it to be Healthy`)
    const objects = parseAllDocuments(await readText(join(root, 'examples/demo.yaml')))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null)
    for (const object of objects) await api.create({ ...object, metadata: { ...object.metadata, namespace } })
    const ref = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace, name: 'demo' }
    await until(async () => (await api.get<Rollout>(ref))?.status?.phase === 'Healthy', 120_000, () => controllerExited)

    say(`${clock()}  5/5 changing the image to demo:2: watch the canary advance`)
    const view = new RolloutView(api, namespace)
    const stop = await view.watch()
    const rollout = await api.get<Rollout>(ref)
    const containers = (rollout?.spec.template?.spec?.containers ?? []).map((c) => ({ ...c, image: 'demo:2' }))
    await api.mergePatch(ref, { spec: { template: { spec: { containers } } } })
    const firstRevision = rollout?.status?.currentPodHash
    await until(async () => (await api.get<Rollout>(ref))?.status?.currentPodHash !== firstRevision, 60_000, () => controllerExited)

    let promoted = false
    await until(
      async () => {
        const r = await api.get<Rollout>(ref)
        const pauses = r?.status?.pauseConditions ?? []
        if (!promoted && pauses.length > 0 && r?.spec.strategy?.canary?.steps?.[r.status?.currentStepIndex ?? 0]?.pause?.duration === undefined) {
          promoted = true
          await sleep(2000)
          say(`${clock()}  ${bold('promote')}: the rollout waits at an indefinite pause; the demo promotes it (as \`sluice promote demo\` would)`)
          await promote(api, { namespace, name: 'demo' })
        }
        return r?.status?.phase === 'Healthy' && r.status.stableRS === r.status.currentPodHash && view.olderDrained()
      },
      300_000,
      () => controllerExited,
    )
    stop()
    say('')
    say(bold('Promoted.') + ' Reaction times of the controller (canary pods Ready → weight written), from watch events:')
    for (const line of view.reactionReport()) say(`  ${line}`)
    say('')
    say('The cluster is still up. Look around:')
    say(`  export KUBECONFIG=${kubeconfig}`)
    say(`  pnpm --silent run sluice get rollout demo -n ${namespace}`)
    say(`Stop it with: ${process.env.SLUICE_CLUSTER_DIR ? `SLUICE_CLUSTER_DIR=${clusterDir} ` : ''}pnpm run cluster:down`)
    return 0
  } finally {
    controller.kill('SIGTERM')
    await new Promise((r) => (controllerExited ? r(undefined) : controller.once('exit', r)))
    logFile.end()
  }
}

/** Prints one line per change of the rollout's state, from watches (no polling). */
class RolloutView {
  readonly #api: ClusterKubeApi
  readonly #namespace: string
  #rollout: Rollout | undefined
  readonly #sets = new Map<string, KubeObject>()
  #split: KubeObject | undefined
  #last = ''
  /** When each canary ReplicaSet size was reached, and when the weight then changed. */
  readonly #readyAt = new Map<string, number>()
  readonly #reactions: string[] = []
  #lastWeight: number | undefined

  constructor(api: ClusterKubeApi, namespace: string) {
    this.#api = api
    this.#namespace = namespace
  }

  async watch(): Promise<() => void> {
    say(dim('          time  step  phase        canary pods  stable pods  older pods  weight canary/stable'))
    const handles = await Promise.all([
      this.#api.watch<Rollout>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: this.#namespace }, {}, (e) => {
        if (e.type !== 'BOOKMARK') this.#rollout = e.object
        this.#render()
      }),
      this.#api.watch({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: this.#namespace }, {}, (e) => {
        if (e.type === 'BOOKMARK') return
        if (e.type === 'DELETED') this.#sets.delete(e.object.metadata.name ?? '')
        else this.#sets.set(e.object.metadata.name ?? '', e.object)
        this.#noteReady(e.object)
        this.#render()
      }),
      this.#api.watch({ apiVersion: 'split.smi-spec.io/v1alpha1', kind: 'TrafficSplit', namespace: this.#namespace }, {}, (e) => {
        if (e.type === 'BOOKMARK') return
        this.#split = e.object
        this.#noteWeight()
        this.#render()
      }),
    ])
    return () => handles.forEach((h) => h.abort())
  }

  olderDrained(): boolean {
    const current = this.#rollout?.status?.currentPodHash
    return [...this.#sets.values()].every((rs) => rs.metadata.labels?.['rollouts-pod-template-hash'] === current || counts(rs).replicas === 0)
  }

  reactionReport(): string[] {
    return this.#reactions.length > 0 ? this.#reactions : ['(no weight change was observed)']
  }

  #noteReady(rs: KubeObject): void {
    const { replicas, available } = counts(rs)
    const canary = rs.metadata.labels?.['rollouts-pod-template-hash'] === this.#rollout?.status?.currentPodHash
    if (canary && replicas > 0 && available === replicas) this.#readyAt.set(`${rs.metadata.name}/${replicas}`, Date.now())
  }

  #noteWeight(): void {
    const weight = canaryWeight(this.#split)
    if (weight === undefined || weight === this.#lastWeight) return
    const previous = this.#lastWeight
    this.#lastWeight = weight
    const readyTimes = [...this.#readyAt.values()]
    const lastReady = readyTimes.length > 0 ? Math.max(...readyTimes) : undefined
    if (previous !== undefined && weight > previous && lastReady !== undefined) {
      this.#reactions.push(`weight ${previous} → ${weight}: ${Date.now() - lastReady} ms after the canary pods were Ready`)
    }
  }

  #render(): void {
    const r = this.#rollout
    if (!r?.status) return
    const current = r.status.currentPodHash
    const stable = r.status.stableRS
    const show = (hash: string | undefined) => {
      const rs = [...this.#sets.values()].find((s) => s.metadata.labels?.['rollouts-pod-template-hash'] === hash)
      if (!rs) return '-'
      const { replicas, available } = counts(rs)
      return `${available}/${replicas}`
    }
    const steps = r.spec.strategy?.canary?.steps ?? []
    const index = r.status.currentStepIndex
    const weight = canaryWeight(this.#split)
    const older = [...this.#sets.values()]
      .filter((rs) => ![current, current === stable ? undefined : stable].includes(rs.metadata.labels?.['rollouts-pod-template-hash']))
      .reduce((n, rs) => n + counts(rs).replicas, 0)
    const line = [
      `${index ?? '-'}/${steps.length}`.padEnd(5),
      (r.status.phase ?? '').padEnd(12),
      show(current).padEnd(12),
      (current === stable ? '-' : show(stable)).padEnd(12),
      String(older).padEnd(11),
      weight === undefined ? '-' : `${weight}/${100 - weight}`,
      r.status.message ? dim(r.status.message) : '',
    ].join(' ')
    if (line === this.#last) return
    this.#last = line
    say(`${clock()}  ${line}`)
  }
}

function counts(rs: KubeObject): { replicas: number; available: number } {
  return {
    replicas: (rs.spec as { replicas?: number } | undefined)?.replicas ?? 0,
    available: (rs.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0,
  }
}

function canaryWeight(split: KubeObject | undefined): number | undefined {
  const backends = (split?.spec as { backends?: { service: string; weight: string | number }[] } | undefined)?.backends
  const canary = backends?.find((b) => b.service === 'demo-canary')
  return canary === undefined ? undefined : Number(canary.weight)
}

async function until(check: () => Promise<boolean>, timeoutMs: number, aborted: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (aborted()) throw new Error('the controller exited; see its log')
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s`)
    await sleep(250)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function readText(path: string): Promise<string> {
  if (!existsSync(path)) throw new Error(`${path} is missing`)
  const { readFile } = await import('node:fs/promises')
  return readFile(path, 'utf8')
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`sluice demo: ${(error as Error).message}\n`)
    process.exitCode = 1
  },
)
