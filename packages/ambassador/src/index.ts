/**
 * @sluice/ambassador: the Sluice traffic router for Emissary-ingress (Ambassador) Mappings. Register
 * `createAmbassadorRouter` under `ambassador`; `ambassadorCapabilities` lets tools validate steps
 * without a cluster.
 */
export { ambassadorRouter, createAmbassadorRouter, ambassadorCapabilities } from './ambassador-router.ts'
export type { AmbassadorRouterOptions, AmbassadorRouterSettings } from './ambassador-router.ts'
export type { AmbassadorApiVersion } from './mapping.ts'
export { DEFAULT_MAPPING_API_VERSION, MAPPING_KINDS } from './mapping.ts'
