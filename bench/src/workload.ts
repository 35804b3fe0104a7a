/**
 * The benchmark's objects: per rollout a stable and a canary Service and a traffic-routed (SMI)
 * Rollout with the fixed step list of issue 9. The TrafficSplit is the controller's to create (it
 * refuses a mesh object the Rollout does not own).
 */

export const NAMESPACE = 'sluice-bench'

/** The step list every rollout goes through: setWeight 20, timed pause, setWeight 50, timed pause, then promotion. */
export const WEIGHTS = [20, 50] as const
/** Steps counted per update when dividing requests: the four canary steps and the promotion. */
export const STEPS_PER_UPDATE = 5

export interface WorkloadOptions {
  replicas: number
  /** Seconds of each of the two pauses. */
  pauseSeconds: number
  /** scaleDownDelaySeconds: how long the previous stable keeps its pods after promotion. */
  scaleDownDelaySeconds: number
}

export const rolloutName = (i: number) => `r-${String(i).padStart(4, '0')}`
export const stableServiceOf = (rollout: string) => `${rollout}-stable`
export const canaryServiceOf = (rollout: string) => `${rollout}-canary`

export function services(name: string): Record<string, unknown>[] {
  return [stableServiceOf(name), canaryServiceOf(name)].map((service) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service, namespace: NAMESPACE },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  }))
}

export function rollout(name: string, options: WorkloadOptions): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas: options.replicas,
      revisionHistoryLimit: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'bench:1' }] },
      },
      strategy: {
        canary: {
          canaryService: canaryServiceOf(name),
          stableService: stableServiceOf(name),
          scaleDownDelaySeconds: options.scaleDownDelaySeconds,
          trafficRouting: { smi: {} },
          steps: [
            { setWeight: WEIGHTS[0] },
            { pause: { duration: `${options.pauseSeconds}s` } },
            { setWeight: WEIGHTS[1] },
            { pause: { duration: `${options.pauseSeconds}s` } },
          ],
        },
      },
    },
  }
}

/** The update every rollout gets at once: a new image, hence a new pod template. */
export const templateUpdate = { spec: { template: { spec: { containers: [{ name: 'app', image: 'bench:2' }] } } } }

/** Canary pods a traffic-routed step of `weight` (of 100) needs: ceil(replicas × weight / 100), as Argo Rollouts sizes them. */
export const canaryPodsFor = (weight: number, replicas: number) => Math.ceil((replicas * weight) / 100)
