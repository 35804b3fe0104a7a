/**
 * What the Ingress-based router tests (nginx.test.ts, alb.test.ts) share: the Ingress shape they
 * assert, reads of it, and the wait for Events (from the harness).
 */
import type { KubeObject } from '@sluice/core'

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

import type { Env } from './harness.ts'

export { eventNotesInclude } from './harness.ts'
