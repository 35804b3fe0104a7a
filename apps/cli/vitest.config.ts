import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@sluice/source'] },
  test: {
    include: ['src/**/*.test.ts'],
    // The example tests spawn the real command (a fresh Node process each); give them room on 2 cores.
    testTimeout: 30_000,
  },
})
