import { defineConfig } from 'tsup'

// The deployable controller: one ESM bundle per entry; dependencies stay external and are installed
// next to it in the image (see Dockerfile).
export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  target: 'node22',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
})
