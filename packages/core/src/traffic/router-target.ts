import type { Rollout } from '../api/rollout.ts'
import type { RouterTarget } from './traffic-router.ts'

/** The rollout a router works for, as the engine describes it to the routers. */
export function routerTargetOf(rollout: Rollout): RouterTarget {
  const canary = rollout.spec?.strategy?.canary
  return {
    rollout: {
      apiVersion: rollout.apiVersion,
      kind: rollout.kind,
      name: rollout.metadata.name ?? '',
      namespace: rollout.metadata.namespace ?? 'default',
      uid: rollout.metadata.uid ?? '',
    },
    canaryService: canary?.canaryService ?? '',
    stableService: canary?.stableService ?? '',
    managedRoutes: (canary?.trafficRouting?.managedRoutes ?? []).map((r) => r.name),
  }
}
