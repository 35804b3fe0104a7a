import { describe, expect, it } from 'vitest'
import { hasStackTrace, manifest, rollout, runSluice, service, services, virtualService } from '../__fixtures__/run-sluice.ts'

const lint = (text: string, ...flags: string[]) => runSluice(['lint', '-f', 'r.yaml', ...flags], { 'r.yaml': text })

const istio = (extra: Record<string, unknown> = {}) => ({
  canaryService: 'web-canary',
  stableService: 'web-stable',
  trafficRouting: { istio: { virtualService: { name: 'web', routes: ['primary'] } } },
  steps: [{ setWeight: 20 }, { pause: {} }],
  ...extra,
})

describe('sluice lint', () => {
  it('a valid Rollout with its objects: "no problems", exit 0', async () => {
    const run = await lint(manifest(rollout(istio()), ...services, virtualService))
    expect(run.stdout).toBe('Rollout default/web (r.yaml)\nno problems\n')
    expect(run.code).toBe(0)
  })

  it('reports every problem with its field path and place in the file, exit 1', async () => {
    const text = manifest(rollout(istio({ steps: [{ setWeight: 120 }, { experiment: {} }] })), ...services, virtualService)
    const run = await lint(text)
    const lines = run.stdout.split('\n')
    expect(lines).toHaveLength(5)
    expect(lines[0]).toBe('Rollout default/web (r.yaml)')
    expect(lines[1]).toBe('  ✗ r.yaml:30:22: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100')
    expect(lines[2]).toMatch(/^ {2}✗ r\.yaml:31:23: spec\.strategy\.canary\.steps\[1\]\.experiment: Unsupported value: experiment steps .*not supported by Sluice yet$/)
    expect(lines.slice(3)).toEqual(['2 problems', ''])
    expect(run.code).toBe(1)
  })

  it('names a traffic router plugin this build has not loaded, at its place in the file, exit 1', async () => {
    const canary = { canaryService: 'web-canary', stableService: 'web-stable', trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web' } } }, steps: [{ setWeight: 20 }] }
    const run = await lint(manifest(rollout(canary), ...services))
    expect(run.stdout.split('\n').slice(1)).toEqual([
      '  ✗ r.yaml:26:13: spec.strategy.canary.trafficRouting.plugins["argoproj-labs/gatewayAPI"]: Unsupported value: the traffic router plugin "argoproj-labs/gatewayAPI" is not loaded (loaded plugins: none)',
      '1 problem',
      '',
    ])
    expect(run.code).toBe(1)
  })

  it("checks what the configured router can do (nginx: no mirroring, one header match)", async () => {
    const canary = {
      canaryService: 'web-canary',
      stableService: 'web-stable',
      trafficRouting: { managedRoutes: [{ name: 'h' }, { name: 'm' }], nginx: { stableIngress: 'web' } },
      steps: [
        { setHeaderRoute: { name: 'h', match: [{ headerName: 'a', headerValue: { exact: '1' } }, { headerName: 'b', headerValue: { exact: '2' } }] } },
        { setMirrorRoute: { name: 'm', match: [{ method: { exact: 'GET' } }] } },
      ],
    }
    const run = await lint(manifest(rollout(canary)), '-o', 'json')
    const report = JSON.parse(run.stdout) as { problems: { path: string; kind: string }[] }
    expect(report.problems.map((p) => [p.path, p.kind])).toEqual([
      ['spec.strategy.canary.steps[0].setHeaderRoute.match', 'not-supported'],
      ['spec.strategy.canary.steps[1].setMirrorRoute', 'not-supported'],
    ])
    expect(run.code).toBe(1)
  })

  it('with only the Rollout in the file, skips the reference checks and says so', async () => {
    const run = await lint(manifest(rollout(istio())))
    expect(run.stdout).toBe('Rollout default/web (r.yaml)\n  referenced Services and mesh objects not checked: the file holds only the Rollout\nno problems\n')
    expect(run.code).toBe(0)
  })

  it('with other objects in the file, reports the referenced ones that are missing', async () => {
    const run = await lint(manifest(rollout(istio()), service('web-stable')))
    expect(run.stdout).toContain('spec.strategy.canary.canaryService: Not found: "web-canary": service "web-canary" not found in namespace "default"')
    expect(run.stdout).toMatch(/spec\.strategy\.canary\.trafficRouting\.istio\.virtualService.*: Not found/)
    expect(run.code).toBe(1)
  })

  it('reports a Service whose selector the pod template does not satisfy', async () => {
    const other = { ...service('web-canary'), spec: { selector: { app: 'api' } } }
    const run = await lint(manifest(rollout(istio()), other, services[1], virtualService))
    expect(run.stdout).toContain('spec.strategy.canary.canaryService: Invalid value: "web-canary": Service "web-canary" selects app=api')
    expect(run.code).toBe(1)
  })

  it('-o json: the Rollout, whether references were checked, and each problem with its place', async () => {
    const run = await lint(manifest(rollout(istio({ steps: [{ setWeight: -1 }] }))), '-o', 'json')
    expect(JSON.parse(run.stdout)).toEqual({
      rollout: 'default/web',
      referencesChecked: false,
      problems: [
        {
          path: 'spec.strategy.canary.steps[0].setWeight',
          kind: 'invalid',
          message: 'SetWeight needs to be between 0 and 100',
          value: -1,
          line: 30,
          column: 22,
        },
      ],
    })
    expect(run.code).toBe(1)
  })

  it('refuses a file it cannot read as one Rollout like plan does', async () => {
    const run = await lint('kind: [')
    expect(run.stderr).toMatch(/^sluice lint: r\.yaml:1:\d+: malformed YAML: /)
    expect(run.code).toBe(1)
    expect(hasStackTrace(run.stderr)).toBe(false)
  })
})
