import { describe, expect, it } from 'vitest'
import { InputError } from './cli-context.ts'
import { parseFieldPath, parseManifest } from './manifest.ts'

const text = `# a comment
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
spec:
  strategy:
    canary:
      steps:
        - setWeight: 20
        - pause: {}
---
apiVersion: v1
kind: Service
metadata:
  name: web-canary
---
apiVersion: v1
kind: Service
metadata:
  name: web-stable
  namespace: shop
---
`

function inputError(source: string): InputError {
  try {
    parseManifest(source, 'f.yaml')
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('parseManifest', () => {
  it("finds the Rollout, keeps the other objects in order and defaults namespaces to the Rollout's", () => {
    const m = parseManifest(text, 'f.yaml')
    expect(m.rollout.metadata).toEqual({ name: 'web', namespace: 'default' })
    expect(m.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['Service default/web-canary', 'Service shop/web-stable'])
  })

  it.each([
    // field path → line, column (1-based) in the file
    ['spec.strategy.canary.steps[0].setWeight', 10, 22],
    ['spec.strategy.canary.steps[1].pause', 11, 18],
    ['spec.strategy.canary.steps[1].pause.duration', 11, 18], // absent: its parent
    ['spec.strategy.canary.canaryService', 9, 7], // absent: the canary block
    ['metadata.name', 5, 9],
    ['apiVersion', 2, 13],
  ])('locates %s at %i:%i', (path, line, col) => {
    expect(parseManifest(text, 'f.yaml').locate(path)).toEqual({ line, col })
  })

  it('skips empty documents', () => {
    expect(parseManifest(`---\n${text}---\n---\n`, 'f.yaml').objects).toHaveLength(2)
  })

  it('names the line and column of malformed YAML, with the offending lines', () => {
    const error = inputError('kind: Rollout\nspec:\n  steps: [1, 2\n  other: 3\n')
    expect(error.message).toMatch(/^f\.yaml:4:\d+: malformed YAML: /)
    expect(error.details).toContain('  other: 3')
  })

  it.each([
    // document, what is wrong
    ['just a string', 'document 1 is not a mapping'],
    ['apiVersion: v1\nmetadata: {name: x}', 'document 1 has no kind'],
    ['kind: Service\nmetadata: {name: x}', 'document 1 (Service) has no apiVersion'],
    ['apiVersion: v1\nkind: Service\nmetadata: {}', 'document 1 (Service) has no metadata.name'],
    ['apiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: 3}', 'document 1 (Service x) has a metadata.namespace that is not a string'],
    ['apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: 5}', 'document 1 (Rollout) has a metadata.name that is not a string'],
    ['apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web, namespace: [a]}', 'document 1 (Rollout web) has a metadata.namespace that is not a string'],
  ])('refuses %j', (source, problem) => {
    const error = inputError(source)
    expect(error.message).toBe('f.yaml: a document is not a Kubernetes object')
    expect(error.details).toEqual([expect.stringContaining(`f.yaml:1:1: ${problem}`)])
  })

  it('refuses a file without a Rollout, with two, or with an object twice', () => {
    expect(inputError('apiVersion: v1\nkind: Service\nmetadata: {name: x}\n').message).toBe(
      'f.yaml: no Rollout found (1 object in the file); the file must hold exactly one kind: Rollout',
    )
    expect(inputError('').message).toMatch(/no Rollout found \(0 objects/)
    expect(inputError(`${text}---\n${text}`).details).toEqual(['f.yaml:2:1: Rollout web', 'f.yaml:26:1: Rollout web'])
    const twice = `${text}---\napiVersion: v1\nkind: Service\nmetadata: {name: web-canary, namespace: default}\n`
    expect(inputError(twice).details).toEqual(['f.yaml:25:1: Service default/web-canary is already defined at line 13'])
  })
})

describe('parseFieldPath', () => {
  it('splits names and indexes', () => {
    expect(parseFieldPath('spec.strategy.canary.steps[2].setHeaderRoute.match[0]')).toEqual(['spec', 'strategy', 'canary', 'steps', 2, 'setHeaderRoute', 'match', 0])
  })

  it('reads a quoted key as one name, dots and slashes included', () => {
    expect(parseFieldPath('spec.strategy.canary.trafficRouting.plugins["example.com/mesh"].route')).toEqual(['spec', 'strategy', 'canary', 'trafficRouting', 'plugins', 'example.com/mesh', 'route'])
  })
})
