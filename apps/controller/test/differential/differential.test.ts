/**
 * The differential suite: each scenario runs the same Rollout bundle under Argo Rollouts' own
 * controller (v1.10.2, `--namespaced`) in one namespace and under Sluice in another, on one control
 * plane with Argo's own CRDs, both driven by Argo's `kubectl argo rollouts`. The traces (normalised
 * states at step boundaries) must be equal once the fields listed in allowed-differences.json for
 * the scenario are left out. See README.md.
 */
import type {} from '@sluice/local-cluster/vitest-global-setup'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { createTestNamespace, installCrds, loadKubeConfig } from '@sluice/local-cluster'
import { createKubeApi } from '@sluice/kube'
import { argoRolloutsCrdFiles, kubectlArgoRollouts, startArgoController } from '@sluice/argo-rollouts'
import type { ArgoControllerProcess } from '@sluice/argo-rollouts'
import { apply, repoRoot, rolloutYaml, servicesYaml, startController } from '../e2e/harness.ts'
import type { Env } from '../e2e/harness.ts'
import { allowedFields, baseKinds, userAgent, comparable, differingFields, quick, settle, sideBySide, watchSide, withoutHeaderRoutes } from './trace.ts'
import type { AllowedDifference, Side, State, WatchedKind } from './trace.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
const allowed = JSON.parse(readFileSync(join(here, 'allowed-differences.json'), 'utf8')) as AllowedDifference[]
const meshCrds = [
  join(repoRoot, 'packages/istio/test/crds/virtualservice.yaml'),
  join(repoRoot, 'packages/istio/test/crds/destinationrule.yaml'),
  join(repoRoot, 'packages/smi/test/crds/trafficsplit.yaml'),
  join(repoRoot, 'packages/ambassador/test/crds/mapping.yaml'),
]
const meshKinds: WatchedKind[] = [
  { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' },
  { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit' },
  { apiVersion: 'getambassador.io/v3alpha1', kind: 'Mapping' },
]

/** What a scenario's script sees of one side: each call runs one real client command and waits for the next rest. */
interface Driver {
  readonly rollout: string
  state(): State
  /** `kubectl argo rollouts ARGS`, then the next rest (see `settle`). */
  cli(args: string[], options?: { expectChange?: boolean }): Promise<State>
  /**
   * In a handover scenario, the Sluice side's first controller stops and the other one starts on
   * the same namespace; the Argo side (the reference, Argo throughout) only records the boundary.
   */
  handover(): Promise<State>
}

interface Scenario {
  name: string
  bundle: string
  rollout: string
  /** Mesh kinds the scenario uses (their objects are part of the state). */
  kinds: string[]
  /** Which controller the Sluice side starts with, and hands over to at `handover()`. */
  handover?: 'argo-to-sluice' | 'sluice-to-argo'
  script(d: Driver): Promise<void>
}

/** Promotes at every indefinite pause until Healthy (at most `max` times). */
async function promoteToHealthy(d: Driver, max = 8): Promise<void> {
  for (let i = 0; i < max && d.state()['status.phase'] === 'Paused'; i++) await d.cli(['promote', d.rollout])
}

const examplesDir = join(repoRoot, 'examples')
// alb.yaml is left out: Argo Rollouts' ALB router needs the AWS Load Balancer Controller's Ingress
// status and the AWS API, which the local control plane does not have for it (see README.md).
const exampleScenarios: Scenario[] = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml') && f !== 'alb.yaml')
  .sort()
  .map((file) => {
    const text = readFileSync(join(examplesDir, file), 'utf8')
    const rollout = /kind: Rollout\s*\nmetadata:\s*\n\s+name: (\S+)/.exec(text)?.[1] ?? 'web'
    const kinds = meshKinds.map((k) => k.kind).filter((k) => new RegExp(`kind: ${k}\\b`).test(text) || (k === 'TrafficSplit' && /smi:/.test(text)) || (k === 'Ingress' && /nginx:/.test(text)))
    return {
      name: `example ${file}`,
      bundle: quick(file === 'nginx.yaml' ? withoutHeaderRoutes(text) : text),
      rollout,
      kinds,
      async script(d: Driver) {
        await d.cli(['set', 'image', rollout, '*=example:2'])
        await promoteToHealthy(d)
      },
    }
  })

const basicSteps = `canaryService: web-canary
stableService: web-stable
steps:
  - setWeight: 25
  - pause: {}
  - setWeight: 50
  - pause: { duration: 1 }
  - setWeight: 75
  - pause: {}`
const basicBundle = `${rolloutYaml(basicSteps)}---\n${servicesYaml()}`

const virtualService = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  http:
    - name: primary
      route:
        - destination: {host: web-stable, port: {number: 80}}
          weight: 100
        - destination: {host: web-canary, port: {number: 80}}
          weight: 0
`
const istioBundle = (steps: string, extra = '') =>
  `${rolloutYaml(`canaryService: web-canary
stableService: web-stable
${extra}trafficRouting:
  managedRoutes:
    - name: canary-by-header
    - name: mirror-all
  istio:
    virtualService: {name: web, routes: [primary]}
steps:
${steps}`)}---\n${servicesYaml()}---\n${virtualService}`

const scenarios: Scenario[] = [
  ...exampleScenarios,
  {
    name: 'promote',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.cli(['promote', 'web'])
      await d.cli(['promote', 'web'])
    },
  },
  {
    name: 'promote --full',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.cli(['promote', 'web', '--full'])
    },
  },
  {
    name: 'abort, retry',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.cli(['abort', 'web'])
      await d.cli(['retry', 'rollout', 'web'])
      await promoteToHealthy(d)
    },
  },
  {
    name: 'restart',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    async script(d) {
      await d.cli(['restart', 'web'])
    },
  },
  {
    name: 'spec change mid-rollout',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.cli(['set', 'image', 'web', 'web=web:3'])
      await promoteToHealthy(d)
    },
  },
  {
    name: 'pause, resume',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.cli(['promote', 'web'])
      await d.cli(['pause', 'web'], { expectChange: false })
      // Not promoted further: after `pause` at a pause step, one `promote` leaves Argo's Rollout at
      // its step while Sluice's goes on to the end; a Sluice difference reported, not fixed here
      // (docs/argo-rollouts-differences.md).
    },
  },
  {
    name: 'setCanaryScale',
    bundle: istioBundle(`  - setCanaryScale: {replicas: 1}
  - setWeight: 50
  - pause: {}
  - setCanaryScale: {weight: 75}
  - pause: {}
  - setCanaryScale: {matchTrafficWeight: true}
  - setWeight: 75
  - pause: {}`),
    rollout: 'web',
    kinds: ['VirtualService'],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await promoteToHealthy(d)
    },
  },
  {
    name: 'dynamicStableScale, abort',
    bundle: istioBundle(`  - setWeight: 50
  - pause: {}
  - setWeight: 75
  - pause: {}`, 'dynamicStableScale: true\n'),
    rollout: 'web',
    kinds: ['VirtualService'],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.cli(['promote', 'web'])
      await d.cli(['abort', 'web'])
    },
  },
  {
    name: 'dynamicStableScale, promote',
    bundle: istioBundle(`  - setWeight: 50
  - pause: {}`, 'dynamicStableScale: true\n'),
    rollout: 'web',
    kinds: ['VirtualService'],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await promoteToHealthy(d)
    },
  },
  {
    name: 'header and mirror routes',
    bundle: istioBundle(`  - setWeight: 20
  - setHeaderRoute:
      name: canary-by-header
      match:
        - headerName: X-Canary
          headerValue: {exact: "yes"}
  - setMirrorRoute:
      name: mirror-all
      percentage: 40
      match:
        - method: {exact: GET}
  - pause: {}
  - setHeaderRoute: {name: canary-by-header}
  - pause: {}`),
    rollout: 'web',
    kinds: ['VirtualService'],
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await promoteToHealthy(d)
    },
  },
  {
    name: 'handover, Argo to Sluice',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    handover: 'argo-to-sluice',
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.handover()
      await promoteToHealthy(d)
    },
  },
  {
    name: 'handover, Sluice to Argo',
    bundle: basicBundle,
    rollout: 'web',
    kinds: [],
    handover: 'sluice-to-argo',
    async script(d) {
      await d.cli(['set', 'image', 'web', 'web=web:2'])
      await d.handover()
      await promoteToHealthy(d)
    },
  },
]

/** At most this many scenarios at once: each runs two controllers, on 2 shared cores. */
const parallel = 3
let running = 0
const queue: (() => void)[] = []
async function slot<T>(run: () => Promise<T>): Promise<T> {
  if (running >= parallel) await new Promise<void>((resolve) => queue.push(resolve))
  running++
  try {
    return await run()
  } finally {
    running--
    queue.shift()?.()
  }
}

let kubeconfigPath = ''

beforeAll(async () => {
  kubeconfigPath = inject('kubeconfigPath')
  const kc = loadKubeConfig(kubeconfigPath)
  // Argo Rollouts' own Rollout CRD, not Sluice's: being a drop-in includes working with it.
  await installCrds(kc, [...(await argoRolloutsCrdFiles()), ...meshCrds])
})

async function newEnv(prefix: string): Promise<Env> {
  const kc = loadKubeConfig(kubeconfigPath)
  const ns = await createTestNamespace(kc, prefix)
  return { kc, kubeconfigPath, api: createKubeApi(kc, { userAgent }), namespace: ns.name, ns, controllers: [] }
}

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c().catch(() => undefined)))
})

async function runSide(controller: 'argo' | 'sluice', scenario: Scenario, env: Env, handover?: () => Promise<void>): Promise<Side> {
  const kinds = [...baseKinds, ...meshKinds.filter((k) => scenario.kinds.includes(k.kind))]
  const side = await watchSide(controller, env, kinds)
  cleanups.push(async () => side.stop())
  // The examples name namespace `default` in Service addresses (Mapping spec.service, DestinationRule host).
  await apply(env, scenario.bundle.replace(/\.default(?=[.:\s]|$)/gm, `.${env.namespace}`))
  let current = await settle(side, scenario.rollout, scenario.kinds, undefined, { expectChange: false })
  side.trace.push({ step: 'create', state: current })
  const driver: Driver = {
    rollout: scenario.rollout,
    state: () => current,
    async cli(args, options = {}) {
      const result = await kubectlArgoRollouts(args, { kubeconfigPath, namespace: env.namespace })
      if (result.code !== 0) throw new Error(`${controller}: kubectl argo rollouts ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`)
      current = await settle(side, scenario.rollout, scenario.kinds, current, options)
      side.trace.push({ step: args.join(' '), state: current })
      return current
    },
    async handover() {
      if (handover) {
        await handover()
        current = await settle(side, scenario.rollout, scenario.kinds, current, { expectChange: false })
      }
      side.trace.push({ step: 'handover', state: current })
      return current
    },
  }
  await scenario.script(driver)
  return side
}

describe.concurrent('differential: Argo Rollouts v1.10.2 and Sluice, same bundle, same client', () => {
  for (const scenario of scenarios) {
    test(scenario.name, { timeout: 900_000 }, () =>
      slot(async () => {
        const [argoEnv, sluiceEnv] = await Promise.all([newEnv('diff-argo'), newEnv('diff-sluice')])
        cleanups.push(() => argoEnv.ns.delete(), () => sluiceEnv.ns.delete())
        const logFile = `/tmp/sluice-differential-argo-${argoEnv.namespace}.log`
        const argo: ArgoControllerProcess = await startArgoController({ kubeconfigPath, namespace: argoEnv.namespace, logFile })
        cleanups.push(() => argo.stop('SIGKILL'))
        // The Sluice side: Sluice, or in a handover scenario the controller it starts with.
        const startOnSluiceSide = async (which: 'argo' | 'sluice') => {
          if (which === 'sluice') return startController(sluiceEnv)
          return startArgoController({ kubeconfigPath, namespace: sluiceEnv.namespace, logFile: logFile.replace('-argo-diff-argo-', '-argo-diff-sluice-') })
        }
        const [first, then]: ['argo' | 'sluice', 'argo' | 'sluice'] =
          scenario.handover === 'argo-to-sluice' ? ['argo', 'sluice'] : scenario.handover === 'sluice-to-argo' ? ['sluice', 'argo'] : ['sluice', 'sluice']
        let running = await startOnSluiceSide(first)
        cleanups.push(() => running.stop('SIGKILL'))
        const handover = scenario.handover
          ? async () => {
              await running.stop()
              running = await startOnSluiceSide(then)
              cleanups.push(() => running.stop('SIGKILL'))
            }
          : undefined
        const [argoSide, sluiceSide] = await Promise.all([runSide('argo', scenario, argoEnv), runSide('sluice', scenario, sluiceEnv, handover)])
        await Promise.all([argo.stop(), running.stop()])
        const fields = allowedFields(allowed, scenario.name)
        const a = comparable(argoSide.trace, fields)
        const s = comparable(sluiceSide.trace, fields)
        const same = a.length === s.length && a.every((b, i) => differingFields(b.state, s[i]?.state ?? {}).length === 0)
        if (!same) {
          const unlisted = a.flatMap((b, i) => differingFields(b.state, s[i]?.state ?? {}))
          expect.fail(
            `scenario "${scenario.name}": traces differ beyond allowed-differences.json (unlisted fields: ${[...new Set(unlisted)].join(', ') || 'the number of states'}); Argo log ${logFile}\n` +
              `compared traces (allowed fields left out), differing fields only:\n${sideBySide(a, s)}\n\nfull traces, every field:\n${sideBySide(argoSide.trace, sluiceSide.trace, { all: true })}`,
          )
        }
      }),
    )
  }
})
