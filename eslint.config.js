import tseslint from 'typescript-eslint'
import { boundariesPlugin, layerRules } from './tools/eslint/boundaries.js'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.cluster/**', '**/coverage/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { boundaries: boundariesPlugin },
    rules: {
      'boundaries/no-cross-package-relative-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-throw-literal': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['packages/core/src/testing/**', 'packages/core/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.core] },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: { 'boundaries/core-layers': 'error' },
  },
  {
    files: ['packages/core/src/testing/**/*.ts', 'packages/core/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.coreTesting] },
  },
  ...layerRules.adapters.map((name) => ({
    files: [`packages/${name}/src/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', layerRules.adapter(name)] },
  })),
  {
    files: ['packages/reconcile/src/**/*.ts'],
    ignores: ['packages/reconcile/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.reconcile] },
  },
  {
    files: ['packages/reconcile/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.reconcileTests] },
  },
  {
    files: ['packages/routers/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.routers] },
  },
  {
    files: ['packages/kube/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.kube] },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.client] },
  },
  // Their tests may also use the in-memory API, which lives beside the real client in @sluice/kube.
  ...layerRules.adapters.map((name) => ({
    files: [`packages/${name}/src/**/*.test.ts`],
    rules: { 'no-restricted-imports': ['error', layerRules.withMemoryApi(layerRules.adapter(name))] },
  })),
  {
    files: ['packages/routers/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.withMemoryApi(layerRules.routers)] },
  },
  {
    files: ['packages/client/src/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', layerRules.withMemoryApi(layerRules.client)] },
  },
)
