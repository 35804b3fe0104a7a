/**
 * Resolution shared by every vitest config: tests read sibling workspace packages from source (their
 * `@sluice/source` export condition), never from a build. Vitest resolves Node-side imports with
 * `ssr.resolve.conditions`, so the condition goes there as well as in `resolve.conditions`. The rest
 * are Vite's server conditions without `module`, which would make some packages (the AWS SDK) load
 * builds meant for bundlers.
 */
import { defaultServerConditions } from 'vite'

const conditions = ['@sluice/source', ...defaultServerConditions.filter((c) => c !== 'module')]

export const fromSource = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
}
