/**
 * The traffic routers `sluice lint` and `sluice plan` use: the built-in registry of @sluice/routers
 * (the controller's), with its cluster-wide settings taken from the flags the controller has, else
 * from the objects of the file (a file written for `getambassador.io/v2` Mappings is planned with
 * v2), else the routers' defaults.
 */
import { RouterSettingsError } from '@sluice/core'
import type { KubeObject } from '@sluice/core'
import { builtinRouters, createRouterRegistry, ROUTER_SETTING_FLAGS, routerSettingsFromFlags } from '@sluice/routers'
import type { RouterRegistry, RouterSettingFlag } from '@sluice/routers'
import { UsageError } from './cli-context.ts'

/** The router setting flags, named as the controller's. */
export const routerSettingFlags = Object.fromEntries(Object.keys(ROUTER_SETTING_FLAGS).map((flag) => [flag, { type: 'string' }])) as Record<RouterSettingFlag, { type: 'string' }>

/** Their part of a usage line: `[--traffic-split-api-version V] ...`. */
export const routerSettingFlagsUsage = Object.keys(ROUTER_SETTING_FLAGS).map((flag) => `[--${flag} V]`).join(' ')

/** Their help lines. */
export const routerSettingFlagsHelp = [
  ...Object.entries(ROUTER_SETTING_FLAGS).map(([flag, { router, setting }]) => {
    const spec = (builtinRouters[router].settings as Record<string, { description: string; default?: unknown }>)[setting]
    return `      --${flag} V`.padEnd(38) + `${spec?.description ?? setting} (as the controller's flag; default ${String(spec?.default)})`
  }),
  `  Without these flags, plan and lint use the version of the objects of those kinds the file holds.`,
].join('\n')

/** The names of the routers this build knows. */
export const routerNames = Object.keys(builtinRouters).sort()

/**
 * The registry for a file: each setting flag as given (refused with a usage error naming the flag
 * and the values allowed), else the API version of the first object of the file of a kind that
 * setting selects, else the default.
 */
export function routerRegistryFor(flags: Partial<Record<RouterSettingFlag, string | undefined>>, objects: readonly KubeObject[]): RouterRegistry {
  const chosen: Partial<Record<RouterSettingFlag, string>> = {}
  for (const [flag, { router, setting }] of Object.entries(ROUTER_SETTING_FLAGS) as [RouterSettingFlag, (typeof ROUTER_SETTING_FLAGS)[RouterSettingFlag]][]) {
    const given = flags[flag]
    if (given !== undefined) {
      try {
        createRouterRegistry(routerSettingsFromFlags({ [flag]: given }))
      } catch (error) {
        if (error instanceof RouterSettingsError) throw new UsageError(`--${flag}: ${error.message}`)
        throw error
      }
      chosen[flag] = given
      continue
    }
    const fromFile = apiVersionInFile(router, setting, objects)
    if (fromFile !== undefined) chosen[flag] = fromFile
  }
  return createRouterRegistry(routerSettingsFromFlags(chosen))
}

/** The first allowed value of a router's API-version setting that an object of the file is written in. */
function apiVersionInFile(router: keyof typeof builtinRouters, setting: string, objects: readonly KubeObject[]): string | undefined {
  const definition = builtinRouters[router]
  const spec = (definition.settings as Record<string, { values?: readonly unknown[] }>)[setting]
  const defaults = createRouterRegistry().settingsOf(router) ?? {}
  for (const object of objects) {
    if (!spec?.values?.includes(object.apiVersion)) continue
    const watched = definition.watches({ ...defaults, [setting]: object.apiVersion } as never)
    if (watched.some((k) => k.apiVersion === object.apiVersion && k.kind === object.kind)) return object.apiVersion
  }
  return undefined
}
