import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readChartVersions, syncChartVersion } from './chart-version.ts'

describe('syncChartVersion', () => {
  it('moves version and appVersion to the packages’ version and keeps every other line', () => {
    const root = mkdtempSync(join(tmpdir(), 'chart-version-'))
    mkdirSync(join(root, 'packages/core'), { recursive: true })
    mkdirSync(join(root, 'apps/controller/chart'), { recursive: true })
    writeFileSync(join(root, 'packages/core/package.json'), '{"version":"0.2.0"}')
    const chart = 'apiVersion: v2\nname: x\n# the chart\nversion: 0.1.0\nappVersion: "0.1.0"\nkubeVersion: ">=1.29.0-0"\n'
    writeFileSync(join(root, 'apps/controller/chart/Chart.yaml'), chart)
    expect(syncChartVersion(root)).toEqual({ version: '0.2.0', changed: true })
    const after = readFileSync(join(root, 'apps/controller/chart/Chart.yaml'), 'utf8')
    expect(after).toBe(chart.replace('version: 0.1.0', 'version: 0.2.0').replace('appVersion: "0.1.0"', 'appVersion: "0.2.0"'))
    expect(readChartVersions(after)).toEqual({ version: '0.2.0', appVersion: '0.2.0' })
    // A second run changes nothing.
    expect(syncChartVersion(root)).toEqual({ version: '0.2.0', changed: false })
  })
})
