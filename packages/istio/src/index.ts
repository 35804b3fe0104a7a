/**
 * @sluice/istio: the Istio traffic router of Sluice. Shifts canary traffic through VirtualService
 * route weights, by Service (host-level) or by DestinationRule subset (subset-level), and manages
 * header and mirror routes. See README.md.
 */
export { istioRouter, createIstioRouter, istioCapabilities } from './istio-router.ts'
export { istioReferences } from './references.ts'
export type { IstioRouterConfig, IstioRouterOptions } from './istio-router.ts'
