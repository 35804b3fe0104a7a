/**
 * The `networking.k8s.io/v1` Ingress, as far as the NGINX router reads and writes it. The legacy
 * `extensions/v1beta1` API (removed in Kubernetes 1.22) is not supported.
 */
import type { KubeObject, ObjectRef } from '@sluice/core'

export const INGRESS_API_VERSION = 'networking.k8s.io/v1'
export const INGRESS_KIND = 'Ingress'
/** The pre-`ingressClassName` way to pick an ingress controller; copied to the canary Ingress. */
export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class'

export interface IngressServiceBackend {
  name: string
  port?: { name?: string; number?: number }
}

export interface IngressBackend {
  service?: IngressServiceBackend
  resource?: { apiGroup?: string; kind: string; name: string }
}

export interface IngressPath {
  path?: string
  pathType?: string
  backend: IngressBackend
}

export interface IngressRule {
  host?: string
  http?: { paths: IngressPath[] }
}

export interface IngressTls {
  hosts?: string[]
  secretName?: string
}

export interface IngressSpec {
  ingressClassName?: string
  defaultBackend?: IngressBackend
  tls?: IngressTls[]
  rules?: IngressRule[]
}

export interface Ingress extends KubeObject {
  spec?: IngressSpec
}

/** The reference to the Ingress `name` in `namespace`. */
export function ingressRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: INGRESS_API_VERSION, kind: INGRESS_KIND, namespace, name }
}

/** True when some path of some rule sends traffic to the Service `serviceName`. */
export function hasServiceBackend(ingress: Ingress, serviceName: string): boolean {
  return (ingress.spec?.rules ?? []).some((rule) => (rule.http?.paths ?? []).some((p) => p.backend.service?.name === serviceName))
}
