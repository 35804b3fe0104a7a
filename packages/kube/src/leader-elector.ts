/**
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's `leaderelection` does it.
 *
 * A candidate takes the Lease when it is free (no holder) or when its holder has not renewed it for
 * `leaseDurationSeconds`, measured on the candidate's own clock from the moment it last saw the
 * record change (so clock skew between replicas does not matter). Every write carries the
 * resourceVersion read, so two candidates never both win. The leader renews every `retryPeriodMs`;
 * if no renewal succeeds for `renewDeadlineMs`, or it sees another holder, it stops leading at once
 * (well before others may take over, at `leaseDurationMs`). After losing, it campaigns again.
 *
 * Timing (defaults 15 s / 10 s / 2 s): a leader that dies is replaced 15–17 s later; one that calls
 * `release()` is replaced within one retry period (≈2 s).
 */
import { isConflict, KubeApiError } from '@sluice/core'
import type { KubeApi, KubeObject } from '@sluice/core'
import { jitter } from './backoff.ts'
import { sleep, systemClock } from './clock.ts'
import type { Clock, TimerHandle } from './clock.ts'
import { errorFields, silentLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { parseTime, toMicroTime } from './micro-time.ts'

export interface LeaseSpec {
  holderIdentity?: string
  leaseDurationSeconds?: number
  acquireTime?: string
  renewTime?: string
  leaseTransitions?: number
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec
}

export interface LeaderElectorOptions {
  /** Reads and writes the Lease (`createKubeApi(kc)`, or an in-memory KubeApi in tests). */
  kube: KubeApi
  namespace: string
  /** Lease name, e.g. `sluice-controller`. */
  name: string
  /** This replica's identity, unique among replicas (e.g. pod name + random suffix). */
  identity: string
  /** How long a lease is valid without renewal. Default 15 s. */
  leaseDurationMs?: number
  /** The leader gives up when it has not renewed for this long. Default 10 s; must be below leaseDurationMs. */
  renewDeadlineMs?: number
  /** Pause between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number
  /** Called when this replica becomes leader: start the work that only the leader may do. */
  onStartedLeading?: () => void
  /** Called when it stops leading (lost, deadline passed, or released): stop writing at once. */
  onStoppedLeading?: () => void
  /** Called when the observed holder changes (including to this replica). */
  onNewLeader?: (identity: string) => void
  clock?: Clock
  logger?: Logger
  random?: () => number
}

type Attempt = 'acquired' | 'held' | 'failed'

const LEASE_API = 'coordination.k8s.io/v1'

export class LeaderElector {
  readonly #o: Required<Pick<LeaderElectorOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>> & LeaderElectorOptions
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #random: () => number
  #leading = false
  #observed: { record: string; at: number } | undefined
  #leader: string | undefined
  #stop: AbortController | undefined
  #loop: Promise<void> | undefined
  #deadline: TimerHandle | undefined

  constructor(options: LeaderElectorOptions) {
    const leaseDurationMs = options.leaseDurationMs ?? 15_000
    const renewDeadlineMs = options.renewDeadlineMs ?? 10_000
    const retryPeriodMs = options.retryPeriodMs ?? 2_000
    if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs && retryPeriodMs > 0)) {
      throw new RangeError('[kube] leader election needs leaseDurationMs > renewDeadlineMs > retryPeriodMs > 0')
    }
    if (!options.identity) throw new RangeError('[kube] leader election needs an identity')
    this.#o = { ...options, leaseDurationMs, renewDeadlineMs, retryPeriodMs }
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#random = options.random ?? Math.random
  }

  /** True while this replica holds the Lease and has renewed it within the renew deadline. */
  isLeader(): boolean {
    return this.#leading
  }

  /** The holder last seen on the Lease (undefined before the first read or when free). */
  get leader(): string | undefined {
    return this.#leader
  }

  /** Starts campaigning in the background. Calling it again while running does nothing. */
  start(): void {
    if (this.#loop) return
    const stop = new AbortController()
    this.#stop = stop
    this.#loop = this.#run(stop.signal).finally(() => {
      this.#loop = undefined
    })
  }

  /**
   * Stops campaigning and, if this replica holds the Lease, frees it (clears the holder and sets a
   * 1 s duration) so another replica takes over within one retry period. Never throws: a failed
   * release is logged, and the Lease then expires on its own.
   */
  async release(): Promise<void> {
    this.#stop?.abort()
    const wasLeading = this.#leading
    this.#loseLeadership('released')
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const lease = await this.#o.kube.get<Lease>(this.#ref())
        if (!lease || lease.spec?.holderIdentity !== this.#o.identity) return
        const now = this.#clock.now()
        const { holderIdentity: _holder, ...spec } = lease.spec
        await this.#o.kube.replace<Lease>({ ...lease, spec: { ...spec, leaseDurationSeconds: 1, renewTime: toMicroTime(now) } })
        this.#logger.info({ lease: this.#o.name, identity: this.#o.identity, wasLeading }, 'released the lease')
        return
      } catch (error) {
        if (isConflict(error)) continue
        this.#logger.warn({ lease: this.#o.name, ...errorFields(error) }, 'could not release the lease; it will expire')
        return
      }
    }
  }

  #ref() {
    return { apiVersion: LEASE_API, kind: 'Lease', namespace: this.#o.namespace, name: this.#o.name }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const retry = () => sleep(this.#clock, jitter(this.#o.retryPeriodMs * 1.2, 1 / 6, this.#random), signal).catch(() => {})
    while (!signal.aborted) {
      // Campaign until the Lease is ours.
      while (!signal.aborted && (await this.#tryAcquireOrRenew(signal)) !== 'acquired') await retry()
      if (signal.aborted) return
      this.#leading = true
      this.#armDeadline()
      this.#logger.info({ lease: this.#o.name, identity: this.#o.identity }, 'became leader')
      this.#call(this.#o.onStartedLeading, 'onStartedLeading')
      // Renew until a renewal is refused or the deadline passes.
      while (this.#leading && !signal.aborted) {
        await sleep(this.#clock, this.#o.retryPeriodMs, signal).catch(() => {})
        if (signal.aborted || !this.#leading) break
        const attempt = await this.#tryAcquireOrRenew(signal)
        if (!this.#leading || signal.aborted) break
        if (attempt === 'acquired') this.#armDeadline()
        else if (attempt === 'held') this.#loseLeadership(`the lease is held by ${this.#leader}`)
      }
    }
  }

  #armDeadline(): void {
    if (this.#deadline !== undefined) this.#clock.clearTimeout(this.#deadline)
    this.#deadline = this.#clock.setTimeout(() => this.#loseLeadership(`no renewal within ${this.#o.renewDeadlineMs} ms`), this.#o.renewDeadlineMs)
  }

  #loseLeadership(why: string): void {
    if (this.#deadline !== undefined) this.#clock.clearTimeout(this.#deadline)
    this.#deadline = undefined
    if (!this.#leading) return
    this.#leading = false
    this.#logger.warn({ lease: this.#o.name, identity: this.#o.identity, why }, 'stopped leading')
    this.#call(this.#o.onStoppedLeading, 'onStoppedLeading')
  }

  /** One read-and-write round: take or renew the Lease if it is ours to take. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const { kube, identity } = this.#o
    const leaseSeconds = Math.ceil(this.#o.leaseDurationMs / 1000)
    try {
      const now = this.#clock.now()
      const lease = await kube.get<Lease>(this.#ref())
      if (signal.aborted) return 'failed'
      if (!lease) {
        const spec: LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: toMicroTime(now), renewTime: toMicroTime(now), leaseTransitions: 0 }
        await kube.create<Lease>({ apiVersion: LEASE_API, kind: 'Lease', metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec })
        this.#observe(spec, now)
        return 'acquired'
      }
      const record = lease.spec ?? {}
      this.#observe(record, now)
      const holder = record.holderIdentity
      if (holder && holder !== identity) {
        const durationMs = (record.leaseDurationSeconds ?? leaseSeconds) * 1000
        if (this.#observed!.at + durationMs > now) return 'held'
      }
      const mine = holder === identity
      const acquireTime = mine && record.acquireTime && !Number.isNaN(parseTime(record.acquireTime)) ? record.acquireTime : toMicroTime(now)
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime,
        renewTime: toMicroTime(now),
        leaseTransitions: (record.leaseTransitions ?? 0) + (mine ? 0 : 1),
      }
      await kube.replace<Lease>({ ...lease, spec })
      this.#observe(spec, now)
      return 'acquired'
    } catch (error) {
      const conflict = isConflict(error) || (error instanceof KubeApiError && error.reason === 'AlreadyExists')
      this.#logger[conflict ? 'debug' : 'warn']({ lease: this.#o.name, ...errorFields(error) }, 'lease update failed')
      return 'failed'
    }
  }

  /** Remembers when the record last changed, on our own clock. */
  #observe(record: LeaseSpec, now: number): void {
    const serialized = JSON.stringify([record.holderIdentity ?? '', record.renewTime ?? '', record.acquireTime ?? '', record.leaseTransitions ?? 0])
    if (this.#observed?.record !== serialized) this.#observed = { record: serialized, at: now }
    const holder = record.holderIdentity || undefined
    if (holder !== this.#leader) {
      this.#leader = holder
      if (holder) this.#call(() => this.#o.onNewLeader?.(holder), 'onNewLeader')
    }
  }

  #call(fn: (() => void) | undefined, which: string): void {
    try {
      fn?.()
    } catch (error) {
      // A callback's failure must not break the election loop.
      this.#logger.error({ lease: this.#o.name, callback: which, ...errorFields(error) }, 'leader election callback threw')
    }
  }
}
