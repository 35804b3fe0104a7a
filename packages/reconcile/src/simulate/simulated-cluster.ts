/**
 * What the cluster does in a simulation besides the controller: the ReplicaSet controller and the
 * kubelets. A ReplicaSet's pods up to `spec.replicas` become available `availabilityDelayMs` after
 * it is scaled up (at once by default); scaled down, its pods go at once. The ReplicaSets live in the
 * in-memory API, where the controller's own executor writes them.
 */
import { POD_TEMPLATE_HASH_LABEL } from '@sluice/core'
import type { KubeObject } from '@sluice/core'
import type { MemoryKube } from '@sluice/kube/memory'

interface ReplicaSetJson extends KubeObject {
  spec?: { replicas?: number }
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number }
}

export class SimulatedReplicaSets {
  readonly #kube: MemoryKube
  readonly #namespace: string
  readonly #delayMs: ((replicaSet: string, pods: number) => number) | undefined
  /** Per ReplicaSet name: its spec.replicas as last seen, and when its pods are all available. */
  readonly #seen = new Map<string, { replicas: number; readyAt: number }>()

  constructor(kube: MemoryKube, namespace: string, delayMs?: (replicaSet: string, pods: number) => number) {
    this.#kube = kube
    this.#namespace = namespace
    this.#delayMs = delayMs
  }

  /** The ReplicaSets, in the order the API lists them. */
  async list(): Promise<ReplicaSetJson[]> {
    return this.#kube.list<ReplicaSetJson>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: this.#namespace })
  }

  async byHash(hash: string | undefined): Promise<ReplicaSetJson | undefined> {
    return (await this.list()).find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL] === hash)
  }

  /** A ReplicaSet whose pods are all available already (the stable one a simulation starts from). */
  async addReady(replicaSet: KubeObject, clock: number): Promise<void> {
    const replicas = (replicaSet as ReplicaSetJson).spec?.replicas ?? 0
    this.#kube.seed({ ...replicaSet, status: { replicas, readyReplicas: replicas, availableReplicas: replicas } })
    this.#seen.set(replicaSet.metadata.name ?? '', { replicas, readyAt: clock })
  }

  /** Notes the scale-ups the controller wrote since the last call: their pods become available after the delay. */
  async noteWrites(clock: number): Promise<void> {
    const listed = await this.list()
    for (const name of [...this.#seen.keys()]) if (!listed.some((rs) => rs.metadata.name === name)) this.#seen.delete(name)
    for (const rs of listed) {
      const name = rs.metadata.name ?? ''
      const replicas = rs.spec?.replicas ?? 0
      const seen = this.#seen.get(name)
      if (!seen) this.#seen.set(name, { replicas, readyAt: replicas > 0 ? clock + (this.#delayMs?.(name, replicas) ?? 0) : clock })
      else if (replicas > seen.replicas) this.#seen.set(name, { replicas, readyAt: clock + (this.#delayMs?.(name, replicas) ?? 0) })
      else seen.replicas = replicas
    }
  }

  /** Brings every ReplicaSet's status to what its pods are at `clock`. */
  async advance(clock: number): Promise<void> {
    for (const rs of await this.list()) {
      const replicas = rs.spec?.replicas ?? 0
      const readyAt = this.#seen.get(rs.metadata.name ?? '')?.readyAt ?? clock
      const available = readyAt <= clock ? replicas : Math.min(rs.status?.availableReplicas ?? 0, replicas)
      this.#kube.seed({ ...rs, status: { ...rs.status, replicas, readyReplicas: available, availableReplicas: available } })
    }
  }

  /** How long until the next ReplicaSet has all its pods (ms), for each one still waiting. */
  waiting(clock: number): number[] {
    return [...this.#seen.values()].filter((s) => s.readyAt > clock).map((s) => s.readyAt - clock)
  }
}
