/**
 * @sluice/smi: the Sluice traffic router for SMI TrafficSplit (`split.smi-spec.io`). Register
 * `createSmiRouter` under `smi`; `smiCapabilities` lets tools validate steps without a cluster.
 */
export { createSmiRouter, smiCapabilities } from './smi-router.ts'
export type { SmiRouterOptions } from './smi-router.ts'
export type { SmiApiVersion } from './traffic-split.ts'
