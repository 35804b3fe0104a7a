/**
 * The Istio traffic router: maps the `TrafficRouter` contract onto the pure builders of
 * `virtual-service.ts`, `destination-rule.ts` and `write-order.ts`.
 *
 * Each call reads the objects afresh (the cluster is the only state). Writes are server-side applies
 * with field manager `sluice-istio`, carrying only the lists Sluice rewrites (`spec.http`,
 * `spec.tls`, `spec.tcp`; `spec.subsets` and one annotation of the DestinationRule) and the
 * resourceVersion that was read as a precondition: docs/adr/0005-istio-server-side-apply.md.
 */
import { AdapterError, MANAGED_BY_ANNOTATION, defineTrafficRouter, describeObject, fieldError, formatFieldError, jsonEqual } from '@sluice/core'
import type {
  DesiredTraffic,
  FieldError,
  FieldErrorKind,
  IstioTrafficRouting,
  IstioVirtualService,
  KubeObject,
  ObservedTraffic,
  RouterCapabilities,
  RouterChange,
  RouterDeps,
  TrafficRouter,
  TrafficRouterOptions,
} from '@sluice/core'
import { buildSubsets, findSubsetProblems, readSubsetHashes } from './destination-rule.ts'
import type { DestinationRule, SubsetNames } from './destination-rule.ts'
import { buildRouteLists, parseVirtualServiceName, readManagedRoutes, readSplitWeights, selectRoutes, findDestinationProblems } from './virtual-service.ts'
import type { DesiredRoutes, RouteLists, SelectedRoutes, TrafficSplit, VirtualService, VirtualServiceSpec } from './virtual-service.ts'
import { ISTIO_API_VERSION, istioReferences } from './references.ts'
import { chooseWriteOrder } from './write-order.ts'
import type { WriteOrder } from './write-order.ts'

/** `spec.strategy.canary.trafficRouting.istio` of the Rollout. */
export type IstioRouterConfig = IstioTrafficRouting

export type IstioRouterOptions = TrafficRouterOptions<IstioRouterConfig>

/** What the Istio router can do (also read by `sluice lint` without a cluster). */
export const istioCapabilities: RouterCapabilities = {
  headerRouting: { matchTypes: ['exact', 'prefix', 'regex'] },
  mirroring: true,
  maxTrafficWeight: false,
  weightVerification: false,
  additionalDestinations: false,
}

const ADAPTER = 'istio'
const FIELD_MANAGER = 'sluice-istio'
/** The versions an Istio object is looked up under, in this order; it is written back under the one it was found with. */
const API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3']
const CONFIG_PATH = 'spec.strategy.canary.trafficRouting.istio'

interface Problem {
  error: FieldError
  /** The object the problem is about, as `describeObject` prints it (for `AdapterError`). */
  object: string
}

interface BoundVirtualService {
  selection: IstioVirtualService
  object: VirtualService
  selected: SelectedRoutes
}

/** Everything one call needs, read from the cluster, with what is wrong with it. */
interface Snapshot {
  problems: Problem[]
  split: TrafficSplit
  virtualServices: BoundVirtualService[]
  destinationRule: { object: DestinationRule; names: SubsetNames } | undefined
}

interface Write {
  object: KubeObject
  body: KubeObject
  detail: string
}

/**
 * Builds the Istio router of one rollout. `config` is its `trafficRouting.istio` block: one
 * VirtualService (`virtualService`) or several (`virtualServices`), and for subset-level splitting a
 * `destinationRule`; without one the split is host-level between `canaryService` and `stableService`.
 */
export function createIstioRouter(options: IstioRouterOptions, deps: RouterDeps): TrafficRouter {
  const { target, config } = options
  const { kube } = deps
  const namespace = target.rollout.namespace
  const rolloutObject = describeObject({ apiVersion: target.rollout.apiVersion, kind: target.rollout.kind, namespace, name: target.rollout.name })

  async function find<T extends KubeObject>(kind: string, name: string, inNamespace: string): Promise<T | undefined> {
    for (const apiVersion of API_VERSIONS) {
      const found = await kube.get<T>({ apiVersion, kind, namespace: inNamespace, name })
      if (found) return found
    }
    return undefined
  }

  type Report = (kind: FieldErrorKind, path: string, message: string, object: string, value?: unknown) => void

  /** Reads every object the configuration names and collects what is wrong, with the Rollout field paths. */
  async function readSnapshot(): Promise<Snapshot> {
    const problems: Problem[] = []
    const report: Report = (kind, path, message, object, value) => problems.push({ error: fieldError(kind, path, message, value), object })

    const entries: { selection: IstioVirtualService; path: string }[] = []
    if (config.virtualService && config.virtualServices) {
      report('invalid', CONFIG_PATH, 'set exactly one of virtualService and virtualServices, not both', rolloutObject)
    } else if (config.virtualService) {
      entries.push({ selection: config.virtualService, path: `${CONFIG_PATH}.virtualService.name` })
    } else if (config.virtualServices && config.virtualServices.length > 0) {
      config.virtualServices.forEach((selection, i) => entries.push({ selection, path: `${CONFIG_PATH}.virtualServices[${i}].name` }))
    } else {
      report('required', CONFIG_PATH, 'set one of virtualService and virtualServices', rolloutObject)
    }

    let split: TrafficSplit
    let destinationRule: Snapshot['destinationRule']
    if (config.destinationRule) {
      destinationRule = await readDestinationRule(config.destinationRule, report)
      const { canarySubsetName, stableSubsetName } = config.destinationRule
      split = { level: 'subset', host: destinationRule?.object.spec?.host, canarySubset: canarySubsetName, stableSubset: stableSubsetName }
    } else {
      for (const field of ['canaryService', 'stableService'] as const) {
        if (target[field]) continue
        const message = 'Istio host-level splitting needs both canaryService and stableService (or trafficRouting.istio.destinationRule for subset-level splitting)'
        report('required', `spec.strategy.canary.${field}`, message, rolloutObject)
      }
      split = { level: 'host', canaryService: target.canaryService, stableService: target.stableService }
    }

    const virtualServices: BoundVirtualService[] = []
    const seen = new Set<string>()
    for (const { selection, path } of entries) {
      if (!selection.name) {
        report('required', path, 'name a VirtualService', rolloutObject)
        continue
      }
      const ref = parseVirtualServiceName(selection.name, namespace)
      const key = `${ref.namespace}/${ref.name}`
      if (seen.has(key)) {
        report('invalid', path, `VirtualService ${key} is listed more than once: give all its routes in one entry`, rolloutObject, selection.name)
        continue
      }
      seen.add(key)
      const bound = await readVirtualService(selection, ref, split, (kind, message, object) => report(kind, path, message, object, selection.name))
      if (bound) virtualServices.push(bound)
    }
    return { problems, split, virtualServices, destinationRule }
  }

  async function readDestinationRule(ruleConfig: NonNullable<IstioRouterConfig['destinationRule']>, report: Report): Promise<Snapshot['destinationRule']> {
    const path = `${CONFIG_PATH}.destinationRule`
    const names = { canarySubsetName: ruleConfig.canarySubsetName ?? '', stableSubsetName: ruleConfig.stableSubsetName ?? '' }
    if (!names.canarySubsetName) report('required', `${path}.canarySubsetName`, 'name the canary subset', rolloutObject)
    if (!names.stableSubsetName) report('required', `${path}.stableSubsetName`, 'name the stable subset', rolloutObject)
    if (names.canarySubsetName && names.canarySubsetName === names.stableSubsetName) {
      report('invalid', `${path}.stableSubsetName`, 'the canary and stable subsets must differ', rolloutObject, names.stableSubsetName)
    }
    if (!ruleConfig.name) {
      report('required', `${path}.name`, 'name a DestinationRule', rolloutObject)
      return undefined
    }
    const object = await find<DestinationRule>('DestinationRule', ruleConfig.name, namespace)
    if (!object) {
      const message = `DestinationRule "${ruleConfig.name}" not found in namespace "${namespace}" (looked up as ${API_VERSIONS.join(', ')})`
      report('not-found', `${path}.name`, message, rolloutObject, ruleConfig.name)
      return undefined
    }
    const described = describeObject(object)
    for (const problem of findSubsetProblems(object.spec ?? {}, names)) report('invalid', `${path}.name`, `${described} ${problem}`, described, ruleConfig.name)
    const manager = object.metadata.annotations?.[MANAGED_BY_ANNOTATION]
    if (manager !== undefined && manager !== target.rollout.name) {
      report('invalid', `${path}.name`, `${described} is managed by another Rollout ("${manager}")`, described, ruleConfig.name)
    }
    return { object, names }
  }

  async function readVirtualService(
    selection: IstioVirtualService,
    ref: { name: string; namespace: string },
    split: TrafficSplit,
    report: (kind: FieldErrorKind, message: string, object: string) => void,
  ): Promise<BoundVirtualService | undefined> {
    const object = await find<VirtualService>('VirtualService', ref.name, ref.namespace)
    if (!object) {
      report('not-found', `VirtualService "${ref.name}" not found in namespace "${ref.namespace}" (looked up as ${API_VERSIONS.join(', ')})`, rolloutObject)
      return undefined
    }
    const described = describeObject(object)
    const spec = object.spec ?? {}
    const { selected, problems } = selectRoutes(spec, selection, target.managedRoutes)
    for (const problem of problems) report('invalid', `${described} ${problem}`, described)
    for (const problem of findDestinationProblems(spec, selected, split)) report('invalid', `${described}: ${problem}`, described)
    return { selection, object, selected }
  }

  function refuse(problems: readonly Problem[]): never {
    const [first] = problems
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : ''
    throw new AdapterError(ADAPTER, first?.object ?? rolloutObject, `${first ? formatFieldError(first.error) : 'invalid configuration'}${more}`, { terminal: true })
  }

  function planVirtualService(vs: BoundVirtualService, split: TrafficSplit, desired: DesiredRoutes): { write: Write | undefined; before: SubsetWeights; after: SubsetWeights } {
    const spec = vs.object.spec ?? {}
    const lists = buildRouteLists(spec, vs.selected, split, desired)
    const current: RouteLists = { http: spec.http, tls: spec.tls, tcp: spec.tcp }
    const afterSpec: VirtualServiceSpec = { ...spec, ...lists }
    const reselected = selectRoutes(afterSpec, vs.selection, desired.managedRoutes).selected
    const before = readSplitWeights(spec, vs.selected, split)
    const after = readSplitWeights(afterSpec, reselected, split)
    if (jsonEqual(lists, current)) return { write: undefined, before, after }
    const details: string[] = []
    if (before?.canary !== after?.canary) details.push(`canary weight ${before?.canary ?? '-'} → ${after?.canary ?? '-'}`)
    const routesBefore = managedNames(spec, desired.managedRoutes)
    const routesAfter = managedNames(afterSpec, desired.managedRoutes)
    if (routesBefore !== routesAfter) details.push(`managed routes ${routesBefore} → ${routesAfter}`)
    if (details.length === 0) details.push('managed routes updated')
    const { name, namespace: objectNamespace, resourceVersion } = vs.object.metadata
    return {
      before,
      after,
      write: {
        object: vs.object,
        body: { apiVersion: vs.object.apiVersion, kind: vs.object.kind, metadata: { name, namespace: objectNamespace, resourceVersion }, spec: lists },
        detail: details.join('; '),
      },
    }
  }

  function planDestinationRule(rule: NonNullable<Snapshot['destinationRule']>, desired: DesiredTraffic): Write | undefined {
    const spec = rule.object.spec ?? {}
    const hashes = { canary: desired.canary.podTemplateHash, stable: desired.stable.podTemplateHash }
    const subsets = buildSubsets(spec, rule.names, hashes)
    const annotated = rule.object.metadata.annotations?.[MANAGED_BY_ANNOTATION] === target.rollout.name
    if (annotated && jsonEqual(subsets, spec.subsets ?? [])) return undefined
    const current = readSubsetHashes(spec, rule.names)
    const details: string[] = []
    if (current.canary !== hashes.canary && hashes.canary !== undefined) details.push(`subset ${rule.names.canarySubsetName} → ${hashes.canary}`)
    if (current.stable !== hashes.stable && hashes.stable !== undefined) details.push(`subset ${rule.names.stableSubsetName} → ${hashes.stable}`)
    if (!annotated) details.push(`marked as managed by Rollout ${target.rollout.name}`)
    const { name, namespace: objectNamespace, resourceVersion } = rule.object.metadata
    return {
      object: rule.object,
      body: {
        apiVersion: rule.object.apiVersion,
        kind: rule.object.kind,
        metadata: { name, namespace: objectNamespace, resourceVersion, annotations: { [MANAGED_BY_ANNOTATION]: target.rollout.name } },
        spec: { subsets },
      },
      detail: details.join('; '),
    }
  }

  /** Which of the DestinationRule and the VirtualServices to write first, judged on the first VirtualService's weights. */
  function writeOrder(snapshot: Snapshot, plans: readonly { before: SubsetWeights; after: SubsetWeights }[], desired: DesiredTraffic): WriteOrder {
    const reference = plans.find((plan) => plan.before && plan.after)
    const rule = snapshot.destinationRule
    if (!rule || !reference?.before || !reference.after) return 'hashes-first'
    const hashes = readSubsetHashes(rule.object.spec ?? {}, rule.names)
    return chooseWriteOrder(
      { canaryHash: hashes.canary, stableHash: hashes.stable, canaryWeight: reference.before.canary, stableWeight: reference.before.stable },
      {
        canaryHash: desired.canary.podTemplateHash ?? hashes.canary,
        stableHash: desired.stable.podTemplateHash ?? hashes.stable,
        canaryWeight: reference.after.canary,
        stableWeight: reference.after.stable,
      },
    )
  }

  return {
    name: ADAPTER,
    capabilities: istioCapabilities,

    async validate() {
      return (await readSnapshot()).problems.map((problem) => problem.error)
    },

    async apply(desired) {
      if (desired.maxWeight !== 100) {
        throw new AdapterError(ADAPTER, rolloutObject, `Istio weights are percentages: a weight scale of ${desired.maxWeight} is not supported`, { terminal: true })
      }
      if (desired.additional.length > 0) {
        throw new AdapterError(ADAPTER, rolloutObject, 'additional weighted destinations (experiments) are not supported', { terminal: true })
      }
      const snapshot = await readSnapshot()
      if (snapshot.problems.length > 0) refuse(snapshot.problems)
      const routes: DesiredRoutes = {
        canaryWeight: desired.canary.weight,
        headerRoutes: desired.headerRoutes,
        mirrorRoutes: desired.mirrorRoutes,
        managedRoutes: target.managedRoutes,
      }
      const wantsManagedRoutes = desired.headerRoutes.length + desired.mirrorRoutes.length > 0
      if (wantsManagedRoutes && !snapshot.virtualServices.some((vs) => vs.selected.http.length > 0)) {
        const message = 'header and mirror routes need an HTTP route to shift traffic on, and no configured VirtualService has one selected'
        throw new AdapterError(ADAPTER, rolloutObject, message, { terminal: true })
      }

      const plans = snapshot.virtualServices.map((vs) => planVirtualService(vs, snapshot.split, routes))
      const ruleWrite = snapshot.destinationRule ? planDestinationRule(snapshot.destinationRule, desired) : undefined
      const routeWrites = plans.flatMap((plan) => (plan.write ? [plan.write] : []))

      const order = ruleWrite && routeWrites.length > 0 ? writeOrder(snapshot, plans, desired) : 'hashes-first'
      const writes = order === 'hashes-first' ? [...(ruleWrite ? [ruleWrite] : []), ...routeWrites] : [...routeWrites, ...(ruleWrite ? [ruleWrite] : [])]

      const changes: RouterChange[] = []
      for (const write of writes) {
        await kube.apply(write.body, { fieldManager: FIELD_MANAGER, force: true })
        changes.push({ object: describeObject(write.object), result: 'updated', detail: write.detail })
      }
      return changes
    },

    async observe(): Promise<ObservedTraffic> {
      const snapshot = await readSnapshot()
      const [first] = snapshot.virtualServices
      if (!first) refuse(snapshot.problems)
      const withRoutes = snapshot.virtualServices.find((vs) => vs.selected.http.length > 0) ?? first
      const managed = readManagedRoutes(withRoutes.object.spec ?? {}, target.managedRoutes)
      return {
        canaryWeight: readSplitWeights(first.object.spec ?? {}, first.selected, snapshot.split)?.canary,
        headerRoutes: managed.headerRoutes,
        mirrorRoutes: managed.mirrorRoutes,
      }
    },
  }
}

type SubsetWeights = { canary: number; stable: number } | undefined

/** `header-1, mirror-1`, or `(none)`: the managed routes of a spec, in order, for change details. */
function managedNames(spec: VirtualServiceSpec, managedRoutes: readonly string[]): string {
  const managed = new Set(managedRoutes)
  const names = (spec.http ?? []).flatMap((route) => (route.name !== undefined && managed.has(route.name) ? [route.name] : []))
  return names.length > 0 ? names.join(', ') : '(none)'
}

/** The Istio router, as hosts register it under `trafficRouting.istio`. It has no cluster-wide settings. */
export const istioRouter = defineTrafficRouter<IstioRouterConfig>({
  name: ADAPTER,
  settings: {},
  capabilities: () => istioCapabilities,
  watches: () => [
    { apiVersion: ISTIO_API_VERSION, kind: 'VirtualService' },
    { apiVersion: ISTIO_API_VERSION, kind: 'DestinationRule' },
  ],
  references: istioReferences,
  create: createIstioRouter,
})
