import { defineConfig } from 'vitest/config'

// The chart's unit tests: helm template and helm lint on the chart, no cluster. The helm CLI is
// built once into the cache (build.sh); the install → upgrade → rollback test on a cluster is
// apps/controller/test/e2e/chart.test.ts.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    hookTimeout: 1_200_000,
  },
})
