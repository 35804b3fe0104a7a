/**
 * The `sluice` command against real Rollouts on the local control plane, driven by the real
 * controller: every command as a separate process, `status` exit codes (Healthy, aborted, timed
 * out), `get --watch` on a real terminal (tmux) while the rollout advances, the kubectl plugin, the
 * command lines of `kubectl argo rollouts` (its spellings, and kubectl's global flags), and the
 * one-line errors (not found, no access, unreachable, bad kubeconfig).
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync } from 'node:child_process'
import { promote } from '@sluice/client'
import { createKubeApi } from '@sluice/kube'
import type { Rollout } from '@sluice/core'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { stringify } from 'yaml'
import { apply, eventually, getRollout, installCrds, rolloutWhere, setUp, startController, tearDown, updateImage } from '@sluice/controller/e2e-harness'
import type { Env } from '@sluice/controller/e2e-harness'
import { cliMain, fromSourceLauncher, hasTmux, kubectlDir, on, pathWithNode, quote, sluice, start, Terminal } from './sluice.ts'

const virtualServiceCrd = fileURLToPath(new URL('../../../../packages/istio/test/crds/virtualservice.yaml', import.meta.url))
const analysisCrds = fileURLToPath(new URL('../../../controller/chart/files/crds/analysis-experiments.argoproj.io.yaml', import.meta.url))

const services = `
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec: {selector: {app: web}, ports: [{port: 80}]}
`

/** A canary without traffic routing: the ready pods are the split. */
const basicCanary = `${services}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      steps:
      - setWeight: 25
      - pause: {}
      - setWeight: 50
      - pause: {}
`

/** Istio weights with a header route and a mirror route. */
const istioCanary = `${services}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: [web.example.com]
  http:
  - name: primary
    route:
    - destination: {host: web-stable}
      weight: 100
    - destination: {host: web-canary}
      weight: 0
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1"}]}
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      trafficRouting:
        managedRoutes: [{name: beta}, {name: shadow}]
        istio:
          virtualService: {name: web, routes: [primary]}
      steps:
      - setWeight: 20
      - setHeaderRoute:
          name: beta
          match: [{headerName: x-beta, headerValue: {exact: "1"}}]
      - pause: {}
      - setMirrorRoute:
          name: shadow
          percentage: 50
          match: [{method: {exact: GET}, path: {prefix: /api}}]
      - setWeight: 50
      - pause: {}
`

/** A second Rollout beside `web`, of other pods. */
const otherRollout = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: other}
spec:
  replicas: 1
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec: {containers: [{name: other, image: "other:1"}]}
  strategy:
    canary:
      steps: [{setWeight: 50}, {pause: {}}]
`

let env: Env | undefined
afterEach(async () => {
  await tearDown(env)
  env = undefined
})

const isPausedAt = (index: number) => (r: Rollout) => r.status?.phase === 'Paused' && r.status.currentStepIndex === index

/** Lines of a text output, trailing spaces gone. */
const lines = (text: string) => text.split('\n').map((l) => l.trimEnd())

describe('sluice on a basic canary', () => {
  beforeEach(async () => {
    env = await setUp(inject('kubeconfigPath'), 'e2e-cli')
  })

  it('shows, lists and drives a rollout through every operation', { timeout: 600_000 }, async () => {
    const e = env as Env
    await startController(e)
    await apply(e, basicCanary)
    const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && r.status.availableReplicas === 4)
    const v1 = first.status?.stableRS ?? ''
    const ns = e.namespace

    // get: the tree, plain text (not a terminal): no escape codes
    let run = await sluice(['get', 'rollout', 'web', ...on(e)])
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).not.toContain('\u001b[')
    let out = lines(run.stdout)
    expect(out[0]).toMatch(new RegExp(`^Rollout ${ns}/web  age \\d+[smh]\\S*$`))
    expect(out.slice(1, 6)).toEqual([
      '├── Phase:    ✔ Healthy',
      '├── Strategy: canary, no traffic routing (the pods are the split)',
      '├── Step:     4/4  all steps done',
      '├── Weights:  canary 0% · stable 100% of ready pods',
      '├── Replicas: 4 desired · 4 current · 4 updated · 4 ready · 4 available',
    ])
    expect(out).toContain('│   └── ✔  3  pause')
    expect(out).toContain('│   └── revision 1  stable  web:1')
    expect(out.find((l) => l.includes('ReplicaSet'))).toMatch(new RegExp(`^│       └── ReplicaSet web-${v1}  4/4 ready  \\d+[smh]\\S*$`))
    expect(out.filter((l) => new RegExp(`Pod web-${v1}-\\w+  Running  1/1 ready  0 restarts`).test(l))).toHaveLength(4)
    expect(out).toContainEqual(expect.stringMatching(/^ {4}└── Healthy +True +RolloutHealthy +Rollout is healthy$/))

    // get -o json / yaml: the Rollout object
    run = await sluice(['get', 'rollout', 'web', '-o', 'json', ...on(e)])
    expect(run.code).toBe(0)
    const json = JSON.parse(run.stdout) as Rollout
    expect(json).toMatchObject({ kind: 'Rollout', metadata: { name: 'web', namespace: ns }, status: { phase: 'Healthy', stableRS: v1 } })

    // list, and its spellings
    run = await sluice(['list', 'rollouts', ...on(e)])
    expect(run.code).toBe(0)
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^NAME +PHASE +STEP +SET-WEIGHT +WEIGHT +READY +AGE$/),
      expect.stringMatching(/^web +Healthy +4\/4 +- +0 \(pods\) +4\/4 +\d+[smh]\S*$/),
      '',
    ])
    for (const spelling of [['get', 'rollouts'], ['list', 'rollout'], ['list']]) {
      const alias = await sluice([...spelling, ...on(e)])
      expect(lines(alias.stdout).slice(1).map((l) => l.replace(/\S+$/, ''))).toEqual(lines(run.stdout).slice(1).map((l) => l.replace(/\S+$/, '')))
    }
    run = await sluice(['list', 'rollouts', '-A', '--kubeconfig', e.kubeconfigPath])
    expect(lines(run.stdout)[0]).toMatch(/^NAMESPACE +NAME +PHASE +STEP +SET-WEIGHT +WEIGHT +READY +AGE$/)
    expect(lines(run.stdout)).toContainEqual(expect.stringMatching(new RegExp(`^${ns} +web +Healthy +4/4 `)))
    run = await sluice(['list', 'rollouts', '-o', 'yaml', ...on(e)])
    expect(run.stdout).toMatch(/^apiVersion: v1\nkind: List\nitems:\n {2}- apiVersion: argoproj.io\/v1alpha1\n {4}kind: Rollout\n/)

    // promote on a healthy rollout: refused, one line, exit 1
    run = await sluice(['promote', 'web', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice promote: rollout "${ns}/web" is not in the middle of an update: nothing to promote\n` })

    // set image starts an update; it pauses at step 1 with one canary pod of four
    run = await sluice(['set', 'image', 'web', 'web=web:2', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" container "web" image set to web:2\n`, stderr: '' })
    let r = await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
    const v2 = r.status?.currentPodHash ?? ''
    run = await sluice(['set', 'image', 'web', 'web=web:2', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice set: container "web" of rollout "${ns}/web" already runs web:2\n` })

    run = await sluice(['get', 'rollout', 'web', ...on(e)])
    out = lines(run.stdout)
    expect(out.slice(1, 6)).toEqual([
      '├── Phase:    ॥ Paused  CanaryPauseStep',
      '├── Strategy: canary, no traffic routing (the pods are the split)',
      '├── Step:     1/4  pause',
      '├── Weights:  canary 25% · stable 75% of ready pods (steps ask 25%)',
      '├── Replicas: 4 desired · 4 current · 1 updated · 4 ready · 4 available',
    ])
    expect(out).toContain('│   ├── ✔  0  setWeight: 25')
    expect(out).toContain('│   ├── ▶  1  pause  ◀ current')
    expect(out).toContain('│   ├── ○  2  setWeight: 50')
    expect(out).toContain('│   ├── revision 2  canary  web:2')
    expect(out).toContain('│   └── revision 1  stable  web:1')
    expect(out).toContainEqual(expect.stringMatching(new RegExp(`ReplicaSet web-${v2}  1/1 ready`)))
    expect(out).toContainEqual(expect.stringMatching(new RegExp(`ReplicaSet web-${v1}  3/3 ready`)))

    run = await sluice(['list', ...on(e)])
    expect(lines(run.stdout)[1]).toMatch(/^web +Paused +1\/4 +25 +25 \(pods\) +4\/4 +\d+[smh]\S*$/)

    // status on a paused rollout waits; --timeout ends it with exit 1, as kubectl argo rollouts status
    run = await sluice(['status', 'web', '--timeout', '3s', ...on(e)])
    expect(run).toEqual({
      code: 1,
      stdout: `Paused - CanaryPauseStep (step 1/4, weight 25% of pods, canary 1/1 ready, stable 3/3 ready)\ntimed out after 3s waiting for rollout "${ns}/web" to settle\n`,
      stderr: '',
    })

    // pause / resume
    run = await sluice(['pause', 'web', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" paused\n`, stderr: '' })
    await rolloutWhere(e, 'web', 'spec.paused', (x) => x.spec.paused === true && x.status?.message === 'manually paused')
    run = await sluice(['pause', 'web', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice pause: rollout "${ns}/web" is already paused\n` })
    run = await sluice(['resume', 'web', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" resumed\n`, stderr: '' })
    await rolloutWhere(e, 'web', 'resumed, still at the pause step', (x) => x.spec.paused !== true && isPausedAt(1)(x))

    // promote: on to 50 %, the next pause
    run = await sluice(['promote', 'web', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" promoted\n`, stderr: '' })
    await rolloutWhere(e, 'web', 'paused at step 3', isPausedAt(3))

    // abort: status exits 1 with the reason
    run = await sluice(['abort', 'web', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" aborted\n`, stderr: '' })
    run = await sluice(['status', 'web', '--timeout', '90s', ...on(e)])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('')
    expect(lines(run.stdout).at(-2)).toMatch(/^Degraded - RolloutAborted: Rollout aborted update to revision 2 \(step aborted, weight \d+% of pods, /)
    run = await sluice(['abort', 'web', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice abort: rollout "${ns}/web" is already aborted\n` })
    run = await sluice(['get', 'rollout', 'web', ...on(e)])
    expect(lines(run.stdout)).toContain('├── Step:     aborted: the stable revision takes all traffic again')

    // retry, then promote --full: status follows it to Healthy, and prints the object last (-o json)
    run = await sluice(['retry', 'web', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" retried\n`, stderr: '' })
    await rolloutWhere(e, 'web', 'paused at step 1 again', isPausedAt(1))
    run = await sluice(['promote', 'web', '--full', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" fully promoted\n`, stderr: '' })
    run = await sluice(['status', 'web', '--timeout', '90s', '-o', 'json', ...on(e)])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ metadata: { name: 'web' }, status: { phase: 'Healthy', stableRS: v2, currentPodHash: v2 } })
    expect(lines(run.stderr).at(-2)).toMatch(/^Healthy \(step 4\/4, /)

    // undo: back to the template of revision 1, which starts an update to it
    run = await sluice(['undo', 'web', '--to-revision', '7', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice undo: rollout "${ns}/web" has no revision 7\n` })
    run = await sluice(['undo', 'web', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" rolled back to revision 1\n`, stderr: '' })
    r = await rolloutWhere(e, 'web', 'updating back to web:1', (x) => isPausedAt(1)(x) && x.status?.currentPodHash === v1)
    expect(r.spec.template?.spec?.containers?.[0]?.image).toBe('web:1')
    expect(r.status?.stableRS).toBe(v2)

    // restart: spec.restartAt
    run = await sluice(['restart', 'web', ...on(e)])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^rollout "${ns}/web" restarts its pods \\(restartAt \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)\\n$`))
    expect((await getRollout(e, 'web')).spec.restartAt).toBe(/restartAt (\S+)\)/.exec(run.stdout)?.[1])

    // not found
    run = await sluice(['get', 'rollout', 'nope', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice get: rollout "${ns}/nope" not found\n` })
    run = await sluice(['promote', 'nope', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice promote: rollout "${ns}/nope" not found\n` })
  })

  it("takes kubectl argo rollouts' command lines: create, status --watch=false, list --watch/--name/--timestamps, set image '*', retry rollout, restart --in, get --no-color/--timeout-seconds, pause NAME NAME", { timeout: 600_000 }, async () => {
    const e = env as Env
    await startController(e)
    const ns = e.namespace
    const dir = await mkdtemp(join(tmpdir(), 'sluice-create-'))
    try {
      // create: the Rollout is first in the file, yet the Services it names are created before it
      const file = join(dir, 'web.yaml')
      const rolloutFirst = basicCanary.split('\n---\n').filter((d) => d.trim() !== '')
      await writeFile(file, [rolloutFirst.at(-1), ...rolloutFirst.slice(0, -1)].join('\n---\n'))
      let run = await sluice(['create', '-f', file, ...on(e)])
      expect(run).toEqual({ code: 0, stdout: 'service/web-stable created\nservice/web-canary created\nrollout.argoproj.io/web created\n', stderr: '' })
      expect(await e.api.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'web-canary' })).toBeDefined()
      run = await sluice(['create', '-f', file, ...on(e)])
      expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice create: service/web-stable in namespace ${ns} already exists\n` })
      await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy' && r.status.availableReplicas === 4)

      // status --watch=false: the status once, exit 0
      run = await sluice(['status', 'web', '--watch=false', ...on(e)])
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^Healthy \(step 4\/4, [^\n]*\)\n$/)

      // list rollouts --name, --timestamps: a TIMESTAMP column, the one rollout named
      await apply(e, otherRollout)
      run = await sluice(['list', 'rollouts', '--name', 'web', '--timestamps', ...on(e)])
      expect(run.code).toBe(0)
      expect(lines(run.stdout)).toEqual([
        expect.stringMatching(/^TIMESTAMP +NAME +PHASE +STEP +SET-WEIGHT +WEIGHT +READY +AGE$/),
        expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +web +Healthy +4\/4 /),
        '',
      ])

      // list --watch prints a new line when set image '*=...' starts an update
      const listing = start(['list', 'rollouts', '--watch', '--name', 'web', ...on(e)])
      await eventually('the table of list --watch', async () => listing.stdout().includes('\nweb '))
      run = await sluice(['set', 'image', 'web', '*=web:2', ...on(e)])
      expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" image set to web:2 in container "web"\n`, stderr: '' })
      expect((await getRollout(e, 'web')).spec.template?.spec?.containers?.map((c) => c.image)).toEqual(['web:2'])
      await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))
      await eventually('a line of the update from list --watch', async () => /\nweb +Paused +1\/4 +25 /.test(listing.stdout()))
      listing.child.kill('SIGINT')
      const listed = await listing.done
      expect(lines(listed.stdout).filter((l) => l.startsWith('NAME'))).toHaveLength(1)
      expect(lines(listed.stdout).every((l) => l === '' || /^(NAME|web) /.test(l))).toBe(true)

      // status -t ... on a paused rollout times out with exit 1
      run = await sluice(['status', 'web', '-t', '2s', ...on(e)])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/timed out after 2s waiting for rollout ".+\/web" to settle\n$/)

      // get --watch --timeout-seconds ends by itself, exit 0; --no-color wins over FORCE_COLOR
      run = await sluice(['get', 'rollout', 'web', '--watch', '--timeout-seconds', '2', '--no-color', ...on(e)], { env: { FORCE_COLOR: '1' } })
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^Rollout .+\/web  age /)
      expect(run.stdout).not.toContain('\u001b[')
      run = await sluice(['get', 'rollout', 'web', ...on(e)], { env: { FORCE_COLOR: '1' } })
      expect(run.stdout).toContain('\u001b[')

      // abort, status --watch=false exits 1 on the degraded rollout, retry rollout NAME
      run = await sluice(['abort', 'web', ...on(e)])
      expect(run.code).toBe(0)
      await rolloutWhere(e, 'web', 'degraded', (r) => r.status?.phase === 'Degraded')
      run = await sluice(['status', 'web', '--watch=false', ...on(e)])
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/^Degraded - RolloutAborted: /)
      run = await sluice(['retry', 'rollout', 'web', ...on(e)])
      expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" retried\n`, stderr: '' })
      await rolloutWhere(e, 'web', 'paused at step 1 again', isPausedAt(1))

      // restart --in 10m: spec.restartAt ten minutes from now
      const before = Date.now()
      run = await sluice(['restart', 'web', '--in', '10m', ...on(e)])
      expect(run.code).toBe(0)
      const restartAt = Date.parse((await getRollout(e, 'web')).spec.restartAt ?? '')
      expect(restartAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 600_000)
      expect(restartAt).toBeLessThanOrEqual(Date.now() + 600_000)

      // pause NAME NAME: one after the other, as Argo's
      run = await sluice(['pause', 'web', 'other', ...on(e)])
      expect(run).toEqual({ code: 0, stdout: `rollout "${ns}/web" paused\nrollout "${ns}/other" paused\n`, stderr: '' })
      expect([(await getRollout(e, 'web')).spec.paused, (await getRollout(e, 'other')).spec.paused]).toEqual([true, true])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('status streams one line per change while the rollout advances, and exits 0 when Healthy', { timeout: 300_000 }, async () => {
    const e = env as Env
    await startController(e)
    await apply(e, basicCanary)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    await updateImage(e, 'web', 'web:2')
    await rolloutWhere(e, 'web', 'paused at step 1', isPausedAt(1))

    const status = start(['status', 'web', '--timeout', '2m', ...on(e)])
    await eventually('the first status line', async () => status.stdout().includes('\n'))
    await promote(e.api, { namespace: e.namespace, name: 'web' })
    await rolloutWhere(e, 'web', 'paused at step 3', isPausedAt(3))
    await eventually('the line of step 3', async () => status.stdout().includes('step 3/4'))
    await promote(e.api, { namespace: e.namespace, name: 'web' })
    const run = await status.done

    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const seen = lines(run.stdout).filter((l) => l !== '')
    expect(seen[0]).toBe('Paused - CanaryPauseStep (step 1/4, weight 25% of pods, canary 1/1 ready, stable 3/3 ready)')
    expect(seen).toContain('Paused - CanaryPauseStep (step 3/4, weight 50% of pods, canary 2/2 ready, stable 2/2 ready)')
    expect(seen.at(-1)).toMatch(/^Healthy \(step 4\/4, weight 0% of pods, stable 4\/4 ready\)$/)
    // one line per change: never the same line twice in a row
    expect(seen.filter((l, i) => i > 0 && l === seen[i - 1])).toEqual([])
    // and the steps only move forward
    const steps = seen.map((l) => Number(/step (\d)\/4/.exec(l)?.[1] ?? 'NaN')).filter((n) => !Number.isNaN(n))
    expect(steps).toEqual([...steps].sort())
  })

  it('answers as a kubectl plugin', { timeout: 180_000 }, async () => {
    const e = env as Env
    await startController(e)
    await apply(e, basicCanary)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
    const bin = await mkdtemp(join(tmpdir(), 'sluice-plugin-'))
    try {
      await symlink(fromSourceLauncher, join(bin, 'kubectl-sluice'))
      const kubectl = join(kubectlDir(), 'kubectl')
      const options = { encoding: 'utf8' as const, env: { ...process.env, PATH: pathWithNode(bin), KUBECONFIG: e.kubeconfigPath } }
      expect(execFileSync(kubectl, ['plugin', 'list'], options)).toContain(join(bin, 'kubectl-sluice'))
      expect(execFileSync(kubectl, ['sluice', 'version'], options)).toBe('sluice 0.1.0\n')
      // KUBECONFIG (from the environment, as kubectl's own) and -n reach the plugin
      const listed = execFileSync(kubectl, ['sluice', 'list', 'rollouts', '-n', e.namespace], options)
      expect(lines(listed)[1]).toMatch(/^web +Healthy +4\/4 /)
    } finally {
      await rm(bin, { recursive: true, force: true })
    }
  })
})

describe('sluice get --watch in a terminal', () => {
  beforeEach(async () => {
    env = await setUp(inject('kubeconfigPath'), 'e2e-cli-tty', [virtualServiceCrd])
  })

  it.skipIf(!hasTmux)(
    `redraws the tree as the rollout advances and ends with it${hasTmux ? '' : ' (SKIPPED: tmux not found; apt-get install -y tmux)'}`,
    { timeout: 300_000 },
    async () => {
      const e = env as Env
      await startController(e)
      await apply(e, istioCanary)
      await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
      await updateImage(e, 'web', 'web:2')
      await rolloutWhere(e, 'web', 'paused at step 2', isPausedAt(2))

      const command = [process.execPath, '--conditions=@sluice/source', cliMain, 'get', 'rollout', 'web', '--watch', ...on(e)].map(quote).join(' ')
      const terminal = new Terminal(command)
      try {
        const screenWith = (what: string, ...texts: string[]) =>
          eventually(`the screen to show ${what}`, async () => {
            const screen = terminal.screen()
            return texts.every((t) => screen.includes(t)) ? screen : undefined
          }, 60_000).catch((error: unknown) => {
            throw new Error(`${(error as Error).message}\n--- last screen ---\n${terminal.screen()}`)
          })

        // Paused at the pause step: 20 %, the header route in force, step 2 current
        let screen = await screenWith(
          'step 2 at 20 %',
          '├── Phase:    ॥ Paused  CanaryPauseStep',
          '├── Strategy: canary, traffic routed by istio',
          '├── Step:     2/6  pause',
          '├── Weights:  canary 20% · stable 80% (steps ask 20%)',
          '│   └── header beta: x-beta exact "1" → canary',
          '│   ├── ▶  2  pause  ◀ current',
        )
        expect(screen).not.toContain('mirror shadow')
        // a terminal gets colour: the phase is painted
        expect(terminal.screen({ escapes: true })).toMatch(/\u001b\[36m॥ Paused/)

        // promoted: the mirror route appears, the weight goes to 50 %, step 5 becomes current
        await promote(e.api, { namespace: e.namespace, name: 'web' })
        screen = await screenWith(
          'step 5 at 50 %',
          '├── Step:     5/6  pause',
          '├── Weights:  canary 50% · stable 50% (steps ask 50%)',
          '│   ├── header beta: x-beta exact "1" → canary',
          '│   └── mirror shadow: 50% of method exact "GET" and path prefix "/api" copied to canary',
          '│   ├── ✔  4  setWeight: 50',
          '│   └── ▶  5  pause  ◀ current',
        )
        expect(screen).not.toContain('canary 20%')
        expect(screen).not.toContain('[exit')

        // promoted again: Healthy, no routes, and the watch ends by itself
        await promote(e.api, { namespace: e.namespace, name: 'web' })
        screen = await screenWith('the end', '├── Phase:    ✔ Healthy', '[exit 0]')
        expect(screen).toContain('├── Weights:  canary 0% · stable 100%')
        expect(screen).not.toContain('Routes')
        expect(screen).not.toContain('◀ current')
      } finally {
        terminal.close()
      }
    },
  )
})

describe('sluice errors', () => {
  let server: Server | undefined
  const sockets: Socket[] = []
  let dir: string | undefined
  beforeEach(async () => {
    env = await setUp(inject('kubeconfigPath'), 'e2e-cli-err')
    dir = await mkdtemp(join(tmpdir(), 'sluice-kubeconfig-'))
  })
  afterEach(async () => {
    const stopping = server
    server = undefined
    for (const socket of sockets.splice(0)) socket.destroy()
    if (stopping) await new Promise((resolve) => stopping.close(resolve))
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  /** A kubeconfig for the test cluster's CA with another server or user. */
  async function kubeconfig(name: string, options: { server?: string; token?: string; namespace?: string; current?: boolean }): Promise<string> {
    const e = env as Env
    const cluster = e.kc.getCurrentCluster()
    const user = e.kc.getCurrentUser()
    const file = join(dir as string, name)
    await writeFile(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: `${name}-cluster`, cluster: { server: options.server ?? cluster?.server, 'certificate-authority-data': cluster?.caData } }],
        users: [{ name: `${name}-user`, user: options.token ? { token: options.token } : { 'client-certificate-data': user?.certData, 'client-key-data': user?.keyData } }],
        contexts: [{ name, context: { cluster: `${name}-cluster`, user: `${name}-user`, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
        ...(options.current === false ? {} : { 'current-context': name }),
      }),
    )
    return file
  }

  it('says in one line when the cluster cannot be reached, refuses access, or the kubeconfig is wrong', { timeout: 300_000 }, async () => {
    const e = env as Env
    await apply(e, basicCanary)

    // connection refused: a port nobody listens on (any longer)
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const freePort = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    const closed = await kubeconfig('refused', { server: `https://127.0.0.1:${freePort}` })
    let run = await sluice(['get', 'rollout', 'web', '--kubeconfig', closed])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice get: cannot reach the cluster at https://127.0.0.1:${freePort} (context "refused"): connection refused\n` })

    // no answer: a server that accepts connections and says nothing
    server = createServer((socket) => void sockets.push(socket))
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const silent = await kubeconfig('silent', { server: `https://127.0.0.1:${port}` })
    run = await sluice(['list', 'rollouts', '--kubeconfig', silent, '--request-timeout', '2s'])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice list: cannot reach the cluster at https://127.0.0.1:${port} (context "silent"): no answer within 2s\n` })

    // 403: a service account without any role
    await e.api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: e.namespace } })
    const token = execFileSync(join(kubectlDir(), 'kubectl'), ['--kubeconfig', e.kubeconfigPath, '-n', e.namespace, 'create', 'token', 'nobody', '--duration', '10m'], { encoding: 'utf8' }).trim()
    const nobody = await kubeconfig('nobody', { token, namespace: e.namespace })
    run = await sluice(['get', 'rollout', 'web', '--kubeconfig', nobody])
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice get: no access: rollouts.argoproj.io "web" is forbidden: User "system:serviceaccount:${e.namespace}:nobody" cannot get resource "rollouts" in API group "argoproj.io" in the namespace "${e.namespace}"\n`,
    })
    run = await sluice(['promote', 'web', '--kubeconfig', nobody])
    expect(run.stderr).toMatch(/^sluice promote: no access: rollouts.argoproj.io "web" is forbidden: /)

    // bad kubeconfigs
    run = await sluice(['list', '--kubeconfig', join(dir as string, 'missing')])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice list: cannot read the kubeconfig ${join(dir as string, 'missing')}: no such file\n` })
    run = await sluice(['list', '--kubeconfig', nobody, '--context', 'other'])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice list: context "other" not found in the kubeconfig (${nobody}) (contexts: nobody)\n` })
    const broken = join(dir as string, 'broken')
    await writeFile(broken, 'clusters: [\n')
    run = await sluice(['list', '--kubeconfig', broken])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(new RegExp(`^sluice list: the kubeconfig ${broken} is not valid YAML: .+\\n$`))

    // never a stack trace, unless asked for
    for (const text of [run.stderr]) expect(text).not.toMatch(/^\s+at /m)
  })

  it("takes kubectl's global flags: --as, --as-group, --server, --token, --certificate-authority, --insecure-skip-tls-verify, --cluster, --user, before or after the command", { timeout: 300_000 }, async () => {
    const e = env as Env
    await apply(e, basicCanary)
    const ns = e.namespace
    const forbidden = (user: string) => `no access: rollouts.argoproj.io "web" is forbidden: User "${user}" cannot get resource "rollouts" in API group "argoproj.io" in the namespace "${ns}"`
    await e.api.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: ns } })
    const sa = `system:serviceaccount:${ns}:nobody`

    // --as: the admin's kubeconfig, impersonating the service account
    let run = await sluice(['get', 'rollout', 'web', '--as', sa, ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice get: ${forbidden(sa)}\n` })
    // --as-group: a group that may do anything
    run = await sluice(['--as', 'jane', '--as-group', 'system:masters', ...on(e), 'get', 'rollout', 'web'])
    expect(run.stderr).toBe('')
    expect(lines(run.stdout)[0]).toMatch(new RegExp(`^Rollout ${ns}/web `))
    run = await sluice(['get', 'rollout', 'web', '--as', 'jane', ...on(e)])
    expect(run.stderr).toBe(`sluice get: ${forbidden('jane')}\n`)

    // --server, --token, --certificate-authority: no kubeconfig at all (none in $HOME, no KUBECONFIG)
    const token = execFileSync(join(kubectlDir(), 'kubectl'), ['--kubeconfig', e.kubeconfigPath, '-n', ns, 'create', 'token', 'nobody', '--duration', '10m'], { encoding: 'utf8' }).trim()
    const cluster = e.kc.getCurrentCluster()
    const ca = join(dir as string, 'ca.crt')
    await writeFile(ca, Buffer.from(cluster?.caData ?? '', 'base64'))
    const home = { HOME: dir as string }
    run = await sluice(['get', 'rollout', 'web', '--server', cluster?.server ?? '', '--token', token, '--certificate-authority', ca, '-n', ns], { env: home })
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice get: ${forbidden(sa)}\n` })
    run = await sluice(['-s', cluster?.server ?? '', '--token', token, '--insecure-skip-tls-verify', '-n', ns, 'get', 'rollout', 'web'], { env: home })
    expect(run.stderr).toBe(`sluice get: ${forbidden(sa)}\n`)
    // without either, the server's certificate is not trusted
    run = await sluice(['get', 'rollout', 'web', '--server', cluster?.server ?? '', '--token', token, '-n', ns], { env: home })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^sluice get: cannot reach the cluster at https:\/\/\S+: TLS: /)

    // --cluster and --user: the context names a dead server and the token user; the flags pick the others
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const deadPort = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    const user = e.kc.getCurrentUser()
    const mixed = join(dir as string, 'mixed')
    await writeFile(
      mixed,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'dead', cluster: { server: `https://127.0.0.1:${deadPort}`, 'certificate-authority-data': cluster?.caData } },
          { name: 'live', cluster: { server: cluster?.server, 'certificate-authority-data': cluster?.caData } },
        ],
        users: [
          { name: 'nobody', user: { token } },
          { name: 'admin', user: { 'client-certificate-data': user?.certData, 'client-key-data': user?.keyData } },
        ],
        contexts: [{ name: 'main', context: { cluster: 'dead', user: 'nobody', namespace: ns } }],
        'current-context': 'main',
      }),
    )
    run = await sluice(['get', 'rollout', 'web', '--kubeconfig', mixed])
    expect(run.stderr).toBe(`sluice get: cannot reach the cluster at https://127.0.0.1:${deadPort} (context "main"): connection refused\n`)
    run = await sluice(['get', 'rollout', 'web', '--kubeconfig', mixed, '--cluster', 'live'])
    expect(run.stderr).toBe(`sluice get: ${forbidden(sa)}\n`)
    run = await sluice(['--kubeconfig', mixed, '--cluster=live', '--user', 'admin', 'get', 'rollout', 'web'])
    expect(run.stderr).toBe('')
    expect(lines(run.stdout)[0]).toMatch(new RegExp(`^Rollout ${ns}/web `))
    run = await sluice(['get', 'rollout', 'web', '--kubeconfig', mixed, '--user', 'root'])
    expect(run).toEqual({ code: 1, stdout: '', stderr: `sluice get: user "root" not found in the kubeconfig (${mixed}) (users: nobody, admin)\n` })
  })

  it('terminate: a clear error where AnalysisRuns are not served, spec.terminate where they are', { timeout: 300_000 }, async () => {
    const e = env as Env
    const crds = ['analysisruns.argoproj.io', 'experiments.argoproj.io']
    const crdRef = (name: string) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name })
    // Another suite may have left them installed: take them away first.
    for (const name of crds) await e.api.delete(crdRef(name))
    let run = await eventually('the kind to be gone', async () => {
      const r = await sluice(['terminate', 'analysisrun', 'run-1', ...on(e)])
      return r.stderr.includes('serves no AnalysisRun') ? r : undefined
    })
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^sluice terminate: the API server at https:\/\/\S+ \(context "[^"]+"\) serves no AnalysisRun in argoproj.io\/v1alpha1: is the CRD analysisruns.argoproj.io installed\?\n$/),
    })

    await installCrds(e.kc, [analysisCrds])
    // A client of its own: the test's client discovered the group before these kinds were served.
    const api = createKubeApi(e.kc, { userAgent: 'sluice-e2e' })
    for (const kind of ['AnalysisRun', 'Experiment']) {
      await api.create({ apiVersion: 'argoproj.io/v1alpha1', kind, metadata: { name: 'run-1', namespace: e.namespace }, spec: {} })
    }
    run = await sluice(['terminate', 'ar', 'run-1', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `analysisrun "${e.namespace}/run-1" terminated\n`, stderr: '' })
    run = await sluice(['terminate', 'experiment', 'run-1', ...on(e)])
    expect(run).toEqual({ code: 0, stdout: `experiment "${e.namespace}/run-1" terminated\n`, stderr: '' })
    for (const kind of ['AnalysisRun', 'Experiment']) {
      const object = await api.get<{ spec?: { terminate?: boolean } } & Rollout>({ apiVersion: 'argoproj.io/v1alpha1', kind, namespace: e.namespace, name: 'run-1' })
      expect(object?.spec?.terminate).toBe(true)
    }
    run = await sluice(['terminate', 'analysisrun', 'nope', ...on(e)])
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'sluice terminate: analysisruns.argoproj.io "nope" not found\n' })
  })

  it('resolves kubeconfig, context and namespace as kubectl does', { timeout: 180_000 }, async () => {
    const e = env as Env
    await startController(e)
    await apply(e, basicCanary)
    await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')

    // KUBECONFIG with two files: the first sets the current context (whose namespace is the test's),
    // the second defines it; a missing file in the list is skipped
    const admin = await kubeconfig('admin', { namespace: e.namespace, current: false })
    const pointer = join(dir as string, 'pointer')
    await writeFile(pointer, stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'admin' }))
    const KUBECONFIG = [pointer, join(dir as string, 'missing'), admin].join(':')
    let run = await sluice(['get', 'rollout', 'web'], { env: { KUBECONFIG } })
    expect(run.stderr).toBe('')
    expect(lines(run.stdout)[0]).toMatch(new RegExp(`^Rollout ${e.namespace}/web `))

    // -n wins over the context's namespace; --context picks the context
    run = await sluice(['get', 'rollout', 'web', '-n', 'kube-system', '--context', 'admin'], { env: { KUBECONFIG } })
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'sluice get: rollout "kube-system/web" not found\n' })
    // a context without a namespace means "default"
    const plain = await kubeconfig('plain', {})
    run = await sluice(['status', 'nope', '--kubeconfig', plain])
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'sluice status: rollout "default/nope" not found\n' })
  })
})
