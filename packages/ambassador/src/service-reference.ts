/**
 * The `spec.service` of an Emissary Mapping: `[scheme://]name[.namespace[.svc.cluster.local]][:port]`.
 * A canary Mapping is its base Mapping pointed at the canary Service, so only the Service *name* is
 * swapped; scheme, namespace, domain and port stay as the user wrote them.
 */

export interface ServiceSwap {
  /** The stable Service, which the base Mapping must route to. */
  from: string
  /** The canary Service. */
  to: string
  /** The namespace of the Rollout, its Services and its Mappings. */
  namespace: string
}

const SERVICE = /^([a-z][a-z0-9+.-]*:\/\/)?([a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d+)?$/i

/**
 * `service` with the Service name `from` replaced by `to`, or undefined when `service` does not
 * address `from` in `namespace` (another Service, another namespace, an IP address, unparsable).
 *   'web-stable'                        → 'web-canary'
 *   'http://web-stable.default:8080'    → 'http://web-canary.default:8080'
 *   'web-stable-v2'                     → undefined (a different Service: upstream would rewrite it)
 *   'web-stable.other'                  → undefined (the namespace `other` has its own web-stable)
 */
export function swapServiceName(service: string, swap: ServiceSwap): string | undefined {
  const match = SERVICE.exec(service.trim())
  if (!match) return undefined
  const [, scheme = '', host = '', , port = ''] = match
  const [name, namespace, ...domain] = host.split('.')
  if (name !== swap.from) return undefined
  if (namespace !== undefined && namespace !== swap.namespace) return undefined
  return `${scheme}${[swap.to, ...(namespace === undefined ? [] : [namespace]), ...domain].join('.')}${port}`
}
