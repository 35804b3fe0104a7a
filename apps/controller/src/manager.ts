/**
 * Wires the controller together: informers fill the caches and turn changes into Rollout keys, the
 * work queue hands keys to the reconciler, the leader Lease decides who may write, and the HTTP
 * server reports metrics and health.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeApiError, ROLLOUT_API_VERSION, ROLLOUT_KIND } from '@sluice/core'
import type { KubeObject, Rollout } from '@sluice/core'
import { createKubeApi, EventRecorder, Informer, InformerCache, isResourceNotServed, LeaderElector, objectKey, WorkQueue } from '@sluice/kube'
import type { ClusterKubeApi } from '@sluice/kube'
import { createRouterRegistry } from '@sluice/routers'
import type { Server } from 'node:http'
import type { Logger } from 'pino'
import { createElbv2Client, routerSettingsOf } from './config.ts'
import type { ControllerConfig } from './config.ts'
import { startHttpServer } from './http-server.ts'
import { createMetrics } from './metrics.ts'
import type { ControllerMetrics } from './metrics.ts'
import { endpointReadiness, readyEndpoints, SERVICE_NAME_LABEL } from '@sluice/reconcile'
import { RolloutReconciler } from './reconcile/rollout-reconciler.ts'
import { readsIndex, referenceKey } from './reads-index.ts'

export interface RunningController {
  readonly metrics: ControllerMetrics
  readonly server: Server
  isLeader(): boolean
  isReady(): boolean
  /** Finishes the reconcile in flight, releases the Lease, stops watching. */
  stop(): Promise<void>
  /** Resolves when the controller stopped by itself (lost its Lease) or was stopped. */
  readonly done: Promise<'stopped' | 'lost-lease'>
}

/** The Rollout informer's index of the objects each Rollout reads (`readsIndex`). */
const READS_INDEX = 'reads'

export async function startController(config: ControllerConfig, kc: KubeConfig, logger: Logger): Promise<RunningController> {
  const elbv2 = await createElbv2Client(config.aws, logger)
  // The settings were checked by loadConfig: a refused one does not get this far.
  const registry = createRouterRegistry(routerSettingsOf(config, { elbv2 }))
  const metrics = createMetrics()
  const cache = new InformerCache()
  const direct = createKubeApi(kc, { userAgent: 'sluice-controller' })
  const kube = createKubeApi(kc, { cache, userAgent: 'sluice-controller' })
  const runtimeLog = logger.child({ component: 'runtime' })
  const namespace = config.namespace === undefined ? {} : { namespace: config.namespace }
  const silenceTimeoutMs = config.watchSilenceMs
  // managedFields is often half of an object and the controller never reads it: not kept in memory.
  const transform = <T extends KubeObject>(object: T): T => {
    if (!object.metadata?.managedFields) return object
    const { managedFields: _dropped, ...metadata } = object.metadata
    return { ...object, metadata }
  }
  const common = { ...namespace, logger: runtimeLog, silenceTimeoutMs, transform }

  const rollouts = new Informer<Rollout>(direct, {
    apiVersion: ROLLOUT_API_VERSION,
    kind: ROLLOUT_KIND,
    ...common,
    indexers: { [READS_INDEX]: readsIndex(registry) },
  })
  const replicaSets = new Informer<KubeObject>(direct, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    ...common,
    labelSelector: 'rollouts-pod-template-hash',
  })
  const services = new Informer<KubeObject>(direct, { apiVersion: 'v1', kind: 'Service', ...common })
  const informers: Informer<KubeObject>[] = [rollouts as unknown as Informer<KubeObject>, replicaSets, services]
  const endpointSlices = (await mayList(direct, ENDPOINT_SLICE, config.namespace))
    ? new Informer<KubeObject>(direct, { ...ENDPOINT_SLICE, ...common, transform: endpointReadiness, labelSelector: SERVICE_NAME_LABEL })
    : undefined
  if (endpointSlices) informers.push(endpointSlices)
  else logger.warn({ ...ENDPOINT_SLICE }, 'may not list EndpointSlices: a canary Service without ready endpoints is not noticed (grant list and watch on endpointslices)')
  // The kinds the routers read: watched (and cached) when the cluster serves them.
  for (const kind of registry.watches()) {
    if (!(await serves(direct, kind.apiVersion, kind.kind, logger))) {
      logger.info({ apiVersion: kind.apiVersion, kind: kind.kind }, 'not served by this cluster: not watched')
      continue
    }
    informers.push(new Informer<KubeObject>(direct, { ...kind, ...common }))
  }
  // The ReplicaSet and EndpointSlice informers see only labelled objects, so they cannot answer arbitrary reads: the reconciler reads their stores directly.
  for (const informer of informers) if (informer !== replicaSets && informer !== endpointSlices) cache.add(informer)

  const queue = new WorkQueue({ name: 'rollouts', logger: runtimeLog })
  const enqueue = (key: string) => {
    queue.add(key)
    metrics.setQueueDepth(queue.length)
  }
  const rolloutOwning = (object: KubeObject): string | undefined => {
    const owner = (object.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === ROLLOUT_KIND)
    return owner ? `${object.metadata.namespace}/${owner.name}` : undefined
  }
  const rolloutsReading = (object: KubeObject): string[] =>
    rollouts.store
      .byIndex(READS_INDEX, referenceKey({ kind: object.kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name ?? '' }))
      .map((r) => objectKey(r))

  rollouts.onAdd((r) => enqueue(objectKey(r)))
  rollouts.onUpdate((_prev, r) => enqueue(objectKey(r)))
  rollouts.onDelete((r) => {
    metrics.deleteRollout(r.metadata.namespace ?? 'default', r.metadata.name ?? '')
    reconciler.forget(objectKey(r))
  })
  const wake = (object: KubeObject) => {
    const owner = rolloutOwning(object)
    if (owner) enqueue(owner)
    for (const key of rolloutsReading(object)) enqueue(key)
  }
  // An invalid Rollout may be waiting for an object to appear, or for a foreign object in the way
  // (e.g. one named like the canary Ingress or Mapping it would create) to go: wake those on any
  // creation or deletion in their namespace instead of waiting for their 20 s retry.
  const wakeInvalid = (object: KubeObject) => {
    for (const r of rollouts.store.byNamespace(object.metadata.namespace ?? 'default')) {
      if (r.status?.conditions?.some((c) => c.type === 'InvalidSpec')) enqueue(objectKey(r))
    }
  }
  // An EndpointSlice wakes the Rollouts reading its Service when the Service gains its first ready
  // endpoint or loses its last one (the planner asks nothing else of it).
  const wakeService = (slice: KubeObject) => {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL]
    if (!service) return
    for (const r of rollouts.store.byIndex(READS_INDEX, referenceKey({ kind: 'Service', namespace: slice.metadata.namespace ?? '', name: service }))) enqueue(objectKey(r))
  }
  endpointSlices?.onAdd(wakeService)
  endpointSlices?.onDelete(wakeService)
  endpointSlices?.onUpdate((prev, current) => {
    if (readyEndpoints([prev]) === 0 !== (readyEndpoints([current]) === 0)) wakeService(current)
  })
  for (const informer of informers.slice(1)) {
    if (informer === endpointSlices) continue
    informer.onAdd(wakeInvalid)
    informer.onDelete(wakeInvalid)
    informer.onAdd(wake)
    informer.onUpdate((prev, current) => {
      wake(current)
      if (prev.metadata.ownerReferences !== current.metadata.ownerReferences) {
        const before = rolloutOwning(prev)
        if (before) enqueue(before)
      }
    })
    informer.onDelete(wake)
  }

  const events = new EventRecorder({
    kube: direct,
    reportingController: 'sluice.io/controller',
    reportingInstance: config.leaderElection.identity,
    logger: runtimeLog,
  })
  let leading = !config.leaderElection.enabled
  let stopping = false
  const reconciler = new RolloutReconciler({
    kube,
    rollouts,
    replicaSets,
    ...(endpointSlices ? { endpointSlices } : {}),
    registry,
    events,
    metrics,
    logger,
    now: () => new Date(),
    planOptions: { verifyRetryMs: config.verifyRetryMs },
    mayWrite: () => leading && !stopping,
    ...(config.chaosBreak ? { chaosBreak: config.chaosBreak } : {}),
    evict: async (ns, name) => {
      try {
        await kube.createSubresource({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name }, 'eviction', {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name, namespace: ns },
        })
        return true
      } catch (error) {
        // 429: a disruption budget refuses it for now; 404: the pod is gone already.
        if (error instanceof KubeApiError && (error.status === 429 || error.status === 404)) return false
        throw error
      }
    },
  })

  for (const informer of informers) informer.start()
  const synced = () => informers.every((i) => i.hasSynced())
  let resolveDone: (how: 'stopped' | 'lost-lease') => void = () => {}
  const done = new Promise<'stopped' | 'lost-lease'>((resolve) => {
    resolveDone = resolve
  })

  const server = await startHttpServer({ host: config.httpHost, port: config.httpPort, registry: metrics.registry, isHealthy: () => true, isReady: synced })
  await Promise.all(informers.map((i) => i.waitForSync()))
  logger.info({ kinds: informers.map((i) => i.kind) }, 'caches synced')

  // Both clients: the cached one sends every write (and the reads no informer covers).
  const requestsTimer = setInterval(() => metrics.countApiRequests(direct.requests, kube.requests), 5000)
  requestsTimer.unref()

  const workers = queue.run(reconciler.reconcile, {
    workers: config.workers,
    onOutcome: (key, outcome, ms) => {
      const [ns = '', name = ''] = key.split('/')
      const kind = outcome.type === 'requeueAfter' ? 'requeue' : outcome.type
      metrics.observeReconcile(ns, name, ms / 1000, kind)
      metrics.setQueueDepth(queue.length)
      if (outcome.type === 'retry' || outcome.type === 'terminal') {
        logger.warn({ namespace: ns, rollout: name, error: (outcome.error as Error)?.message ?? String(outcome.error), outcome: outcome.type }, 'reconcile failed')
      }
    },
  })

  const enqueueAll = () => {
    for (const r of rollouts.store.list()) enqueue(objectKey(r))
  }
  let elector: LeaderElector | undefined
  if (config.leaderElection.enabled) {
    elector = new LeaderElector({
      kube: direct,
      namespace: config.leaderElection.namespace,
      name: config.leaderElection.name,
      identity: config.leaderElection.identity,
      leaseDurationMs: config.leaderElection.leaseDurationMs,
      renewDeadlineMs: config.leaderElection.renewDeadlineMs,
      retryPeriodMs: config.leaderElection.retryPeriodMs,
      logger: runtimeLog,
      onStartedLeading: () => {
        leading = true
        logger.info({ identity: config.leaderElection.identity }, 'leading: reconciling Rollouts')
        enqueueAll()
      },
      onStoppedLeading: () => {
        const wasLeading = leading
        leading = false
        if (wasLeading && !stopping) {
          logger.error({ identity: config.leaderElection.identity }, 'lost the leader Lease: stopping')
          void stop().then(() => resolveDone('lost-lease'))
        }
      },
      onNewLeader: (identity) => logger.info({ leader: identity }, 'leader'),
    })
    elector.start()
  } else {
    enqueueAll()
  }

  const stop = async () => {
    if (stopping) return
    stopping = true
    clearInterval(requestsTimer)
    await queue.shutDown()
    await workers
    if (elector) await elector.release()
    await Promise.all(informers.map((i) => i.stop()))
    await new Promise<void>((resolve) => server.close(() => resolve()))
    elbv2?.destroy()
    resolveDone('stopped')
  }

  return {
    metrics,
    server,
    isLeader: () => leading,
    isReady: synced,
    stop,
    done,
  }
}

const ENDPOINT_SLICE = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }

/**
 * True when the controller may list `kind` (in `namespace`, or everywhere): a kind it cannot read
 * must not hold up the start (the informer would wait for its first list forever). Any other
 * failure counts as may: the informer then retries it as it retries everything.
 */
async function mayList(kube: ClusterKubeApi, kind: { apiVersion: string; kind: string }, namespace: string | undefined): Promise<boolean> {
  try {
    await kube.listPage({ ...kind, ...(namespace === undefined ? {} : { namespace }) }, { limit: 1 })
    return true
  } catch (error) {
    return !(error instanceof KubeApiError && (error.status === 403 || error.status === 404))
  }
}

/**
 * True when the API server serves `kind`; false only when it answered that it does not (CRD not
 * installed: the routers for it then read with plain GETs and report what is missing). A discovery
 * request that failed (API server restarting, a 5xx, a 429, a reset) is asked again until it is
 * answered: taken for "not served", it would leave the kind unwatched for the process's lifetime,
 * and an edit of its objects would wake no Rollout (a chaos run found an aborted Rollout's canary
 * Ingress weight, set by hand, never put back).
 */
async function serves(kube: ClusterKubeApi, apiVersion: string, kind: string, logger: Logger): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await kube.resource(apiVersion, kind)
      return true
    } catch (error) {
      if (isResourceNotServed(error)) return false
      if (attempt % 10 === 1) logger.warn({ apiVersion, kind, attempt, err: error }, 'discovery failed; asking again')
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * attempt, 2000)))
    }
  }
}

