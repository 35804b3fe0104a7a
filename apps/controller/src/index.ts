/**
 * The Sluice controller as a library, for tests and embedding: start it with a config and a
 * KubeConfig. The process entry point is `main.ts`.
 */
export { startController } from './manager.ts'
export type { RunningController } from './manager.ts'
export { loadConfig, usage, ConfigError } from './config.ts'
export type { ControllerConfig } from './config.ts'
export { createElbv2Client, routerSettingsOf } from './config.ts'
