/**
 * pnpm run release:check: what a user would install, checked the way a user would meet it.
 *
 * 1. Builds and packs every publishable package (`pnpm pack`, which also runs `prepack`) and the
 *    Helm chart (`helm package`), and checks each tarball's manifest: LICENSE, README, `repository`,
 *    `engines` at the floor, no `workspace:` ranges, `@sluice/core` as a peer where it must be.
 * 2. publint (strict) and attw (Are the Types Wrong, ESM-only profile) on every tarball.
 * 3. Installs the tarballs with npm into one scratch project, then checks that every installed
 *    package's own `engines` accepts the floor Node.
 * 4. Consumers on the floor Node and the latest: an ESM one and a CommonJS one (`require()` of our
 *    ESM-only packages) import every package; TypeScript consumers type-check with `module: nodenext`
 *    (ESM and CommonJS files) and with `moduleResolution: bundler`; each README's documented example
 *    (`<!-- release-check -->`) is compiled and run. `@sluice/kube` is also type-checked and run with
 *    `@kubernetes/client-node` 2.0.1, the low end of its peer range, and npm must refuse 1.4.
 * 5. On a scratch copy of the repository: `changeset version` then the chart version step, and
 *    checks that every package moved together, got a CHANGELOG.md, and that the chart's `version`
 *    and `appVersion` followed.
 *
 * Scratch files go to a temp directory (kept with SLUICE_KEEP_SCRATCH=1); Node versions and npm's
 * cache persist, so a second run spends its time installing and compiling, not downloading.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import semver from 'semver'
import { CHART_DIR, readChartVersions, syncChartVersion } from './chart-version.ts'
import { checkEngines } from './engines.ts'
import { ENGINES_RANGE, FLOOR, LATEST, nodeBinary } from './nodes.ts'
import { readmeExamples } from './readme-examples.ts'

const repo = resolve(import.meta.dirname, '../../..')
const bin = (name: string) => join(repo, 'tools/release-check/node_modules/.bin', name)
const started = Date.now()
const failures: string[] = []

interface Publishable {
  dir: string
  name: string
  version: string
  manifest: Manifest
  tarball?: string
}

interface Manifest {
  name: string
  version: string
  private?: boolean
  license?: string
  repository?: { url?: string; directory?: string }
  engines?: { node?: string }
  exports?: Record<string, unknown>
  bin?: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

/** What each library must export at run time: a smoke test that the entry is the real one. */
const EXPECTED_EXPORTS: Record<string, string[]> = {
  '@sluice/core': ['planRollout', 'validateRollout', 'isTerminal', 'TerminalError', 'AdapterError', 'defineTrafficRouter', 'resolveCanary'],
  '@sluice/kube': ['createKubeApi', 'Informer', 'WorkQueue', 'LeaderElector', 'EventRecorder'],
  '@sluice/client': ['promote', 'abort', 'OperationRefused'],
  '@sluice/istio': ['istioRouter', 'createIstioRouter', 'istioCapabilities'],
  '@sluice/nginx': ['nginxRouter', 'createNginxRouter', 'nginxCapabilities'],
  '@sluice/alb': ['albRouter', 'createAlbRouter', 'albCapabilities'],
  '@sluice/smi': ['smiRouter', 'createSmiRouter', 'smiCapabilities'],
  '@sluice/ambassador': ['ambassadorRouter', 'createAmbassadorRouter', 'ambassadorCapabilities'],
  '@sluice/routers': ['builtinRouters', 'createRouterRegistry', 'RouterRegistry', 'ROUTER_SETTING_FLAGS'],
  '@sluice/reconcile': ['observeRollout', 'executePlan', 'executeAction', 'simulateRollout', 'SimulationError'],
}
/** Packages that must take `@sluice/core` as a peer (one copy per app, docs/adr/0006). */
const CORE_PEERS = ['@sluice/kube', '@sluice/client', '@sluice/istio', '@sluice/nginx', '@sluice/alb', '@sluice/smi', '@sluice/ambassador', '@sluice/routers', '@sluice/reconcile']
/** The peers a consumer installs, at the ranges we declare (npm picks the newest that fits). */
const CONSUMER_PEERS = {
  '@kubernetes/client-node': '^2.0.1',
  '@aws-sdk/client-elastic-load-balancing-v2': '^3.1142.0',
  typescript: '6.0.3',
  '@types/node': '24.10.1',
  // client-node's declarations import `ws` through isomorphic-ws without depending on its types;
  // with `skipLibCheck: false` (how we check our own .d.ts) a consumer needs them.
  '@types/ws': '^8.18.1',
}
/**
 * The low end of `@sluice/kube`'s client-node peer range, run as well as the newest. 1.x is outside
 * the range: its `KubeConfig` has no undici dispatcher (`getDispatcher`), which `@sluice/kube`'s
 * transport needs, so npm must refuse that combination at install instead of letting it fail at
 * the first request.
 */
const OLDEST_CLIENT_NODE = '2.0.1'
const REFUSED_CLIENT_NODE = '1.4.0'

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-release-check-'))
  const out = join(scratch, 'tarballs')
  mkdirSync(out)
  log(`scratch directory ${scratch}`)

  const nodes = await step('fetch Node', async () => {
    const list = [
      { label: `floor ${FLOOR}`, path: nodeBinary(FLOOR) },
      { label: `latest ${LATEST}`, path: nodeBinary(LATEST) },
    ]
    for (const n of list) n.label = `${n.label} (${(await run(n.path, ['--version'])).trim()})`
    return list
  })

  const packages = publishable()
  await step('build', async () => {
    await run('pnpm', ['exec', 'nx', 'run-many', '-t', 'build', '--outputStyle=static', '-p', ...packages.map((p) => p.name)], { cwd: repo })
    return `${packages.length} packages`
  })
  await step('pack', () => pack(packages, out))
  const chart = await step('package the chart', () => packChart(out, packages[0]?.version ?? ''))
  await step('tarball contents', () => checkTarballs(packages))
  await step('publint and attw', () => lintTarballs(packages))

  const consumer = join(scratch, 'consumer')
  await step('npm install of the tarballs', () => installConsumer(consumer, packages))
  await step(`engines of the installed tree accept ${FLOOR}`, () => {
    const { checked, problems } = checkEngines(consumer, FLOOR)
    for (const p of problems) fail(`${p.name}@${p.version} needs Node ${p.needs} (at ${p.at}); the floor is ${FLOOR}`)
    return Promise.resolve(`${checked} packages`)
  })
  await step('TypeScript consumers (nodenext ESM and CommonJS, bundler)', () => typeScriptConsumers(consumer, packages))
  const examples = await step('README examples: compile', () => prepareExamples(consumer, packages))
  const api = await startStubApiServer()
  try {
    for (const node of nodes) {
      await step(`ESM and CommonJS consumers on Node ${node.label}`, () => runtimeConsumers(consumer, node.path))
      await step(`README examples on Node ${node.label}`, () => runExamples(examples, node.path, api.kubeconfig))
    }
    await step(`@sluice/kube with @kubernetes/client-node ${OLDEST_CLIENT_NODE}`, () => oldestClientNode(scratch, packages, nodes, api.kubeconfig))
  } finally {
    api.server.close()
  }
  await step('changeset version on a scratch copy', () => changesetVersion(scratch, packages))

  log(`chart ${chart}`)
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (process.env.SLUICE_KEEP_SCRATCH !== '1' && failures.length === 0) rmSync(scratch, { recursive: true, force: true })
  if (failures.length) {
    console.error(`\nrelease check FAILED in ${seconds} s (${failures.length} problems):`)
    for (const f of failures) console.error(`  - ${f}`)
    console.error(`scratch files kept in ${scratch}`)
    process.exitCode = 1
  } else {
    console.log(`\nrelease check passed in ${seconds} s: ${packages.length} packages and the chart, on Node ${nodes.map((n) => n.label).join(' and ')}`)
  }
}

// --- packages and tarballs -------------------------------------------------------------------

function publishable(): Publishable[] {
  const found: Publishable[] = []
  for (const parent of ['packages', 'apps']) {
    for (const entry of readdirSync(join(repo, parent))) {
      const file = join(repo, parent, entry, 'package.json')
      if (!existsSync(file)) continue
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest
      if (manifest.private) continue
      found.push({ dir: join(repo, parent, entry), name: manifest.name, version: manifest.version, manifest })
    }
  }
  // core first: it is what the others need, and its version is the group's.
  return found.sort((a, b) => (a.name === '@sluice/core' ? -1 : b.name === '@sluice/core' ? 1 : a.name.localeCompare(b.name)))
}

async function pack(packages: Publishable[], out: string): Promise<string> {
  await Promise.all(
    packages.map(async (p) => {
      const output = await run('pnpm', ['pack', '--pack-destination', out], { cwd: p.dir })
      const tarball = output.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop()
      if (!tarball) throw new Error(`${p.name}: pnpm pack printed no tarball:\n${output}`)
      p.tarball = resolve(p.dir, tarball.trim())
    }),
  )
  return packages.map((p) => p.tarball?.split('/').pop()).join(', ')
}

async function packChart(out: string, version: string): Promise<string> {
  const helm = (await run('bash', [join(repo, 'tools/helm/build.sh')], { cwd: repo })).trim().split('\n').pop() ?? 'helm'
  const output = await run(helm, ['package', join(repo, CHART_DIR), '--destination', out])
  const tarball = output.match(/saved it to: (\S+)/)?.[1]
  if (!tarball) throw new Error(`helm package printed no path:\n${output}`)
  const chartYaml = await run('tar', ['-xzOf', tarball, 'sluice-controller/Chart.yaml'])
  const versions = readChartVersions(chartYaml)
  if (versions.version !== version || versions.appVersion !== version) {
    fail(`chart: version ${versions.version} and appVersion ${versions.appVersion}, but the packages are at ${version} (run pnpm run version-packages)`)
  }
  return tarball
}

async function checkTarballs(packages: Publishable[]): Promise<string> {
  const group = packages[0]?.version
  for (const p of packages) {
    const tarball = p.tarball ?? ''
    const files = (await run('tar', ['-tzf', tarball])).trim().split('\n')
    const m = JSON.parse(await run('tar', ['-xzOf', tarball, 'package/package.json'])) as Manifest
    const where = `${p.name} (${tarball.split('/').pop()})`
    for (const required of ['package/LICENSE', 'package/README.md', 'package/package.json']) {
      if (!files.includes(required)) fail(`${where}: no ${required.slice('package/'.length)}`)
    }
    const license = files.includes('package/LICENSE') ? await run('tar', ['-xzOf', tarball, 'package/LICENSE']) : ''
    if (license && !license.includes('Apache License') && !license.includes('Version 2.0')) fail(`${where}: LICENSE is not the Apache License 2.0`)
    if (m.license !== 'Apache-2.0') fail(`${where}: license is ${m.license}, not Apache-2.0`)
    if (!m.repository?.url || !m.repository.directory) fail(`${where}: no repository url and directory`)
    if (m.engines?.node !== ENGINES_RANGE) fail(`${where}: engines.node is ${m.engines?.node}, not ${ENGINES_RANGE}`)
    if (m.version !== group) fail(`${where}: version ${m.version}, the group is at ${group} (docs/adr/0003-versioning.md)`)
    const sourceFiles = files.filter((f) => f.startsWith('package/src/') || f.endsWith('.test.js') || f.endsWith('.test.ts'))
    if (sourceFiles.length) fail(`${where}: ships sources or tests: ${sourceFiles.slice(0, 3).join(', ')}`)
    for (const field of ['dependencies', 'peerDependencies'] as const) {
      for (const [dep, range] of Object.entries(m[field] ?? {})) {
        if (range.startsWith('workspace:') || range.startsWith('link:') || range.startsWith('file:')) fail(`${where}: ${field}.${dep} is ${range}`)
        if (!semver.validRange(range)) fail(`${where}: ${field}.${dep} "${range}" is not a semver range`)
      }
    }
    if (CORE_PEERS.includes(p.name)) {
      if (!m.peerDependencies?.['@sluice/core']) fail(`${where}: @sluice/core is not a peer dependency`)
      if (m.dependencies?.['@sluice/core']) fail(`${where}: @sluice/core is a dependency (it must be a peer, so an app holds one copy)`)
    }
  }
  return `${packages.length} tarballs`
}

async function lintTarballs(packages: Publishable[]): Promise<string> {
  await Promise.all(
    packages.map(async (p) => {
      const tarball = p.tarball ?? ''
      try {
        await run(bin('publint'), ['--strict', tarball])
      } catch (error) {
        fail(`publint ${p.name}: ${(error as Error).message}`)
      }
      // A bin-only package (the CLI) has no entry point for attw to resolve.
      if (!p.manifest.exports) return
      try {
        await run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'])
      } catch (error) {
        fail(`attw ${p.name}: ${(error as Error).message}`)
      }
    }),
  )
  return `publint on ${packages.length}, attw on ${packages.filter((p) => p.manifest.exports).length} (the CLI has no exports)`
}

// --- consumers -------------------------------------------------------------------------------

async function installConsumer(dir: string, packages: Publishable[]): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const dependencies = Object.fromEntries([...packages.map((p) => [p.name, `file:${p.tarball}`]), ...Object.entries(CONSUMER_PEERS)])
  writeJson(join(dir, 'package.json'), { name: 'sluice-consumer', version: '0.0.0', private: true, dependencies })
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir })
  for (const p of packages) {
    const installed = join(dir, 'node_modules', p.name, 'package.json')
    if (!existsSync(installed)) fail(`${p.name} is not installed in the consumer`)
  }
  // One copy of core in the whole tree: adapters take it as a peer.
  const copies = findPackageCopies(join(dir, 'node_modules'), '@sluice/core')
  if (copies.length !== 1) fail(`the consumer holds ${copies.length} copies of @sluice/core: ${copies.join(', ')}`)
  const clientNode = findPackageCopies(join(dir, 'node_modules'), '@kubernetes/client-node')
  if (clientNode.length !== 1) fail(`the consumer holds ${clientNode.length} copies of @kubernetes/client-node: ${clientNode.join(', ')}`)
  return `${readdirSync(join(dir, 'node_modules')).length} top-level entries`
}

function findPackageCopies(modules: string, name: string): string[] {
  const copies: string[] = []
  const walk = (dir: string) => {
    if (!existsSync(dir)) return
    if (existsSync(join(dir, name, 'package.json'))) copies.push(join(dir, name))
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue
      const scoped = entry.startsWith('@') ? readdirSync(join(dir, entry)).map((n) => join(dir, entry, n)) : [join(dir, entry)]
      for (const pkg of scoped) walk(join(pkg, 'node_modules'))
    }
  }
  walk(modules)
  return copies
}

const libraries = () => Object.keys(EXPECTED_EXPORTS)

async function runtimeConsumers(dir: string, node: string): Promise<string> {
  const expected = JSON.stringify(EXPECTED_EXPORTS)
  const check = `
    const expected = ${expected}
    const problems = []
    for (const [name, exports] of Object.entries(expected)) {
      const m = await load(name)
      for (const e of exports) if (m[e] === undefined) problems.push(name + ' has no ' + e)
    }
    // Errors cross packages: an adapter's terminal AdapterError is terminal to the app's core.
    const core = await load('@sluice/core')
    const error = new core.AdapterError('istio', 'VirtualService a/b', 'x', { terminal: true })
    if (!core.isTerminal(error)) problems.push('isTerminal is false for a terminal AdapterError')
    if (problems.length) { console.error(problems.join('\\n')); process.exit(1) }
    console.log('ok ' + Object.keys(expected).length + ' packages')
  `
  mkdirSync(join(dir, 'esm'), { recursive: true })
  mkdirSync(join(dir, 'cjs'), { recursive: true })
  writeFileSync(join(dir, 'esm/index.mjs'), `const load = (name) => import(name)\n${check}`)
  // require() of an ES module: unflagged since Node 22.12 (and 20.19).
  writeFileSync(join(dir, 'cjs/index.cjs'), `const load = async (name) => require(name)\n;(async () => {${check}})()`)
  const esm = await run(node, ['esm/index.mjs'], { cwd: dir })
  const cjs = await run(node, ['--no-warnings=ExperimentalWarning', 'cjs/index.cjs'], { cwd: dir })
  return `esm: ${esm.trim()}; cjs: ${cjs.trim()}`
}

async function typeScriptConsumers(dir: string, packages: Publishable[]): Promise<string> {
  const tsc = join(dir, 'node_modules/typescript/bin/tsc')
  const imports = libraries()
    .map((name, i) => `import * as m${i} from '${name}'`)
    .join('\n')
  const uses = `
import type { KubeApi, Rollout, TrafficRouter } from '@sluice/core'
import type { ClusterKubeApi } from '@sluice/kube'
export const all = [${libraries().map((_, i) => `m${i}`).join(', ')}]
export function routers(kube: KubeApi, rollout: Rollout): TrafficRouter[] {
  const target = m0.routerTargetOf(rollout)
  return [m3.createIstioRouter({ target, config: { virtualService: { name: 'web' } } }, { kube })]
}
export const asKube = (api: ClusterKubeApi): KubeApi => api
`
  const strict = { strict: true, noEmit: true, skipLibCheck: false, types: ['node'], lib: ['ES2023'], target: 'ES2023' }
  const projects = [
    { name: 'ts-nodenext', type: 'module', options: { module: 'nodenext', moduleResolution: 'nodenext' } },
    { name: 'ts-nodenext-cjs', type: 'commonjs', options: { module: 'nodenext', moduleResolution: 'nodenext' } },
    { name: 'ts-bundler', type: 'module', options: { module: 'esnext', moduleResolution: 'bundler' } },
  ]
  void packages
  const results: string[] = []
  for (const project of projects) {
    const pdir = join(dir, project.name)
    mkdirSync(pdir, { recursive: true })
    writeJson(join(pdir, 'package.json'), { name: project.name, private: true, type: project.type })
    writeJson(join(pdir, 'tsconfig.json'), { compilerOptions: { ...strict, ...project.options }, include: ['*.ts', '*.cts', '*.mts'] })
    // In a CommonJS project an ES module is loaded with require() (TypeScript 5.8+ under nodenext).
    const source = project.type === 'commonjs' ? imports.replace(/import \* as (m\d+) from ('[^']+')/g, 'import $1 = require($2)') : imports
    writeFileSync(join(pdir, 'index.ts'), `${source}\n${uses}`)
    await run(node24(), [tsc, '-p', pdir])
    results.push(project.name)
  }
  return results.join(', ')
}

interface PreparedExample {
  pkg: string
  dir: string
  runs: { kind: 'js' | 'sh'; file: string }[]
}

async function prepareExamples(dir: string, packages: Publishable[]): Promise<string> {
  const prepared: PreparedExample[] = []
  const root = join(dir, 'examples')
  mkdirSync(root, { recursive: true })
  writeJson(join(root, 'package.json'), { name: 'examples', private: true, type: 'module' })
  const tsFiles: string[] = []
  for (const p of packages) {
    const readme = readFileSync(join(p.dir, 'README.md'), 'utf8')
    let examples
    try {
      examples = readmeExamples(readme)
    } catch (error) {
      fail(`${p.name} README: ${(error as Error).message}`)
      continue
    }
    if (!examples.some((e) => e.kind !== 'file')) {
      fail(`${p.name} README: no documented example (a code block after <!-- release-check -->)`)
      continue
    }
    const edir = join(root, p.name.replace('@sluice/', ''))
    mkdirSync(edir, { recursive: true })
    const runs: PreparedExample['runs'] = []
    for (const e of examples) {
      writeFileSync(join(edir, e.name), e.code)
      if (e.kind === 'ts') {
        tsFiles.push(join(edir, e.name))
        // Compiled into examples/dist/<package>/ (tsc excludes its outDir, so not beside the source).
        runs.push({ kind: 'js', file: join(root, 'dist', edir.slice(root.length + 1), e.name.replace(/\.ts$/, '.js')) })
      } else if (e.kind === 'sh') runs.push({ kind: 'sh', file: join(edir, e.name) })
    }
    prepared.push({ pkg: p.name, dir: edir, runs })
  }
  writeJson(join(root, 'tsconfig.json'), {
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2023', lib: ['ES2023'], types: ['node'], skipLibCheck: false, outDir: 'dist', rootDir: '.' },
    include: ['*/*.ts'],
  })
  if (tsFiles.length) await run(node24(), [join(dir, 'node_modules/typescript/bin/tsc'), '-p', root])
  examplesByDir = prepared
  return `${prepared.reduce((n, e) => n + e.runs.length, 0)} examples from ${prepared.length} READMEs`
}
let examplesByDir: PreparedExample[] = []

async function runExamples(_: string, node: string, kubeconfig: string): Promise<string> {
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    // The bins of the installed packages, run by this Node (their shebang is `env node`).
    PATH: `${dirname(node)}:${join(examplesRoot(), '..', 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
  }
  let count = 0
  for (const example of examplesByDir) {
    for (const r of example.runs) {
      try {
        if (r.kind === 'js') await run(node, [r.file], { cwd: example.dir, env })
        else await run('bash', ['-euo', 'pipefail', r.file], { cwd: example.dir, env })
        count++
      } catch (error) {
        fail(`${example.pkg} README example ${r.file.split('/').pop()} on ${node}: ${(error as Error).message}`)
      }
    }
  }
  return `${count} ran`
}
const examplesRoot = () => dirname(examplesByDir[0]?.dir ?? '.')

/** `@sluice/kube` with the oldest `@kubernetes/client-node` of its peer range: types and a request. */
async function oldestClientNode(scratch: string, packages: Publishable[], nodes: { path: string }[], kubeconfig: string): Promise<string> {
  const dir = join(scratch, 'consumer-client-node-oldest')
  mkdirSync(dir, { recursive: true })
  const pick = (name: string) => `file:${packages.find((p) => p.name === name)?.tarball}`
  writeJson(join(dir, 'package.json'), {
    name: 'sluice-consumer-client-node-oldest',
    private: true,
    type: 'module',
    dependencies: { '@sluice/core': pick('@sluice/core'), '@sluice/kube': pick('@sluice/kube'), '@kubernetes/client-node': OLDEST_CLIENT_NODE, typescript: CONSUMER_PEERS.typescript, '@types/node': CONSUMER_PEERS['@types/node'], '@types/ws': CONSUMER_PEERS['@types/ws'] },
  })
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: dir })
  const refused = join(scratch, 'consumer-client-node-refused')
  mkdirSync(refused, { recursive: true })
  writeJson(join(refused, 'package.json'), {
    name: 'sluice-consumer-client-node-refused',
    private: true,
    dependencies: { '@sluice/core': pick('@sluice/core'), '@sluice/kube': pick('@sluice/kube'), '@kubernetes/client-node': REFUSED_CLIENT_NODE },
  })
  const outcome = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: refused }).then(
    () => 'installed',
    (error: Error) => (error.message.includes('ERESOLVE') ? 'refused' : error.message),
  )
  if (outcome !== 'refused') fail(`npm install of @sluice/kube with @kubernetes/client-node ${REFUSED_CLIENT_NODE}: ${outcome} (expected a peer-dependency refusal)`)
  const kube = examplesByDir.find((e) => e.pkg === '@sluice/kube')
  const source = kube && readdirSync(kube.dir).find((f) => f.endsWith('.ts'))
  if (!kube || !source) throw new Error('@sluice/kube has no TypeScript README example to run')
  cpSync(join(kube.dir, source), join(dir, 'example.ts'))
  writeJson(join(dir, 'tsconfig.json'), {
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2023', lib: ['ES2023'], types: ['node'], skipLibCheck: false, outDir: 'dist' },
    include: ['example.ts'],
  })
  await run(node24(), [join(dir, 'node_modules/typescript/bin/tsc'), '-p', dir])
  for (const node of nodes) await run(node.path, ['dist/example.js'], { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfig } })
  const version = (JSON.parse(readFileSync(join(dir, 'node_modules/@kubernetes/client-node/package.json'), 'utf8')) as Manifest).version
  return `client-node ${version}: type-checked, README example ran; ${REFUSED_CLIENT_NODE} refused by npm`
}

/**
 * A tiny stand-in for an API server, for the examples of `@sluice/kube`: it serves one ConfigMap,
 * `default/settings` (list and get), and answers 404 Status to anything else. The examples get a kubeconfig pointing at it.
 */
async function startStubApiServer(): Promise<{ server: Server; kubeconfig: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    res.setHeader('content-type', 'application/json')
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default', resourceVersion: '7' }, data: { greeting: 'hello' } }
    if (req.method === 'GET' && path === '/api/v1/namespaces/default/configmaps') {
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [settings] }))
      return
    }
    if (req.method === 'GET' && path === '/api/v1/namespaces/default/configmaps/settings') {
      res.end(JSON.stringify(settings))
      return
    }
    res.statusCode = 404
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `the stub serves no ${req.method} ${path}` }))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const port = (server.address() as { port: number }).port
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'sluice-stub-')), 'kubeconfig')
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{ name: stub, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: stub, user: { token: stub } }]
contexts: [{ name: stub, context: { cluster: stub, user: stub, namespace: default } }]
current-context: stub
`,
  )
  return { server, kubeconfig }
}

// --- changesets ------------------------------------------------------------------------------

async function changesetVersion(scratch: string, packages: Publishable[]): Promise<string> {
  const copy = join(scratch, 'repo')
  const files = (await run('git', ['ls-files', '-co', '--exclude-standard'], { cwd: repo })).trim().split('\n')
  for (const file of files) {
    if (!existsSync(join(repo, file))) continue // deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true })
    cpSync(join(repo, file), join(copy, file))
  }
  const pending = readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')
  const majors = pending.some((f) => /^"[^"]+":\s*major\s*$/m.test(readFileSync(join(copy, '.changeset', f), 'utf8')))
  const rootManifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const versionScript = rootManifest.scripts['version-packages'] ?? ''
  if (!versionScript.includes('chart-version')) fail(`package.json: the version-packages script does not move the chart's version (${versionScript})`)
  await run(join(repo, 'node_modules/.bin/changeset'), ['version'], { cwd: copy })
  syncChartVersion(copy)

  const before = packages[0]?.version ?? '0.0.0'
  const expected = semver.inc(before, majors ? 'major' : pending.length ? 'minor' : 'patch')
  const versions = new Set<string>()
  for (const p of packages) {
    const rel = p.dir.slice(repo.length + 1)
    const m = JSON.parse(readFileSync(join(copy, rel, 'package.json'), 'utf8')) as Manifest
    versions.add(m.version)
    const changelog = join(copy, rel, 'CHANGELOG.md')
    if (!existsSync(changelog)) fail(`changeset version wrote no ${rel}/CHANGELOG.md`)
    else if (!readFileSync(changelog, 'utf8').includes(`## ${m.version}`)) fail(`${rel}/CHANGELOG.md has no section for ${m.version}`)
  }
  const [version] = versions
  if (versions.size !== 1) fail(`changeset version left the packages at different versions: ${[...versions].join(', ')}`)
  // A minor of core must not turn into a major of its peers (changesets' default for peers).
  if (!majors && version && semver.major(version) !== semver.major(before)) fail(`changeset version moved ${before} to ${version}: a major bump no changeset asked for`)
  const chart = readChartVersions(readFileSync(join(copy, CHART_DIR, 'Chart.yaml'), 'utf8'))
  if (chart.version !== version || chart.appVersion !== version) fail(`after changeset version the chart is at ${chart.version}/${chart.appVersion}, the packages at ${version}`)
  return `${before} → ${version} (expected about ${expected}), CHANGELOG.md in ${packages.length} packages, chart ${chart.version}/${chart.appVersion}`
}

// --- helpers ---------------------------------------------------------------------------------

/** The Node 24 running this script (compilers and tools run here; consumers on the Nodes above). */
const node24 = () => process.execPath

async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
  const t = Date.now()
  try {
    const result = await body()
    const note = typeof result === 'string' ? `: ${result}` : ''
    log(`✓ ${title} (${((Date.now() - t) / 1000).toFixed(1)} s)${note}`)
    return result
  } catch (error) {
    log(`✗ ${title} (${((Date.now() - t) / 1000).toFixed(1)} s)`)
    fail(`${title}: ${(error as Error).message}`)
    throw new StepFailed()
  }
}

class StepFailed extends Error {}

function fail(message: string): void {
  failures.push(message)
}

function log(message: string): void {
  console.log(`[release-check] ${message}`)
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
}

/** Runs a command; resolves with its stdout, rejects with its output when it exits non-zero. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? repo, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) done(stdout)
      else reject(new Error(`${[command, ...args].join(' ')} exited ${code}\n${(stdout + stderr).trim().split('\n').slice(-40).join('\n')}`))
    })
  })
}

main().catch((error: unknown) => {
  if (!(error instanceof StepFailed)) failures.push(String((error as Error).stack ?? error))
  console.error(`\nrelease check FAILED in ${((Date.now() - started) / 1000).toFixed(1)} s:`)
  for (const f of failures) console.error(`  - ${f}`)
  process.exitCode = 1
})
