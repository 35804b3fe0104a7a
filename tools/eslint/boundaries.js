// Enforces the dependency direction of the monorepo (docs/architecture.md):
//
//   apps/*  ──►  packages/routers  ──►  packages/<adapter>  ──►  packages/core
//
// - @sluice/routers (the registry of the built-in routers) imports @sluice/core and the adapters it
//   registers, which are also the adapter list of these rules (its dependencies);
// - @sluice/core imports no other workspace package, no Kubernetes client and
//   nothing from apps/ (and, outside its testing entry, no test framework);
// - an adapter imports @sluice/core and nothing from another adapter;
// - no source file reaches into another package by a relative path;
// - inside @sluice/core, imports point down its floors only (coreFloors below).
import { readFileSync } from 'node:fs'
import path from 'node:path'

const repoRoot = path.resolve(import.meta.dirname, '../..')

/** Returns `packages/core`, `apps/cli`, ... for a file of the workspace, or undefined. */
function packageRootOf(file) {
  const relative = path.relative(repoRoot, file).split(path.sep)
  if (relative.length < 2 || !['packages', 'apps', 'tools', 'bench'].includes(relative[0])) return undefined
  return relative[0] === 'bench' ? 'bench' : `${relative[0]}/${relative[1]}`
}

/** Visitors that call `check(node, source, target)` for each relative import or re-export in `file`. */
function onRelativeImports(file, check) {
  function visit(node) {
    const source = node.source && node.source.value
    if (typeof source !== 'string' || !source.startsWith('.')) return
    check(node, source, path.resolve(path.dirname(file), source))
  }
  return { ImportDeclaration: visit, ExportNamedDeclaration: visit, ExportAllDeclaration: visit, ImportExpression: visit }
}

/** @type {import('eslint').Rule.RuleModule} */
const noCrossPackageRelativeImports = {
  meta: {
    type: 'problem',
    docs: { description: 'A relative import must stay inside its own workspace package.' },
    schema: [],
    messages: {
      escapes:
        "'{{source}}' leaves {{pkg}}: import the other package by its name (and check that the dependency direction allows it).",
    },
  },
  create(context) {
    const file = context.filename
    const pkg = packageRootOf(file)
    if (!pkg) return {}
    const pkgDir = path.join(repoRoot, pkg)
    return onRelativeImports(file, (node, source, target) => {
      if (target !== pkgDir && !target.startsWith(pkgDir + path.sep)) {
        context.report({ node: node.source, messageId: 'escapes', data: { source, pkg } })
      }
    })
  },
}

/**
 * The floors of @sluice/core (design: ../shared/design/one-room.md §1): a file may import from its own floor or a lower
 * one, never from a higher one, so the vocabulary never depends on the planner that uses it.
 * The keys are the folders of packages/core/src (and its top-level files).
 */
export const coreFloors = {
  api: 1,
  kube: 2,
  replicas: 2,
  traffic: 3,
  spec: 4,
  testing: 4,
  validation: 5,
  plan: 6,
  simulation: 6,
  'index.ts': 7,
}

const coreSrc = path.join(repoRoot, 'packages/core/src')

/** The folder of packages/core/src a file belongs to (`plan`, `index.ts`, ...), or undefined outside it. */
function coreFolderOf(file) {
  const relative = path.relative(coreSrc, file)
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined
  return relative.split(path.sep)[0]
}

/** @type {import('eslint').Rule.RuleModule} */
const coreLayers = {
  meta: {
    type: 'problem',
    docs: { description: 'Inside @sluice/core, imports point down its floors only (api 1 · kube, replicas 2 · traffic 3 · spec, testing 4 · validation 5 · plan, simulation 6 · index.ts 7).' },
    schema: [],
    messages: {
      upward: "'{{source}}' runs up core's layers: {{from}} (floor {{fromFloor}}) may not import {{to}} (floor {{toFloor}}). Move the shared piece down to the lower floor.",
      unplaced: "{{folder}} has no floor in core's layers: add it to coreFloors in tools/eslint/boundaries.js.",
    },
  },
  create(context) {
    const file = context.filename
    const from = coreFolderOf(file)
    if (from === undefined) return {}
    const fromFloor = coreFloors[from]
    return onRelativeImports(file, (node, source, target) => {
      const to = coreFolderOf(target)
      if (to === undefined || to === from) return
      const toFloor = coreFloors[to]
      if (fromFloor === undefined || toFloor === undefined) {
        context.report({ node: node.source, messageId: 'unplaced', data: { folder: fromFloor === undefined ? from : to } })
      } else if (toFloor > fromFloor) {
        context.report({ node: node.source, messageId: 'upward', data: { source, from, fromFloor, to, toFloor } })
      }
    })
  },
}

export const boundariesPlugin = {
  rules: { 'no-cross-package-relative-imports': noCrossPackageRelativeImports, 'core-layers': coreLayers },
}

const kubeClients = ['@kubernetes/*', 'kubernetes-*']
const io = ['node:fs', 'node:fs/*', 'fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:dgram', 'node:dns']
/** The adapters: the packages the built-in router registry (packages/routers) depends on. */
const adapters = Object.keys(JSON.parse(readFileSync(path.join(repoRoot, 'packages/routers/package.json'), 'utf8')).dependencies ?? {})
  .filter((name) => name.startsWith('@sluice/'))
  .map((name) => name.slice('@sluice/'.length))

/** A layer's settings for its tests, which may also use the in-memory API (`@sluice/kube/memory`). */
function withMemoryApi(settings) {
  const [first, ...rest] = settings.patterns
  const message = `${first.message} (Tests may also use @sluice/kube/memory.)`
  return { paths: [{ name: '@sluice/kube', message }], patterns: [{ ...first, group: [...first.group, ...MEMORY_API_ONLY], message }, ...rest] }
}

/**
 * Added to a group that refuses `@sluice/*`: lets `@sluice/kube/memory` through and nothing else of
 * @sluice/kube (the groups are gitignore patterns: a child of an excluded folder cannot be let
 * through without letting the folder through first; the bare `@sluice/kube` is refused by `paths`).
 */
const MEMORY_API_ONLY = ['!@sluice/kube', '@sluice/kube/*', '!@sluice/kube/memory']

/** `no-restricted-imports` settings per layer. */
export const layerRules = {
  core: {
    patterns: [
      { group: ['@sluice/*'], message: '@sluice/core is the innermost layer: it imports no other workspace package.' },
      { group: kubeClients, message: '@sluice/core is pure: no Kubernetes client (adapters get a KubeApi in their deps).' },
      { group: io, message: '@sluice/core does no I/O: pass data and time in.' },
      { group: ['vitest', 'fast-check'], message: 'Only src/testing (the ./testing entry) and tests may import test tools.' },
    ],
  },
  coreTesting: {
    patterns: [
      { group: ['@sluice/*'], message: '@sluice/core is the innermost layer: it imports no other workspace package.' },
      { group: kubeClients, message: '@sluice/core is pure: no Kubernetes client.' },
    ],
  },
  adapter: (name) => ({
    patterns: [
      {
        group: ['@sluice/*', '!@sluice/core', '!@sluice/core/testing'],
        message: `An adapter depends on @sluice/core only; @sluice/${name} must not import other adapters, the runtime or the apps.`,
      },
      { group: kubeClients, message: 'Adapters talk to the API through the KubeApi they are given, never a client of their own.' },
    ],
  }),
  kube: {
    patterns: [
      {
        group: ['@sluice/*', '!@sluice/core', '!@sluice/core/testing'],
        message: '@sluice/kube is a generic controller runtime: it may use @sluice/core types, never an adapter or an app.',
      },
    ],
  },
  client: {
    patterns: [
      {
        group: ['@sluice/*', '!@sluice/core', '!@sluice/core/testing'],
        message: '@sluice/client works on any KubeApi it is given: it may use @sluice/core, never the runtime, an adapter or an app.',
      },
      { group: kubeClients, message: '@sluice/client takes its API object from the caller; it opens no client of its own.' },
    ],
  },
  reconcile: {
    paths: [{ name: '@sluice/kube', message: '@sluice/reconcile runs over the KubeApi a host gives it; of @sluice/kube it uses only the in-memory API.' }],
    patterns: [
      {
        group: ['@sluice/*', '!@sluice/core', ...MEMORY_API_ONLY],
        message:
          '@sluice/reconcile knows no router and no host: it runs over the KubeApi and the routers it is given, and the in-memory API for its simulation (only its tests use an adapter).',
      },
      { group: kubeClients, message: '@sluice/reconcile works over the KubeApi a host gives it; it opens no client of its own.' },
    ],
  },
  reconcileTests: {
    paths: [{ name: '@sluice/kube', message: "@sluice/reconcile's tests use @sluice/kube's in-memory API only." }],
    patterns: [
      {
        group: ['@sluice/*', '!@sluice/core', '!@sluice/core/testing', ...MEMORY_API_ONLY, ...adapters.map((name) => `!@sluice/${name}`)],
        message: "@sluice/reconcile's tests may use @sluice/core, its testing entry, the in-memory API and the adapters.",
      },
    ],
  },
  routers: {
    patterns: [
      {
        group: ['@sluice/*', '!@sluice/core', ...adapters.map((name) => `!@sluice/${name}`)],
        message: '@sluice/routers is the registry of the built-in routers: it may import @sluice/core and the adapters, never the runtime, the client or an app.',
      },
      { group: kubeClients, message: 'The registry builds routers over the KubeApi a host gives it; it opens no client of its own.' },
    ],
  },
  adapters,
  withMemoryApi,
}
