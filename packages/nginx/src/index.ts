/**
 * @sluice/nginx: the ingress-nginx traffic router of Sluice. For each stable Ingress of a Rollout it
 * owns a canary Ingress carrying `canary-weight` and, for header routes, `canary-by-header*`.
 */
export { nginxRouter, createNginxRouter, nginxCapabilities } from './nginx-router.ts'
export type { NginxRouterOptions } from './nginx-router.ts'
export type { NginxTrafficRouting } from '@sluice/core'
