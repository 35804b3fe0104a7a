/**
 * `@sluice/kube/memory`: an in-memory Kubernetes API with the semantics Sluice relies on
 * (resourceVersion preconditions, merge patches, server-side apply with field managers), beside the
 * real client as controller-runtime keeps its fake client. For unit tests of routers and for `sluice
 * plan`'s simulation; it imports no Kubernetes client.
 */
export { createMemoryKube, applyMergePatch } from './memory-kube.ts'
export type { MemoryKube } from './memory-kube.ts'
