/**
 * @sluice/alb: the AWS Application Load Balancer traffic router of Sluice. It writes weighted forward
 * actions (and header routes) into the annotations of Ingresses served by the AWS Load Balancer
 * Controller and, when asked to, verifies the weights through the ELBv2 API.
 */
export { albRouter, createAlbRouter, albCapabilities } from './alb-router.ts'
export type { AlbRouterOptions, AlbRouterSettings, AlbWeightVerificationOptions } from './alb-router.ts'
export type { AlbTrafficRouting } from '@sluice/core'
