import { defineConfig } from 'vitest/config'

// Unit tests only; what runs Argo Rollouts against a cluster is in the integration suites.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['**/*.int.test.ts', '**/node_modules/**'],
  },
})
