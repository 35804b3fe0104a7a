import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkEngines } from './engines.ts'

/** Writes `node_modules/<path>/package.json` for each entry (nested paths for nested installs). */
function tree(packages: Record<string, { version: string; node?: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'engines-'))
  for (const [path, p] of Object.entries(packages)) {
    const dir = join(root, 'node_modules', path.split(' > ').join('/node_modules/'))
    mkdirSync(dir, { recursive: true })
    const name = path.split(' > ').pop()
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: p.version, ...(p.node ? { engines: { node: p.node } } : {}) }))
  }
  return root
}

describe('checkEngines', () => {
  const root = tree({
    undici: { version: '8.14.1', node: '>=22.19.0' }, // the one that broke 22.12
    vitest: { version: '5.1.2', node: '^22.12.0 || ^24.0.0 || >=26.0.0' }, // a range, not just a floor
    yaml: { version: '2.9.1' }, // no engines: accepted
    '@kubernetes/client-node > ws': { version: '8.23.0', node: '>=10.0.0' }, // nested, checked too
    '@kubernetes/client-node': { version: '2.0.2', node: '>=23' },
  })

  it.each([
    // [floor, the packages that refuse it]
    ['22.12.0', ['undici', '@kubernetes/client-node']],
    ['22.19.0', ['@kubernetes/client-node']],
    ['24.0.0', []],
    ['23.0.0', ['vitest']], // outside vitest's ranges
  ])('floor %s is refused by %j', (floor, refused) => {
    const { checked, problems } = checkEngines(root, floor)
    expect(checked).toBe(5)
    expect(problems.map((p) => p.name).sort()).toEqual([...refused].sort())
  })

  it('says where a refusing package sits', () => {
    const nested = tree({ a: { version: '1.0.0' }, 'a > b': { version: '2.0.0', node: '>=30' } })
    expect(checkEngines(nested, '22.19.0').problems).toEqual([{ name: 'b', version: '2.0.0', needs: '>=30', at: 'a > b' }])
  })
})
