import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Tests read @sluice/core from source. Vitest runs them in Vite's server (SSR) environment, which
  // ignores `resolve.conditions`: without `ssr.resolve.conditions` they would load core's dist/ (stale,
  // or missing in a fresh clone). The rest is Vitest's default: Vite's server conditions without
  // `module` (with it, packages such as the AWS SDK resolve to builds meant for bundlers).
  resolve: { conditions: ['@sluice/source'] },
  ssr: { resolve: { conditions: ['@sluice/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    include: ['src/**/*.test.ts'],
  },
})
