import { defineConfig } from 'tsup'

export default defineConfig({
  // One executable file; the @sluice/* packages and yaml stay dependencies (resolved from node_modules).
  entry: { sluice: 'src/main.ts' },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  banner: { js: '#!/usr/bin/env node' },
  sourcemap: true,
  clean: true,
})
