import { defineConfig } from 'vitest/config'

// Unit tests only (recorded timelines). test/chaos.int.test.ts needs a local control plane and runs
// from the root vitest.integration.config.ts (pnpm run test:int).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['**/*.int.test.ts', '**/node_modules/**'],
  },
})
