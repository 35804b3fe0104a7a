import { describe, expect, it } from 'vitest'
import { readmeExamples } from './readme-examples.ts'

describe('readmeExamples', () => {
  it('takes only the blocks after a marker, with their kind and line', () => {
    const md = [
      '# pkg', // 1
      '```ts', // 2: not marked, ignored
      'ignored()',
      '```',
      '<!-- release-check: rollout.yaml -->', // 5
      '```yaml',
      'kind: Rollout',
      '```',
      '<!-- release-check -->',
      '```ts', // 10
      'run()',
      '```',
      '<!-- release-check -->',
      '```sh', // 14
      'sluice plan -f rollout.yaml',
      '```',
    ].join('\n')
    expect(readmeExamples(md)).toEqual([
      { kind: 'file', name: 'rollout.yaml', code: 'kind: Rollout\n', line: 6 },
      { kind: 'ts', name: 'example-2.ts', code: 'run()\n', line: 10 },
      { kind: 'sh', name: 'example-3.sh', code: 'sluice plan -f rollout.yaml\n', line: 14 },
    ])
  })

  it('refuses a marker without a block, and a block of another language', () => {
    expect(() => readmeExamples('<!-- release-check -->\ntext')).toThrow(/line 1: .* fenced code block/)
    expect(() => readmeExamples('<!-- release-check -->\n```js\nx\n```')).toThrow(/line 2: .* ts or sh/)
  })
})
