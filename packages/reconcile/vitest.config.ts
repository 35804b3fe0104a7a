import { defineConfig } from 'vitest/config'
import { fromSource } from '../../vitest.shared.ts'

export default defineConfig({
  ...fromSource,
  test: {
    include: ['src/**/*.test.ts'],
    // Property tests run 1,000 cases each (FC_NUM_RUNS overrides); give them room on a 2-core machine.
    testTimeout: 60_000,
  },
})
