/** Test helper: a fixture bundle is one Rollout (whose `trafficRouting.istio` configures the router) plus the objects it references. */
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import type { IstioTrafficRouting, KubeObject, Rollout, RouterTarget } from '@sluice/core'

export interface Fixture {
  rollout: Rollout
  config: IstioTrafficRouting
  /** Every object of the bundle but the Rollout. */
  objects: KubeObject[]
}

export function loadFixture(name: string): Fixture {
  const text = readFileSync(new URL(name, import.meta.url), 'utf8')
  const documents = parseAllDocuments(text).map((doc) => doc.toJS() as KubeObject)
  const rollout = documents.find((o) => o.kind === 'Rollout') as Rollout | undefined
  const config = rollout?.spec.strategy?.canary?.trafficRouting?.istio
  if (!rollout || !config) throw new Error(`${name}: no Rollout with trafficRouting.istio`)
  return { rollout, config, objects: documents.filter((o) => o !== rollout) }
}

/** The router target a fixture's Rollout describes. */
export function targetOf(rollout: Rollout): RouterTarget {
  const canary = rollout.spec.strategy?.canary
  return {
    rollout: { apiVersion: rollout.apiVersion, kind: rollout.kind, name: rollout.metadata.name ?? '', namespace: rollout.metadata.namespace ?? 'default', uid: rollout.metadata.uid ?? '' },
    canaryService: canary?.canaryService ?? '',
    stableService: canary?.stableService ?? '',
    managedRoutes: (canary?.trafficRouting?.managedRoutes ?? []).map((route) => route.name),
  }
}
