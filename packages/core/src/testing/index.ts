/**
 * `@sluice/core/testing`: what adapter authors test with. Imports vitest (an optional peer
 * dependency of @sluice/core); the main entry never does.
 */
export { describeTrafficRouter, desiredTraffic, conformanceTarget } from './describe-traffic-router.ts'
export type { ConformanceSetup } from './describe-traffic-router.ts'
export type { InspectableKube } from './describe-traffic-router.ts'
export { createConfigMapRouter, configMapRouterCapabilities } from './config-map-router.ts'
export type { ConfigMapRouterConfig } from './config-map-router.ts'
