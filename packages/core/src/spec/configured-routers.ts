/**
 * The traffic routers a Rollout configures: the built-in ones by their `trafficRouting` key
 * (TRAFFIC_ROUTER_NAMES) and the plugins under `trafficRouting.plugins`, by Argo Rollouts' `org/name` key
 * (`argoproj-labs/gatewayAPI`), each with its configuration block and the field path of that block.
 */
import type { Rollout } from '../api/rollout.ts'
import { TRAFFIC_ROUTER_NAMES } from '../api/rollout.ts'

const TR = 'spec.strategy.canary.trafficRouting'

/**
 * A plugin's name: `org/name`, each part starting and ending with a letter or digit, dots, dashes and
 * underscores inside (`argoproj-labs/gatewayAPI`, `example.com/my_router`).
 */
const PLUGIN_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\/[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/

export function isPluginName(name: string): boolean {
  return PLUGIN_NAME.test(name)
}

/** `trafficRouting.plugins` when it is an object of blocks by name; undefined otherwise (validation reports it). */
export function pluginBlocks(rollout: Rollout): Record<string, unknown> | undefined {
  const plugins = rollout.spec?.strategy?.canary?.trafficRouting?.plugins
  return plugins !== null && typeof plugins === 'object' && !Array.isArray(plugins) ? (plugins as Record<string, unknown>) : undefined
}

/** The traffic routers a Rollout configures, in reconcile order: the built-in ones, then its plugins by well-formed name. */
export function configuredRouters(rollout: Rollout): string[] {
  const tr = rollout.spec?.strategy?.canary?.trafficRouting
  if (!tr) return []
  const builtin = TRAFFIC_ROUTER_NAMES.filter((name) => tr[name] !== undefined && tr[name] !== null)
  return [...builtin, ...Object.keys(pluginBlocks(rollout) ?? {}).filter(isPluginName)]
}

/** The configuration block of the router `name`: `trafficRouting.<name>`, or `trafficRouting.plugins["<name>"]` for a plugin. */
export function routerConfigOf(rollout: Rollout, name: string): unknown {
  if (isPluginName(name)) return pluginBlocks(rollout)?.[name]
  return (rollout.spec?.strategy?.canary?.trafficRouting as Record<string, unknown> | undefined)?.[name]
}

/** The field path of that block: `spec.strategy.canary.trafficRouting.<name>`, `...trafficRouting.plugins["org/name"]`. */
export function routerConfigPath(name: string): string {
  return name.includes('/') ? pluginConfigPath(name) : `${TR}.${name}`
}

/** The field path of the block under `trafficRouting.plugins` keyed `key` (well-formed or not). */
export function pluginConfigPath(key: string): string {
  return `${TR}.plugins[${JSON.stringify(key)}]`
}
