import { describe, expect, it } from 'vitest'
import { hasStackTrace, manifest, rollout, runSluice } from './__fixtures__/run-sluice.ts'

const files = { 'r.yaml': manifest(rollout({ steps: [{ setWeight: 50 }] })) }

describe('sluice', () => {
  it.each([
    // arguments, exit code, stream, what it says
    [['--help'], 0, 'stdout', /^sluice: progressive delivery.*\n\nUsage: sluice <command> \[flags\]\n\nCommands:\n {2}get {9}Show a Rollout as a tree.*\n {2}plan {8}Preview a Rollout update step by step, offline\n {2}lint {8}Check a Rollout.*\n {2}completion {2}Print a shell completion script.*\n {2}version {5}Print the version of sluice\n/s],
    [['-h'], 0, 'stdout', /^sluice: progressive delivery/],
    [['help'], 0, 'stdout', /^sluice: progressive delivery/],
    [['--version'], 0, 'stdout', /^0\.1\.0-test\n$/],
    [['plan', '--help'], 0, 'stdout', /^Preview a Rollout update step by step, offline\.\n\nUsage: sluice plan -f FILE \[-o text\|json\|yaml\] \[--abort-at N\] \[--traffic-split-api-version V\] \[--ambassador-api-version V\]\n/],
    [['plan', '-f', 'r.yaml', '-h'], 0, 'stdout', /^Preview a Rollout update/],
    [['help', 'lint'], 0, 'stdout', /^Check a Rollout and the objects it references, offline\.\n\nUsage: sluice lint -f FILE \[-o text\|json\] \[--traffic-split-api-version V\] \[--ambassador-api-version V\]\n/],
    [[], 1, 'stderr', /^sluice: progressive delivery.*Usage: sluice <command>/s],
    [['deploy'], 1, 'stderr', /^sluice: unknown command "deploy" \(commands: get, list, status, promote, abort, retry, pause, resume, restart, set, undo, create, terminate, plan, lint, completion, version\)\nRun 'sluice --help' for usage\.\n$/],
    // did you mean: a misspelt command or flag, by edit distance
    [['promte', 'web'], 1, 'stderr', /^sluice: unknown command "promte" \(did you mean "promote"\?\)\nRun 'sluice --help' for usage\.\n$/],
    [['satus', 'web'], 1, 'stderr', /^sluice: unknown command "satus" \(did you mean "status"\?\)\n/],
    [['lsit'], 1, 'stderr', /^sluice: unknown command "lsit" \(did you mean "list"\?\)\n/],
    [['status', 'web', '--timout', '5m'], 1, 'stderr', /^sluice status: unknown flag --timout \(did you mean --timeout\?\)\n/],
    [['get', 'rollout', 'web', '--wacth'], 1, 'stderr', /^sluice get: unknown flag --wacth \(did you mean --watch\?\)\n/],
    [['promote', 'web', '--ful'], 1, 'stderr', /^sluice promote: unknown flag --ful \(did you mean --full\?\)\n/],
    [['--verison'], 1, 'stderr', /^sluice: unknown flag --verison \(did you mean --version\?\)/],
    [['help', 'promte'], 1, 'stderr', /^sluice: no help for unknown command "promte" \(did you mean "promote"\?\)\n/],
    [['--frobnicate'], 1, 'stderr', /^sluice: unknown flag --frobnicate \(flags go after the command: sluice <command> \[flags\]\)\n/],
    [['help', 'deploy'], 1, 'stderr', /^sluice: no help for unknown command "deploy"/],
    [['plan'], 1, 'stderr', /^sluice plan: flag -f, --filename is required\nRun 'sluice plan --help' for usage\.\n$/],
    [['plan', '-f'], 1, 'stderr', /^sluice plan: flag -f, --filename needs a value\n/],
    [['lint', '--output'], 1, 'stderr', /^sluice lint: flag -o, --output needs a value\n/],
    [['plan', '-f', 'r.yaml', '--abort-at'], 1, 'stderr', /^sluice plan: flag --abort-at needs a value\n/],
    [['lint', '-f', 'r.yaml', '-o', 'yaml'], 1, 'stderr', /^sluice lint: unknown output format "yaml" \(one of: text, json\)\n/],
    [['plan', '-f', 'r.yaml', '--traffic-split-api-version', 'split.smi-spec.io/v9'], 1, 'stderr', /^sluice plan: --traffic-split-api-version: the smi router's apiVersion "split.smi-spec.io\/v9" is not one of split.smi-spec.io\/v1alpha1, split.smi-spec.io\/v1alpha2, split.smi-spec.io\/v1alpha3 /],
    [['lint', '-f', 'r.yaml', '--ambassador-api-version', 'x/v1'], 1, 'stderr', /^sluice lint: --ambassador-api-version: the ambassador router's apiVersion "x\/v1" is not one of getambassador.io\/v2, getambassador.io\/v3alpha1, x.getambassador.io\/v3alpha1 /],
    // the cluster commands check their command line before they look for a kubeconfig
    [['version'], 0, 'stdout', /^sluice 0\.1\.0-test\n$/],
    [['version', '-o', 'json'], 0, 'stdout', /^\{"sluice":"0\.1\.0-test"\}\n$/],
    [['get'], 1, 'stderr', /^sluice get: the kind \(rollout\) and NAME is required\nRun 'sluice get --help' for usage\.\n$/],
    [['get', 'pods', 'web'], 1, 'stderr', /^sluice get: sluice gets rollouts only, not "pods" \(write: sluice get rollout NAME\)\n/],
    [['get', 'rollout', 'web', 'extra'], 1, 'stderr', /^sluice get: unexpected argument "extra" \(after the kind \(rollout\) and NAME\)\n/],
    [['get', 'rollouts', '--watch'], 1, 'stderr', /^sluice get: --watch follows one rollout: sluice get rollout NAME --watch\n/],
    [['get', 'rollout', 'web', '-A'], 1, 'stderr', /^sluice get: -A, --all-namespaces lists rollouts; it does not go with a NAME\n/],
    [['get', 'rollout', 'web', '-o', 'wide'], 1, 'stderr', /^sluice get: unknown output format "wide" \(one of: text, json, yaml\)\n/],
    [['get', 'rollout', 'web', '--kubeconfig'], 1, 'stderr', /^sluice get: flag --kubeconfig needs a value\n/],
    [['list', 'pods'], 1, 'stderr', /^sluice list: sluice lists rollouts only, not "pods"\n/],
    [['list', '-A', '-n', 'shop'], 1, 'stderr', /^sluice list: -A, --all-namespaces and -n, --namespace do not go together\n/],
    [['list', '--request-timeout', 'soon'], 1, 'stderr', /^sluice list: --request-timeout takes a duration such as 30s or 1m \(0: no timeout\), not "soon"\n/],
    [['status'], 1, 'stderr', /^sluice status: NAME is required\n/],
    [['status', 'web', '--timeout', 'soon'], 1, 'stderr', /^sluice status: --timeout takes a duration such as 30s, 10m or 1h \(0: no timeout\), not "soon"\n/],
    [['status', 'web', '--watch=maybe'], 1, 'stderr', /^sluice status: flag --watch takes true or false, not "maybe"\n/],
    [['get', 'rollout', 'web', '-w', '--timeout-seconds', '1m'], 1, 'stderr', /^sluice get: --timeout-seconds takes a whole number of seconds, not "1m"\n/],
    [['restart', 'web', '--in', 'later'], 1, 'stderr', /^sluice restart: --in takes a duration such as 30s, 5m or 1h, not "later"\n/],
    [['retry', 'job', 'web'], 1, 'stderr', /^sluice retry: sluice retries rollouts or experiments: sluice retry rollout NAME\.\.\. or sluice retry experiment NAME\.\.\. \(not "job"\)\n/],
    [['terminate', 'pod', 'x'], 1, 'stderr', /^sluice terminate: sluice terminates an analysisrun or an experiment, not "pod"\n/],
    [['terminate', 'analysisrun'], 1, 'stderr', /^sluice terminate: the kind \(analysisrun or experiment\) and NAME is required\n/],
    [['create'], 1, 'stderr', /^sluice create: flag -f, --filename is required\n/],
    [['completion', 'powershell'], 1, 'stderr', /^sluice completion: no completion for "powershell" \(shells: bash, zsh, fish\)\n/],
    [['list', '--watch', '-o', 'json'], 1, 'stderr', /^sluice list: --watch prints lines of the table: it does not go with -o json or yaml\n/],
    [['get', 'rollout', 'web', '--as-group', 'admins'], 1, 'stderr', /^sluice get: --as-group and --as-uid impersonate with --as USER only\n/],
    [['get', 'rollout', 'web', '--insecure-skip-tls-verify', '--certificate-authority', 'ca.crt'], 1, 'stderr', /^sluice get: --certificate-authority and --insecure-skip-tls-verify do not go together/],
    [['-n', 'shop'], 1, 'stderr', /^sluice: a command is required after the cluster flags/],
    [['version', '--short'], 0, 'stdout', /^sluice: 0\.1\.0-test\n$/],
    [['--version'], 0, 'stdout', /^0\.1\.0-test\n$/],
    [['-v'], 0, 'stdout', /^0\.1\.0-test\n$/],
    [['promote'], 1, 'stderr', /^sluice promote: NAME is required\nRun 'sluice promote --help' for usage\.\n$/],
    [['promote', 'web', '--fast'], 1, 'stderr', /^sluice promote: unknown flag --fast\n/],
    [['promote', 'web', 'db'], 1, 'stderr', /^sluice promote: unexpected argument "db" \(after NAME\)\n/],
    [['set', 'image', 'web'], 1, 'stderr', /^sluice set: image NAME CONTAINER=IMAGE is required\n/],
    [['set', 'env', 'web', 'A=b'], 1, 'stderr', /^sluice set: sluice sets images only: sluice set image NAME CONTAINER=IMAGE \(not "env"\)\n/],
    [['set', 'image', 'web', 'web:2'], 1, 'stderr', /^sluice set: expected CONTAINER=IMAGE \(or '\*=IMAGE' for every container\), not "web:2"\n/],
    [['undo', 'web', '--to-revision', 'last'], 1, 'stderr', /^sluice undo: --to-revision takes a revision number \(1, 2, \.\.\.\), not "last"\n/],
    [['undo', 'web', '--to-revision', '0'], 1, 'stderr', /^sluice undo: --to-revision takes a revision number/],
    [['promote', '--help'], 0, 'stdout', /^Promote a Rollout: .*\n\nUsage: sluice promote NAME \[--full\] \[cluster flags\]\n.*--kubeconfig FILE/s],
    [['status', '-h'], 0, 'stdout', /^Wait for a Rollout's update to settle.*Exit codes: 0 Healthy \(--watch=false: anything but Degraded or aborted\); 1 Degraded or aborted,\ntimed out/s],
  ] as const)('sluice %j → exit %i', async (argv, code, stream, text) => {
    const run = await runSluice([...argv], files)
    expect(run[stream]).toMatch(text)
    expect(run[stream === 'stdout' ? 'stderr' : 'stdout']).toBe('')
    expect(run.code).toBe(code)
  })

  it.each([
    // Argo's forms: each passes the command line and goes looking for a cluster (none here), so
    // what fails is the kubeconfig, never the flags. Their effect is in test/e2e/cli.test.ts.
    [['retry', 'rollout', 'web']],
    [['retry', 'ro', 'web']],
    [['retry', 'experiment', 'exp1']],
    [['retry', 'rollout', 'web', 'api']],
    [['abort', 'web', 'api']],
    [['pause', 'web', 'api', 'db']],
    [['status', 'web', '--watch=false']],
    [['status', 'web', '-w=false']],
    [['status', 'web', '--watch=true', '-t', '60s']],
    [['status', '--timeout', '0', 'web']],
    [['restart', 'web', '--in', '10s']],
    [['restart', 'web', '-i', '1m']],
    [['list', 'rollouts', '--watch']],
    [['list', 'rollouts', '-w', '--name', 'web', '--timestamps']],
    [['list', 'rollouts', '-A', '--timestamps']],
    [['get', 'rollout', 'web', '--no-color']],
    [['get', 'rollout', 'web', '-w', '--timeout-seconds', '60']],
    [['get', 'rollouts', 'web']],
    [['get', 'ro', 'web']],
    [['set', 'image', 'web', '*=web:2']],
    [['terminate', 'analysisrun', 'run-1']],
    [['terminate', 'ar', 'run-1', 'run-2']],
    [['terminate', 'exp', 'exp1']],
    // kubectl's global flags, after and before the command
    [['get', 'rollout', 'web', '--as', 'jane', '--as-group', 'devs', '--as-uid', '42']],
    [['get', 'rollout', 'web', '--token', 'abc']],
    [['get', 'rollout', 'web', '--context', 'prod', '--cluster', 'c', '--user', 'u']],
    [['get', 'rollout', 'web', '--insecure-skip-tls-verify', '--request-timeout', '5s']],
    [['get', 'rollout', 'web', '--certificate-authority', 'ca.crt', '--client-certificate', 'c.crt', '--client-key', 'c.key', '--tls-server-name', 'api']],
    [['get', 'rollout', 'web', '--request-timeout', '0']],
    [['get', 'rollout', 'web', '--request-timeout=10']],
    [['-n', 'shop', 'get', 'rollout', 'web']],
    [['--namespace=shop', '--context', 'prod', 'promote', 'web']],
    [['-v', '6', '--loglevel', 'debug', '--cache-dir', '/tmp/c', '--disable-compression', 'list', 'rollouts']],
    [['-nshop', '--insecure-skip-tls-verify', 'abort', 'web']],
  ])('accepts %j', async (argv) => {
    const run = await runSluice(argv, files, { env: {} })
    expect(run.stderr).toMatch(/^sluice \w+: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~\/\.kube\/config\n$/)
    expect(run.code).toBe(1)
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
