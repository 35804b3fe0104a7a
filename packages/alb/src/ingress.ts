/**
 * The `networking.k8s.io/v1` Ingress as the AWS Load Balancer Controller reads it: paths whose backend
 * port is named `use-annotation` take their action from the `actions.<service>` annotation.
 */
import type { KubeObject, ObjectRef } from '@sluice/core'

export const INGRESS_API_VERSION = 'networking.k8s.io/v1'
export const INGRESS_KIND = 'Ingress'
/** The backend port name that tells the AWS Load Balancer Controller to read the action annotation. */
export const USE_ANNOTATION = 'use-annotation'

export interface IngressPath {
  path?: string
  pathType?: string
  backend: {
    service?: { name: string; port?: { name?: string; number?: number } }
    resource?: { apiGroup?: string; kind: string; name: string }
  }
}

export interface IngressRule {
  host?: string
  http?: { paths: IngressPath[] }
}

export interface Ingress extends KubeObject {
  spec?: {
    ingressClassName?: string
    rules?: IngressRule[]
    [field: string]: unknown
  }
  status?: {
    /** Filled by the AWS Load Balancer Controller with the load balancer's DNS name. */
    loadBalancer?: { ingress?: { hostname?: string; ip?: string }[] }
  }
}

export function ingressRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: INGRESS_API_VERSION, kind: INGRESS_KIND, namespace, name }
}

/** The paths of all rules whose backend is the Service `serviceName`, in order. */
export function pathsTo(ingress: Ingress, serviceName: string): IngressPath[] {
  return (ingress.spec?.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).filter((p) => p.backend.service?.name === serviceName))
}

/** True when `path` hands its action to the annotation of its backend Service. */
export function usesAnnotation(path: IngressPath): boolean {
  return path.backend.service?.port?.name === USE_ANNOTATION
}

/** The load balancer DNS names in the Ingress status. */
export function loadBalancerHostnames(ingress: Ingress): string[] {
  return (ingress.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.hostname ? [i.hostname] : []))
}
