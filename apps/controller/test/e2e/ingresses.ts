/**
 * What the Ingress-based router tests (nginx.test.ts, alb.test.ts) share: the Ingress shape they
 * assert, reads of it, and a wait for Events (recorded asynchronously by the controller).
 */
import type { KubeObject } from '@sluice/core'
import { eventsFor, eventually } from './harness.ts'
import type { Env } from './harness.ts'

export interface IngressPath {
  path?: string
  pathType?: string
  backend: { service?: { name: string; port: { name?: string; number?: number } } }
}

export interface IngressRule {
  host?: string
  http?: { paths: IngressPath[] }
}

export interface IngressSpec {
  ingressClassName?: string
  tls?: { hosts?: string[]; secretName?: string }[]
  rules?: IngressRule[]
}

export type Ingress = KubeObject & { spec?: IngressSpec }

export const ingressRef = (e: Env, name: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: e.namespace, name })

export async function getIngress(e: Env, name: string): Promise<Ingress> {
  const ingress = await e.api.get<Ingress>(ingressRef(e, name))
  if (!ingress) throw new Error(`Ingress ${e.namespace}/${name} not found`)
  return ingress
}

/** A `Prefix` path to `service` at `port`. */
export const prefixPath = (path: string, service: string, port: { name?: string; number?: number }): IngressPath => ({
  path,
  pathType: 'Prefix',
  backend: { service: { name: service, port } },
})

/** Waits until the Events of `reason` about Rollout `rollout` include every note of `notes`; returns all their notes. */
export function eventNotesInclude(e: Env, rollout: string, reason: string, notes: readonly string[]): Promise<string[]> {
  return eventually(
    `${reason} Events ${JSON.stringify(notes)}`,
    async () => {
      const seen = (await eventsFor(e, rollout)).filter((ev) => ev.reason === reason).map((ev) => ev.note)
      const missing = notes.filter((n) => !seen.includes(n))
      if (missing.length > 0) throw new Error(`missing ${JSON.stringify(missing)}; there are ${JSON.stringify(seen)}`)
      return seen
    },
    30_000,
  )
}
