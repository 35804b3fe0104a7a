/**
 * @sluice/smi: the Sluice traffic router for SMI TrafficSplit (`split.smi-spec.io`). Register
 * `createSmiRouter` under `smi`; `smiCapabilities` lets tools validate steps without a cluster.
 */
export { smiRouter, createSmiRouter, smiCapabilities } from './smi-router.ts'
export type { SmiRouterOptions, SmiRouterSettings } from './smi-router.ts'
export type { SmiApiVersion } from './traffic-split.ts'
