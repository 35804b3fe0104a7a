import { defineConfig } from 'tsup'

export default defineConfig({
  entry: { index: 'src/index.ts', 'memory/index': 'src/memory/index.ts' },
  format: ['esm'],
  target: 'node22',
  dts: true,
  sourcemap: true,
  clean: true,
  external: ['@kubernetes/client-node', '@sluice/core'],
})
