import { describe, expect, it } from 'vitest'
import type { SimulatedState, SimulationResult } from '@sluice/reconcile'
import { hasStackTrace, manifest, rollout, runSluice, services, virtualService } from '../__fixtures__/run-sluice.ts'

async function planJson(text: string, ...flags: string[]): Promise<SimulationResult> {
  const run = await runSluice(['plan', '-f', 'rollout.yaml', '-o', 'json', ...flags], { 'rollout.yaml': text })
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout) as SimulationResult
}

/** `canary pods/stable pods canary weight/stable weight`, `-` for a null weight. */
/** The table of the text output, cells split on the column gaps. */
const tableRows = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^(STEP|\d+\s|final\s)/.test(l))
    .map((l) => l.split(/\s{2,}/))

const pods = (s: SimulatedState) => `${s.canary.replicas}/${s.stable.replicas} ${s.canary.weight ?? '-'}/${s.stable.weight ?? '-'}`

const smi = { canaryService: 'web-canary', stableService: 'web-stable', trafficRouting: { smi: {} } }
const steps = [{ setWeight: 5 }, { pause: {} }, { setWeight: 33 }, { pause: { duration: '30s' } }, { setWeight: 50 }]

describe('sluice plan -o json', () => {
  it('prints one object with exactly the fields of the plan, and one state per step', async () => {
    const result = await planJson(manifest(rollout({ ...smi, steps }), ...services))
    expect(Object.keys(result)).toEqual(['rollout', 'hashes', 'maxWeight', 'steps', 'final'])
    expect(result.rollout).toBe('default/web')
    expect(Object.keys(result.hashes)).toEqual(['stable', 'canary'])
    expect(result.hashes.stable).not.toBe(result.hashes.canary)
    expect(result.maxWeight).toBe(100)
    expect(result.steps).toHaveLength(steps.length)
    for (const state of [...result.steps, result.final]) {
      expect(Object.keys(state)).toEqual(['index', 'step', 'phase', 'canary', 'stable', 'headerRoutes', 'mirrorRoutes', 'resources'])
      expect(Object.keys(state.canary)).toEqual(['replicas', 'weight'])
      expect(Object.keys(state.stable)).toEqual(['replicas', 'weight'])
    }
    expect(result.steps.map((s) => [s.index, s.step, s.phase])).toEqual([
      [0, 'setWeight: 5', 'Progressing'],
      [1, 'pause', 'Paused'],
      [2, 'setWeight: 33', 'Progressing'],
      [3, 'pause: 30s', 'Paused'],
      [4, 'setWeight: 50', 'Progressing'],
    ])
    expect(result.final.step).toBe('final')
    expect(result.final.phase).toBe('Healthy')
  })

  it('basic canary, R = 10: pods approximate each weight, weights are null (spec §3.5)', async () => {
    const result = await planJson(manifest(rollout({ steps }), ...services))
    expect(result.steps.map(pods)).toEqual([
      '1/10 -/-', // 5 %: 1/11 = 9.1 % beats 1/10 (uses the surge)
      '1/10 -/-',
      '3/7 -/-', // 33 %: 30 % beats 40 %, 36.4 %, 27.3 %
      '3/7 -/-',
      '5/5 -/-', // 50 %
    ])
    expect(pods(result.final)).toBe('10/0 -/-')
  })

  it('basic canary works without Services in the file', async () => {
    const result = await planJson(manifest(rollout({ steps: [{ setWeight: 50 }] })))
    expect(result.steps.map(pods)).toEqual(['5/5 -/-'])
    expect(result.final.resources).toEqual([])
  })

  it('traffic-routed canary, R = 10: canary pods 1, 4, 5 with the stable at 10, weights exact (spec §3.5)', async () => {
    const result = await planJson(manifest(rollout({ ...smi, steps }), ...services))
    expect(result.steps.map(pods)).toEqual(['1/10 5/95', '1/10 5/95', '4/10 33/67', '4/10 33/67', '5/10 50/50'])
    // promoted: the new pods carry everything through the stable Service, the old ReplicaSet is gone
    expect(pods(result.final)).toBe('10/0 0/100')
    const split = result.steps[2]?.resources.find((o) => o.kind === 'TrafficSplit')
    expect(split?.spec).toMatchObject({ backends: [{ service: 'web-canary', weight: '33' }, { service: 'web-stable', weight: '67' }] })
  })

  it('istio: header and mirror routes appear and go as the steps say; the VirtualService carries the weights', async () => {
    const canary = {
      canaryService: 'web-canary',
      stableService: 'web-stable',
      trafficRouting: { managedRoutes: [{ name: 'canary-header' }, { name: 'mirror-get' }], istio: { virtualService: { name: 'web', routes: ['primary'] } } },
      steps: [
        { setWeight: 5 },
        { setHeaderRoute: { name: 'canary-header', match: [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }] } },
        { setMirrorRoute: { name: 'mirror-get', percentage: 50, match: [{ method: { exact: 'GET' } }] } },
        { setHeaderRoute: { name: 'canary-header' } },
        { setWeight: 50 },
      ],
    }
    const result = await planJson(manifest(rollout(canary), ...services, virtualService))
    expect(result.steps.map((s) => [s.headerRoutes, s.mirrorRoutes])).toEqual([
      [[], []],
      [['canary-header'], []],
      [['canary-header'], ['mirror-get']],
      [[], ['mirror-get']],
      [[], ['mirror-get']],
    ])
    expect([result.final.headerRoutes, result.final.mirrorRoutes]).toEqual([[], []])
    const vs = result.steps[0]?.resources.find((o) => o.kind === 'VirtualService')
    expect(vs?.spec).toMatchObject({ http: [{ name: 'primary', route: [{ weight: 95 }, { weight: 5 }] }] })
  })

  it('alb: the weights go into the forward action annotation of the Ingress', async () => {
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'default' },
      spec: { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web-stable', port: { name: 'use-annotation' } } } }] } }] },
    }
    const canary = { canaryService: 'web-canary', stableService: 'web-stable', trafficRouting: { alb: { ingress: 'web', servicePort: 80 } }, steps: [{ setWeight: 33 }] }
    const result = await planJson(manifest(rollout(canary), ...services, ingress))
    expect(result.steps.map(pods)).toEqual(['4/10 33/67'])
    const annotations = result.steps[0]?.resources.find((o) => o.kind === 'Ingress')?.metadata.annotations ?? {}
    const action = JSON.parse(annotations['alb.ingress.kubernetes.io/actions.web-stable'] ?? '{}') as { ForwardConfig: { TargetGroups: { ServiceName: string; Weight: number }[] } }
    expect(action.ForwardConfig.TargetGroups.map((g) => [g.ServiceName, g.Weight])).toEqual([
      ['web-canary', 33],
      ['web-stable', 67],
    ])
  })

  it.each([
    // Argo Rollouts' default version, which `sluice plan` once refused ("Ambassador mapping not found")
    ['getambassador.io/v2', 'Mapping', []],
    ['getambassador.io/v3alpha1', 'Mapping', []],
    ['x.getambassador.io/v3alpha1', 'AmbassadorMapping', []],
    // a flag overrides the file: a v3alpha1 cluster does not serve the file's v2 Mapping
    ['getambassador.io/v2', 'Mapping', ['--ambassador-api-version', 'getambassador.io/v3alpha1']],
  ])('ambassador: plans with the version of the Mappings in the file (%s %s %j)', async (apiVersion, kind, flags) => {
    const mapping = { apiVersion, kind, metadata: { name: 'web', namespace: 'default' }, spec: { hostname: '*', prefix: '/', service: 'web-stable:80' } }
    const canary = { canaryService: 'web-canary', stableService: 'web-stable', trafficRouting: { ambassador: { mappings: ['web'] } }, steps: [{ setWeight: 20 }] }
    const text = manifest(rollout(canary), ...services, mapping)
    if (flags.length > 0) {
      const run = await runSluice(['plan', '-f', 'rollout.yaml', '-o', 'json', ...flags], { 'rollout.yaml': text })
      expect(run.code).not.toBe(0)
      expect(run.stderr).toContain('Ambassador mapping "web" not found (getambassador.io/v3alpha1 Mapping')
      return
    }
    const result = await planJson(text)
    const written = result.steps[0]?.resources.find((o) => o.metadata.name === 'web-canary' && o.kind === kind)
    expect(written).toMatchObject({ apiVersion, kind, spec: { weight: 20, service: 'web-canary:80' } })
  })

  it('--abort-at N: no step after N, and the final state is the settled abort', async () => {
    const result = await planJson(manifest(rollout({ ...smi, steps }), ...services), '--abort-at', '2')
    expect(result.steps.map(pods)).toEqual(['1/10 5/95', '1/10 5/95', '4/10 33/67'])
    expect([result.final.phase, pods(result.final)]).toEqual(['Degraded', '0/10 0/100'])
  })

  it('--abort-at a pause of a basic canary scales the canary away', async () => {
    const result = await planJson(manifest(rollout({ steps }), ...services), '--abort-at', '1')
    expect(result.steps.map(pods)).toEqual(['1/10 -/-', '1/10 -/-'])
    expect([result.final.phase, pods(result.final)]).toEqual(['Degraded', '0/10 -/-'])
  })

  it('-o yaml prints the same states as YAML', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml', '-o', 'yaml'], { 'r.yaml': manifest(rollout({ steps: [{ setWeight: 50 }] })) })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^rollout: default\/web\nhashes:\n/)
  })
})

describe('sluice plan -o text', () => {
  it('prints a table of the states and, per step, what changed in each object', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], { 'r.yaml': manifest(rollout({ ...smi, steps }), ...services) })
    expect(run.code).toBe(0)
    expect(tableRows(run.stdout)).toEqual([
      ['STEP', 'ACTION', 'PHASE', 'CANARY PODS', 'CANARY WEIGHT', 'STABLE PODS', 'STABLE WEIGHT', 'ROUTES'],
      ['0', 'setWeight: 5', 'Progressing', '1', '5%', '10', '95%', '-'],
      ['1', 'pause', 'Paused', '1', '5%', '10', '95%', '-'],
      ['2', 'setWeight: 33', 'Progressing', '4', '33%', '10', '67%', '-'],
      ['3', 'pause: 30s', 'Paused', '4', '33%', '10', '67%', '-'],
      ['4', 'setWeight: 50', 'Progressing', '5', '50%', '10', '50%', '-'],
      ['final', 'promoted', 'Healthy', '10', '0%', '0', '100%', '-'],
    ])
    expect(run.stdout).toContain('  step 0: setWeight: 5 (compared with the file)\n')
    expect(run.stdout).toContain('    TrafficSplit default/web: created (owned by Rollout web)\n      spec.service "web-stable"\n')
    expect(run.stdout).toContain('  step 1: pause\n    no changes\n')
    expect(run.stdout).toContain('  step 2: setWeight: 33\n    TrafficSplit default/web: spec.backends[0].weight "5" → "33"\n')
    expect(run.stdout).toMatch(/final: promoted\n {4}Service default\/web-stable: spec\.selector\.rollouts-pod-template-hash "\w+" → "\w+"\n/)
    expect(run.stdout).not.toContain('\u001b[')
  })

  it('shows "-" for the weights of a basic canary and says there is no traffic routing', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], { 'r.yaml': manifest(rollout({ steps: [{ setWeight: 33 }] })) })
    expect(run.stdout).toContain('traffic: no traffic routing')
    expect(tableRows(run.stdout)[1]).toEqual(['0', 'setWeight: 33', 'Progressing', '3', '-', '7', '-', '-'])
  })

  it('marks an abort in the heading and the final row', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml', '--abort-at', '0'], { 'r.yaml': manifest(rollout({ ...smi, steps }), ...services) })
    expect(run.stdout).toContain('steps: 5\n  aborts during step 0\n')
    expect(run.stdout).toMatch(/\nfinal +aborted +Degraded +0 +0% +10 +100%/)
  })

  it('colours only when asked to', async () => {
    const files = { 'r.yaml': manifest(rollout({ steps: [{ pause: {} }] })) }
    expect((await runSluice(['plan', '-f', 'r.yaml'], files, { color: true })).stdout).toContain('\u001b[33mPaused')
    expect((await runSluice(['plan', '-f', 'r.yaml', '-o', 'json'], files, { color: true })).stdout).not.toContain('\u001b[')
  })
})

describe('sluice plan refuses bad input with a clear message and no stack trace', () => {
  const valid = manifest(rollout({ ...smi, steps }), ...services)
  it.each([
    // name, files, extra arguments, exit code, what stderr says
    ['a missing file', {}, [], 1, /^sluice plan: rollout\.yaml: no such file\n$/],
    ['malformed YAML', { 'rollout.yaml': 'kind: Rollout\nspec: [1, 2\nfoo: 3\n' }, [], 1, /^sluice plan: rollout\.yaml:3:1: malformed YAML: /],
    ['a document that is not an object', { 'rollout.yaml': `${valid}---\n- just\n- a list\n` }, [], 1, /document 4 is not a mapping/],
    ['an object without a kind', { 'rollout.yaml': `${valid}---\napiVersion: v1\nmetadata: {name: x}\n` }, [], 1, /rollout\.yaml:\d+:1: document 4 has no kind/],
    ['no Rollout', { 'rollout.yaml': manifest(...services) }, [], 1, /^sluice plan: rollout\.yaml: no Rollout found \(2 objects in the file\)/],
    ['two Rollouts', { 'rollout.yaml': manifest(rollout({}), rollout({})) }, [], 1, /2 Rollouts found; the file must hold exactly one\n {2}rollout\.yaml:1:1: Rollout web\n {2}rollout\.yaml:\d+:1: Rollout web\n$/],
    ['an object twice', { 'rollout.yaml': manifest(rollout({ steps }), ...services, services[0]) }, [], 1, /Service default\/web-canary is already defined at line \d+/],
    ['a missing Service', { 'rollout.yaml': manifest(rollout({ ...smi, steps }), services[1]) }, [], 1, /references objects that are missing.*\n.*spec\.strategy\.canary\.canaryService: Not found: "web-canary"/],
    ['a missing VirtualService', { 'rollout.yaml': manifest(rollout({ canaryService: 'web-canary', stableService: 'web-stable', trafficRouting: { istio: { virtualService: { name: 'web' } } } }), ...services) }, [], 1, /spec\.strategy\.canary\.trafficRouting\.istio\.virtualService.*not found/i],
    ['--abort-at past the last step', { 'rollout.yaml': valid }, ['--abort-at', '5'], 1, /--abort-at 5 is out of range: the Rollout in rollout\.yaml has 5 steps \(0\.\.4\)\nRun 'sluice plan --help' for usage\.\n$/],
    ['--abort-at without steps', { 'rollout.yaml': manifest(rollout({})) }, ['--abort-at', '0'], 1, /has no steps/],
    ['--abort-at not a number', { 'rollout.yaml': valid }, ['--abort-at=-1'], 1, /--abort-at takes a step index \(0, 1, \.\.\.\), not "-1"/],
    ['--abort-at with a value that looks like a flag', { 'rollout.yaml': valid }, ['--abort-at', '-1'], 1, /flag --abort-at needs a value \(write --abort-at=VALUE for one that starts with "-"\)/],
    ['an unknown flag', { 'rollout.yaml': valid }, ['--frobnicate'], 1, /^sluice plan: unknown flag --frobnicate\n/],
    ['an unknown output format', { 'rollout.yaml': valid }, ['-o', 'xml'], 1, /unknown output format "xml" \(one of: text, json, yaml\)/],
    ['a stray argument', { 'rollout.yaml': valid }, ['extra'], 1, /unexpected argument "extra"/],
  ] as const)('%s', async (_name, files, extra, code, message) => {
    const run = await runSluice(['plan', '-f', 'rollout.yaml', ...extra], files)
    expect(run.stderr).toMatch(message)
    expect(run.code).toBe(code)
    expect(run.stdout).toBe('')
    expect(hasStackTrace(run.stderr)).toBe(false)
  })

  it('an invalid Rollout: every validation error with its field path and its place in the file', async () => {
    const text = manifest(rollout({ steps: [{ setWeight: 120 }, { pause: { duration: 'soon' } }, { setWeight: 10, pause: {} }] }, -1))
    const run = await runSluice(['plan', '-f', 'r.yaml', '-o', 'json'], { 'r.yaml': text })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.split('\n')).toEqual([
      'sluice plan: r.yaml: Rollout default/web is invalid',
      '  r.yaml:7:13: spec.replicas: Invalid value: -1: must be a non-negative integer',
      '  r.yaml:22:22: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100',
      '  r.yaml:24:23: spec.strategy.canary.steps[1].pause.duration: Invalid value: "soon": must be a whole number of seconds or a duration such as 30s, 5m or 1h',
      '  r.yaml:25:11: spec.strategy.canary.steps[2]: Invalid value: {"setWeight":10,"pause":{}}: Step must set exactly one action, found setWeight and pause',
      '',
    ])
  })

  it('a step the configured router cannot perform', async () => {
    const canary = { ...smi, trafficRouting: { managedRoutes: [{ name: 'h' }], smi: {} }, steps: [{ setHeaderRoute: { name: 'h', match: [{ headerName: 'x', headerValue: { exact: 'y' } }] } }] }
    const run = await runSluice(['plan', '-f', 'r.yaml'], { 'r.yaml': manifest(rollout(canary), ...services) })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('spec.strategy.canary.steps[0].setHeaderRoute: Unsupported value: the smi traffic router does not support header routing')
  })

  it('a traffic router this build does not know', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], { 'r.yaml': manifest(rollout({ ...smi, trafficRouting: { appMesh: {} } }), ...services) })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('spec.strategy.canary.trafficRouting.appMesh: Unsupported value: the appMesh traffic router is not supported by Sluice yet')
  })
})
