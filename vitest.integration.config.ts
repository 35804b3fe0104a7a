import { defineConfig } from 'vitest/config'
import { fromSource } from './vitest.shared.ts'

// Integration tests: they run against a real local control plane
// (tools/local-cluster). The global setup reuses a reachable cluster
// ($SLUICE_KUBECONFIG or .cluster/admin.kubeconfig from `pnpm cluster:up`) or
// starts a private one and stops it afterwards. Run with `pnpm run test:int`.
export default defineConfig({
  ...fromSource,
  test: {
    include: ['**/*.int.test.ts', 'apps/*/test/e2e/**/*.test.ts', 'apps/*/test/differential/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '.cluster/**'],
    globalSetup: ['./tools/local-cluster/src/vitest-global-setup.ts'],
    // A real API server on 2 cores: controllers, garbage collection and
    // namespace deletion take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 120_000,
    // One file at a time: the suites share one cluster and two CPU cores.
    fileParallelism: false,
  },
})
