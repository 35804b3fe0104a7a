import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@sluice/source'] },
  test: {
    include: ['src/**/*.test.ts'],
    // Property tests run 1,000 cases each (FC_NUM_RUNS overrides); give them room on a 2-core machine.
    testTimeout: 60_000,
  },
})
