import { defineConfig } from 'vitest/config'
import { fromSource } from '../../vitest.shared.ts'

export default defineConfig({
  ...fromSource,
  test: {
    include: ['src/**/*.test.ts'],
    // The weight-verification tests install moto into a cache the first time (pip, a minute or two).
    hookTimeout: 600_000,
    testTimeout: 60_000,
  },
})
