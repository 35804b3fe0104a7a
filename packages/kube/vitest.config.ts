import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { conditions: ['@sluice/source'] },
  test: {
    // Integration tests (*.int.test.ts) need a real API server: the root vitest.integration.config.ts runs them.
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.int.test.ts', '**/node_modules/**'],
  },
})
