/**
 * The Ingress paths of header routes. The AWS Load Balancer Controller makes one listener rule per
 * Ingress path, in path order; a path whose backend is `<route>` with port `use-annotation` gets the
 * action `actions.<route>` and the conditions `conditions.<route>`. A header route therefore needs a
 * path of its own, placed before the paths it must win over.
 */
import { cloneJson } from '@sluice/core'
import { USE_ANNOTATION, usesAnnotation } from './ingress.ts'
import type { IngressPath, IngressRule } from './ingress.ts'

export interface HeaderRoutePathsInput {
  /** The Service of the weighted action (`rootService` or the stable Service). */
  actionService: string
  /** Every managed route name: paths to these backends (port `use-annotation`) belong to the router. */
  managedRoutes: readonly string[]
  /** The header routes that must exist, in precedence order. */
  routes: readonly string[]
}

/**
 * The rules with exactly the header-route paths `routes` need: in each rule with paths to the action
 * Service through its annotation (port `use-annotation`), for each route (in order) a copy of each of
 * those paths (same `path` and `pathType`) with backend `<route>`/`use-annotation`, all placed before
 * the rule's other paths. Paths of managed routes not in `routes` are dropped; every other path stays
 * as it was, in its order.
 *
 * Argo Rollouts adds `/*` to every rule; copying the action paths instead keeps a header route from
 * catching requests for other hosts or paths of a shared Ingress.
 *   rule [/ → web-root] with routes [h1]           → [/ → h1, / → web-root]
 *   rule [/api → web-root, /docs → docs], [h1, h2] → [/api → h1, /api → h2, /api → web-root, /docs → docs]
 *   rule [/ → other]                               → unchanged
 */
export function withHeaderRoutePaths(rules: readonly IngressRule[], input: HeaderRoutePathsInput): IngressRule[] {
  const managed = new Set(input.managedRoutes)
  const isManagedPath = (p: IngressPath) => managed.has(p.backend.service?.name ?? '') && usesAnnotation(p)
  return rules.map((rule) => {
    if (!rule.http) return cloneJson(rule)
    const own = rule.http.paths.filter((p) => !isManagedPath(p))
    const actionPaths = own.filter((p) => p.backend.service?.name === input.actionService && usesAnnotation(p))
    const routePaths = actionPaths.length === 0 ? [] : input.routes.flatMap((route) => actionPaths.map((p) => routePath(p, route)))
    return cloneJson({ ...rule, http: { ...rule.http, paths: [...routePaths, ...own] } })
  })
}

function routePath(actionPath: IngressPath, route: string): IngressPath {
  return {
    ...(actionPath.path !== undefined ? { path: actionPath.path } : {}),
    ...(actionPath.pathType !== undefined ? { pathType: actionPath.pathType } : {}),
    backend: { service: { name: route, port: { name: USE_ANNOTATION } } },
  }
}
