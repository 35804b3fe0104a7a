import { createMemoryKube } from './memory-kube.ts'
import { createConfigMapRouter, describeTrafficRouter } from '@sluice/core/testing'

// The reference router of @sluice/core/testing must pass the suite every adapter runs, over this
// in-memory API: this tests the suite itself, and that the memory API is inspectable as it needs.
describeTrafficRouter('configmap', (target) => {
  const kube = createMemoryKube()
  return { kube, router: createConfigMapRouter({ target, config: {} }, { kube }) }
})
