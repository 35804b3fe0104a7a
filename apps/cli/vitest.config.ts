import { defineConfig } from 'vitest/config'
import { fromSource } from '../../vitest.shared.ts'

export default defineConfig({
  ...fromSource,
  test: {
    include: ['src/**/*.test.ts'],
    // The example tests spawn the real command (a fresh Node process each); give them room on 2 cores.
    testTimeout: 30_000,
  },
})
