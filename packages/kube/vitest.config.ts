import { defineConfig } from 'vitest/config'
import { fromSource } from '../../vitest.shared.ts'

export default defineConfig({
  ...fromSource,
  test: {
    // Integration tests (test/*.int.test.ts) need a real API server: the root vitest.integration.config.ts runs them.
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.int.test.ts', '**/node_modules/**'],
  },
})
