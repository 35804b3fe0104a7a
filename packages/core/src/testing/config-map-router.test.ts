import { createMemoryKube } from '../kube/memory-kube.ts'
import { createConfigMapRouter } from './config-map-router.ts'
import { describeTrafficRouter } from './describe-traffic-router.ts'

// The reference router must pass the suite every adapter runs: this also tests the suite itself.
describeTrafficRouter('configmap', (target) => {
  const kube = createMemoryKube()
  return { kube, router: createConfigMapRouter({ target, config: {} }, { kube }) }
})
