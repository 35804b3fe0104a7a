/**
 * The JSON types of the Rollout fields Sluice reads. Checked before anything else, so that a wrong
 * type (a number where a list belongs, as a hand-written manifest or a bad template can produce) is
 * reported with its path instead of breaking later checks. Unknown fields are not this check's
 * business: the CRD prunes them, and unsupported features are rejected by name in validate-rollout.
 */
import { fieldError } from '../api/field-error.ts'
import type { FieldError } from '../api/field-error.ts'

export type Shape =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'int-or-string'
  | 'any'
  | { object: Record<string, Shape> }
  | { array: Shape }
  | { map: Shape }

const stringMatch: Shape = { object: { exact: 'string', prefix: 'string', regex: 'string' } }
const podMetadata: Shape = { object: { labels: { map: 'string' }, annotations: { map: 'string' } } }
const virtualService: Shape = {
  object: {
    name: 'string',
    routes: { array: 'string' },
    tlsRoutes: { array: { object: { port: 'integer', sniHosts: { array: 'string' } } } },
    tcpRoutes: { array: { object: { port: 'integer' } } },
  },
}

export const ROLLOUT_SHAPE: Shape = {
  object: {
    apiVersion: 'string',
    kind: 'string',
    metadata: { object: { name: 'string', namespace: 'string', labels: { map: 'string' }, annotations: { map: 'string' } } },
    spec: {
      object: {
        replicas: 'integer',
        selector: {
          object: {
            matchLabels: { map: 'string' },
            matchExpressions: { array: { object: { key: 'string', operator: 'string', values: { array: 'string' } } } },
          },
        },
        template: { object: { metadata: podMetadata, spec: { object: { containers: { array: { object: { name: 'string', image: 'string' } } } } } } },
        minReadySeconds: 'integer',
        revisionHistoryLimit: 'integer',
        progressDeadlineSeconds: 'integer',
        progressDeadlineAbort: 'boolean',
        paused: 'boolean',
        restartAt: 'string',
        strategy: {
          object: {
            blueGreen: 'any',
            canary: {
              object: {
                canaryService: 'string',
                stableService: 'string',
                maxSurge: 'int-or-string',
                maxUnavailable: 'int-or-string',
                scaleDownDelaySeconds: 'integer',
                scaleDownDelayRevisionLimit: 'integer',
                abortScaleDownDelaySeconds: 'integer',
                dynamicStableScale: 'boolean',
                minPodsPerReplicaSet: 'integer',
                replicaProgressThreshold: { object: { type: 'string', value: 'number' } },
                canaryMetadata: podMetadata,
                stableMetadata: podMetadata,
                steps: {
                  array: {
                    object: {
                      setWeight: 'integer',
                      pause: { object: { duration: 'int-or-string' } },
                      setCanaryScale: { object: { replicas: 'integer', weight: 'integer', matchTrafficWeight: 'boolean' } },
                      setHeaderRoute: { object: { name: 'string', match: { array: { object: { headerName: 'string', headerValue: stringMatch } } } } },
                      setMirrorRoute: {
                        object: {
                          name: 'string',
                          percentage: 'integer',
                          match: { array: { object: { method: stringMatch, path: stringMatch, headers: { map: stringMatch } } } },
                        },
                      },
                    },
                  },
                },
                trafficRouting: {
                  object: {
                    maxTrafficWeight: 'integer',
                    managedRoutes: { array: { object: { name: 'string' } } },
                    istio: {
                      object: {
                        virtualService,
                        virtualServices: { array: virtualService },
                        destinationRule: {
                          object: { name: 'string', canarySubsetName: 'string', stableSubsetName: 'string', additionalSubsetNames: { array: 'string' } },
                        },
                      },
                    },
                    nginx: {
                      object: {
                        stableIngress: 'string',
                        stableIngresses: { array: 'string' },
                        annotationPrefix: 'string',
                        additionalIngressAnnotations: { map: 'string' },
                        canaryIngressAnnotations: { map: 'string' },
                      },
                    },
                    alb: {
                      object: {
                        ingress: 'string',
                        ingresses: { array: 'string' },
                        servicePort: 'integer',
                        rootService: 'string',
                        annotationPrefix: 'string',
                        stickinessConfig: { object: { enabled: 'boolean', durationSeconds: 'integer' } },
                      },
                    },
                    smi: { object: { rootService: 'string', trafficSplitName: 'string' } },
                    ambassador: { object: { mappings: { array: 'string' } } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
}

const describe = (shape: Shape): string => {
  if (typeof shape === 'string') return shape === 'int-or-string' ? 'an integer or a string' : shape === 'integer' ? 'an integer' : `a ${shape}`
  if ('array' in shape) return 'a list'
  return 'an object'
}

/** Every place where `value` does not have the JSON type `shape` expects (null counts as absent). */
export function checkShape(value: unknown, shape: Shape, path = ''): FieldError[] {
  if (value === undefined || value === null || shape === 'any') return []
  const wrong = () => [fieldError('invalid', path || '(root)', `must be ${describe(shape)}`, value)]
  if (typeof shape === 'string') {
    switch (shape) {
      case 'string':
        return typeof value === 'string' ? [] : wrong()
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value) ? [] : wrong()
      case 'number':
        return typeof value === 'number' && Number.isFinite(value) ? [] : wrong()
      case 'boolean':
        return typeof value === 'boolean' ? [] : wrong()
      case 'int-or-string':
        return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)) ? [] : wrong()
    }
  }
  if ('array' in shape) {
    if (!Array.isArray(value)) return wrong()
    return value.flatMap((item, i) => checkShape(item, shape.array, `${path}[${i}]`))
  }
  if (typeof value !== 'object' || Array.isArray(value)) return wrong()
  const record = value as Record<string, unknown>
  if ('map' in shape) return Object.entries(record).flatMap(([k, v]) => checkShape(v, shape.map, `${path}.${k}`))
  return Object.entries(shape.object).flatMap(([k, s]) => checkShape(record[k], s, path ? `${path}.${k}` : k))
}
