import { defineConfig } from 'vitest/config'
import { fromSource } from '../../vitest.shared.ts'

export default defineConfig({
  ...fromSource,
  test: {
    include: ['src/**/*.test.ts'],
  },
})
