export { chartDir, helm, helmBinary, repoRoot } from './helm.ts'
export type { HelmResult } from './helm.ts'
export { renderValuesTable, updateReadme } from './chart-readme.ts'
