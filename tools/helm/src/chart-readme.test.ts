import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { END, renderValuesTable, START, updateReadme } from './chart-readme.ts'
import { chartDir } from './helm.ts'

const schema = JSON.stringify({
  type: 'object',
  additionalProperties: false,
  properties: {
    image: { type: 'object', additionalProperties: false, properties: { tag: { type: 'string' } } },
    replicas: { type: 'integer' },
    resources: { type: 'object' },
    level: { enum: ['info', 'debug'] },
    env: { type: 'array', items: { $ref: '#/definitions/named' } },
  },
  definitions: { named: { type: 'object' } },
})

describe('renderValuesTable', () => {
  it('writes a row per key of a closed object, one row for a free-form one, types from the schema', () => {
    const values = `# header, not a description

image:
  # Tag; empty: appVersion.
  tag: ""
# Pods, and a pipe | escaped.
replicas: 2
# Requests and limits.
resources:
  requests: {cpu: 100m}
# Log level.
level: info
# More env.
env: []
`
    expect(renderValuesTable(values, schema).split('\n')).toEqual([
      '| Key | Type | Default | Description |',
      '|---|---|---|---|',
      '| `image.tag` | string | `""` | Tag; empty: appVersion. |',
      '| `replicas` | integer | `2` | Pods, and a pipe \\| escaped. |',
      '| `resources` | object | `{"requests":{"cpu":"100m"}}` | Requests and limits. |',
      '| `level` | info, debug | `"info"` | Log level. |',
      '| `env` | object[] | `[]` | More env. |',
    ])
  })

  it.each([
    // values.yaml, schema change → the error names the key
    ['image: {tag: ""}\n# Pods.\nreplicas: 2\n# R.\nresources: {}\n# L.\nlevel: info\n# E.\nenv: []\n', undefined, 'image.tag has no comment'],
    ['# Pods.\nreplicas: 2\n# R.\nresources: {}\n# L.\nlevel: info\n# E.\nenv: []\n# Typo.\nreplica: 3\n', undefined, 'replica is not in values.schema.json'],
    ['# Pods.\nreplicas: 2\n# R.\nresources: {}\n# L.\nlevel: info\n# E.\nenv: []\n', undefined, 'image is not in values.yaml'],
  ])('refuses values and schema that disagree: %#', (values, _, message) => {
    expect(() => renderValuesTable(values, schema)).toThrow(message)
  })
})

describe('updateReadme', () => {
  it('replaces only what is between the markers', () => {
    expect(updateReadme(`intro\n${START}\nold\n${END}\noutro\n`, '| t |')).toBe(`intro\n${START}\n\n| t |\n\n${END}\noutro\n`)
  })
})

it("the chart's README.md is up to date (pnpm --filter @sluice/helm run readme)", async () => {
  const [values, schemaText, readme] = await Promise.all(['values.yaml', 'values.schema.json', 'README.md'].map((f) => readFile(join(chartDir, f), 'utf8')))
  expect(updateReadme(readme as string, renderValuesTable(values as string, schemaText as string))).toBe(readme)
})
