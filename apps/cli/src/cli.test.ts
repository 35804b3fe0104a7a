import { describe, expect, it } from 'vitest'
import { hasStackTrace, manifest, rollout, runSluice } from './__fixtures__/run-sluice.ts'

const files = { 'r.yaml': manifest(rollout({ steps: [{ setWeight: 50 }] })) }

describe('sluice', () => {
  it.each([
    // arguments, exit code, stream, what it says
    [['--help'], 0, 'stdout', /^sluice: progressive delivery.*\n\nUsage: sluice <command> \[flags\]\n\nCommands:\n {2}get {6}Show a Rollout as a tree.*\n {2}plan {5}Preview a Rollout update step by step, offline\n {2}lint {5}Check a Rollout.*\n {2}version {2}Print the version of sluice\n/s],
    [['-h'], 0, 'stdout', /^sluice: progressive delivery/],
    [['help'], 0, 'stdout', /^sluice: progressive delivery/],
    [['--version'], 0, 'stdout', /^0\.1\.0-test\n$/],
    [['plan', '--help'], 0, 'stdout', /^Preview a Rollout update step by step, offline\.\n\nUsage: sluice plan -f FILE \[-o text\|json\|yaml\] \[--abort-at N\] \[--traffic-split-api-version V\] \[--ambassador-api-version V\]\n/],
    [['plan', '-f', 'r.yaml', '-h'], 0, 'stdout', /^Preview a Rollout update/],
    [['help', 'lint'], 0, 'stdout', /^Check a Rollout and the objects it references, offline\.\n\nUsage: sluice lint -f FILE \[-o text\|json\] \[--traffic-split-api-version V\] \[--ambassador-api-version V\]\n/],
    [[], 2, 'stderr', /^sluice: progressive delivery.*Usage: sluice <command>/s],
    [['deploy'], 2, 'stderr', /^sluice: unknown command "deploy" \(commands: get, list, status, promote, abort, retry, pause, resume, restart, set, undo, plan, lint, version\)\nRun 'sluice --help' for usage\.\n$/],
    [['--frobnicate'], 2, 'stderr', /^sluice: unknown flag --frobnicate \(flags go after the command: sluice <command> \[flags\]\)\n/],
    [['help', 'deploy'], 2, 'stderr', /^sluice: no help for unknown command "deploy"/],
    [['plan'], 2, 'stderr', /^sluice plan: flag -f, --filename is required\nRun 'sluice plan --help' for usage\.\n$/],
    [['plan', '-f'], 2, 'stderr', /^sluice plan: flag -f, --filename needs a value\n/],
    [['lint', '--output'], 2, 'stderr', /^sluice lint: flag -o, --output needs a value\n/],
    [['plan', '-f', 'r.yaml', '--abort-at'], 2, 'stderr', /^sluice plan: flag --abort-at needs a value\n/],
    [['lint', '-f', 'r.yaml', '-o', 'yaml'], 2, 'stderr', /^sluice lint: unknown output format "yaml" \(one of: text, json\)\n/],
    [['plan', '-f', 'r.yaml', '--traffic-split-api-version', 'split.smi-spec.io/v9'], 2, 'stderr', /^sluice plan: unsupported TrafficSplit API version "split.smi-spec.io\/v9"; use one of split.smi-spec.io\/v1alpha1, /],
    [['lint', '-f', 'r.yaml', '--ambassador-api-version', 'x/v1'], 2, 'stderr', /^sluice lint: unsupported Mapping API version "x\/v1"; use one of getambassador.io\/v2, getambassador.io\/v3alpha1/],
    // the cluster commands check their command line before they look for a kubeconfig
    [['version'], 0, 'stdout', /^sluice 0\.1\.0-test\n$/],
    [['version', '-o', 'json'], 0, 'stdout', /^\{"sluice":"0\.1\.0-test"\}\n$/],
    [['get'], 2, 'stderr', /^sluice get: the kind \(rollout\) and NAME is required\nRun 'sluice get --help' for usage\.\n$/],
    [['get', 'pods', 'web'], 2, 'stderr', /^sluice get: sluice gets rollouts only, not "pods" \(write: sluice get rollout NAME\)\n/],
    [['get', 'rollout', 'web', 'extra'], 2, 'stderr', /^sluice get: unexpected argument "extra" \(after the kind \(rollout\) and NAME\)\n/],
    [['get', 'rollouts', 'web'], 2, 'stderr', /^sluice get: unexpected argument "web" \(to show one rollout: sluice get rollout web\)\n/],
    [['get', 'rollouts', '--watch'], 2, 'stderr', /^sluice get: --watch follows one rollout: sluice get rollout NAME --watch\n/],
    [['get', 'rollout', 'web', '-A'], 2, 'stderr', /^sluice get: -A, --all-namespaces lists rollouts; it does not go with a NAME\n/],
    [['get', 'rollout', 'web', '-o', 'wide'], 2, 'stderr', /^sluice get: unknown output format "wide" \(one of: text, json, yaml\)\n/],
    [['get', 'rollout', 'web', '--kubeconfig'], 2, 'stderr', /^sluice get: flag --kubeconfig needs a value\n/],
    [['list', 'pods'], 2, 'stderr', /^sluice list: sluice lists rollouts only, not "pods"\n/],
    [['list', '-A', '-n', 'shop'], 2, 'stderr', /^sluice list: -A, --all-namespaces and -n, --namespace do not go together\n/],
    [['list', '--request-timeout', 'soon'], 2, 'stderr', /^sluice list: --request-timeout takes a duration such as 30s or 1m, not "soon"\n/],
    [['status'], 2, 'stderr', /^sluice status: NAME is required\n/],
    [['status', 'web', '--timeout', 'soon'], 2, 'stderr', /^sluice status: --timeout takes a duration such as 30s, 10m or 1h, not "soon"\n/],
    [['status', 'web', '--timeout', '0s'], 2, 'stderr', /^sluice status: --timeout takes a duration/],
    [['promote'], 2, 'stderr', /^sluice promote: NAME is required\nRun 'sluice promote --help' for usage\.\n$/],
    [['promote', 'web', '--fast'], 2, 'stderr', /^sluice promote: unknown flag --fast\n/],
    [['abort', 'web', 'db'], 2, 'stderr', /^sluice abort: unexpected argument "db" \(after NAME\)\n/],
    [['set', 'image', 'web'], 2, 'stderr', /^sluice set: image NAME CONTAINER=IMAGE is required\n/],
    [['set', 'env', 'web', 'A=b'], 2, 'stderr', /^sluice set: sluice sets images only: sluice set image NAME CONTAINER=IMAGE \(not "env"\)\n/],
    [['set', 'image', 'web', 'web:2'], 2, 'stderr', /^sluice set: expected CONTAINER=IMAGE, not "web:2"\n/],
    [['undo', 'web', '--to-revision', 'last'], 2, 'stderr', /^sluice undo: --to-revision takes a revision number \(1, 2, \.\.\.\), not "last"\n/],
    [['undo', 'web', '--to-revision', '0'], 2, 'stderr', /^sluice undo: --to-revision takes a revision number/],
    [['promote', '--help'], 0, 'stdout', /^Promote a Rollout: .*\n\nUsage: sluice promote NAME \[--full\] \[cluster flags\]\n.*--kubeconfig FILE/s],
    [['status', '-h'], 0, 'stdout', /^Wait for a Rollout's update to settle.*Exit codes: 0 Healthy; 1 Degraded or aborted/s],
  ] as const)('sluice %j → exit %i', async (argv, code, stream, text) => {
    const run = await runSluice([...argv], files)
    expect(run[stream]).toMatch(text)
    expect(run[stream === 'stdout' ? 'stderr' : 'stdout']).toBe('')
    expect(run.code).toBe(code)
  })

  it.each([
    // kubectl-like spellings of the same flags
    [['plan', '-f', 'r.yaml', '-o', 'json']],
    [['plan', '--filename', 'r.yaml', '--output', 'json']],
    [['plan', '--filename=r.yaml', '--output=json']],
    [['plan', '-fr.yaml', '-ojson']],
    [['plan', '-o', 'json', '-f', 'r.yaml']],
  ])('accepts %j', async (argv) => {
    const run = await runSluice(argv, files)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ rollout: 'default/web' })
  })

  it('reports an unexpected failure as one line, without a stack', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], files, {
      stdout: () => {
        throw new Error('EPIPE: broken pipe')
      },
    })
    expect(run.stderr).toBe('sluice: internal error: EPIPE: broken pipe\n')
    expect(run.code).toBe(1)
  })

  it('prints the stack of an unexpected failure with SLUICE_DEBUG=1', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], files, {
      debug: true,
      stdout: () => {
        throw new Error('EPIPE: broken pipe')
      },
    })
    expect(run.stderr).toMatch(/^sluice: internal error: EPIPE: broken pipe\nError: EPIPE: broken pipe\n\s+at /)
    expect(hasStackTrace(run.stderr)).toBe(true)
  })
})
