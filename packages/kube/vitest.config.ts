import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// Sibling workspace packages are read from source through the `@sluice/source` export condition
// (docs/adr/0002-module-format.md). Tests run in vite's server (ssr) environment, which takes its
// conditions from `ssr.resolve`, not `resolve`: without this, `@sluice/core` resolves to its dist/.
const conditions = ['@sluice/source', ...defaultServerConditions]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // Integration tests (test/*.int.test.ts) need a real API server: the root vitest.integration.config.ts runs them.
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.int.test.ts', '**/node_modules/**'],
  },
})
