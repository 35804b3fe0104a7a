import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// Tests run in Node (Vite's SSR resolution): read sibling packages' sources through the
// `@sluice/source` export condition, so no package has to be built first.
const conditions = ['@sluice/source', ...defaultServerConditions]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts'],
  },
})
