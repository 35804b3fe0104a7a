import { defineConfig } from 'vitest/config'

// Unit tests only. The *.int.test.ts files need a cluster and run from the
// root vitest.integration.config.ts (pnpm run test:int).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/*.int.test.ts', '**/node_modules/**'],
  },
})
