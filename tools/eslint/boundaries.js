// Enforces the dependency direction of the monorepo (docs/architecture.md):
//
//   apps/*  ──►  packages/routers  ──►  packages/<adapter>  ──►  packages/core
//
// - @sluice/routers (the registry of the built-in routers) imports @sluice/core and the adapters it
//   registers, which are also the adapter list of these rules (its dependencies);
// - @sluice/core imports no other workspace package, no Kubernetes client and
//   nothing from apps/ (and, outside its testing entry, no test framework);
// - an adapter imports @sluice/core and nothing from another adapter;
// - no source file reaches into another package by a relative path.
import { readFileSync } from 'node:fs'
import path from 'node:path'

const repoRoot = path.resolve(import.meta.dirname, '../..')

/** Returns `packages/core`, `apps/cli`, ... for a file of the workspace, or undefined. */
function packageRootOf(file) {
  const relative = path.relative(repoRoot, file).split(path.sep)
  if (relative.length < 2 || !['packages', 'apps', 'tools', 'bench'].includes(relative[0])) return undefined
  return relative[0] === 'bench' ? 'bench' : `${relative[0]}/${relative[1]}`
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
    function check(node) {
      const source = node.source && node.source.value
      if (typeof source !== 'string' || !source.startsWith('.')) return
      const target = path.resolve(path.dirname(file), source)
      if (target !== pkgDir && !target.startsWith(pkgDir + path.sep)) {
        context.report({ node: node.source, messageId: 'escapes', data: { source, pkg } })
      }
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check }
  },
}

export const boundariesPlugin = { rules: { 'no-cross-package-relative-imports': noCrossPackageRelativeImports } }

const kubeClients = ['@kubernetes/*', 'kubernetes-*']
const io = ['node:fs', 'node:fs/*', 'fs', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:dgram', 'node:dns']
/** The adapters: the packages the built-in router registry (packages/routers) depends on. */
const adapters = Object.keys(JSON.parse(readFileSync(path.join(repoRoot, 'packages/routers/package.json'), 'utf8')).dependencies ?? {})
  .filter((name) => name.startsWith('@sluice/'))
  .map((name) => name.slice('@sluice/'.length))

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
}
