/**
 * The defaults the Kubernetes API server writes into a ReplicaSet's pod template, so that a stored
 * template can be compared with the template a Rollout asks for.
 *
 * A Rollout's `spec.template` is stored as written; the ReplicaSet made from it comes back with
 * `imagePullPolicy`, `terminationMessagePath`, `dnsPolicy` and so on filled in, and with resource
 * quantities in canonical form. These are the `SetDefaults_*` functions that Kubernetes v1.36
 * (pkg/apis/core/v1/defaults.go and the generated `SetObjectDefaults_ReplicaSet`) applies to a
 * `PodTemplateSpec`; Pod-only defaults (`enableServiceLinks`, requests copied from limits, host
 * ports under host networking) are not applied to templates and are left out here too.
 */
import type { PodTemplateSpec } from '../api/rollout.ts'
import { cloneJson } from './json.ts'

type Obj = Record<string, unknown>

function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function each(list: unknown, visit: (item: Obj) => void): void {
  if (Array.isArray(list)) for (const item of list) if (isObject(item)) visit(item)
}

function setIfUnset(object: Obj, field: string, value: unknown): void {
  if (object[field] === undefined || object[field] === null || object[field] === '') object[field] = value
}

/**
 * `Always` for an image tagged `latest` or with neither tag nor digest, else `IfNotPresent`.
 *   nginx → Always; nginx:latest → Always; nginx:1.27 → IfNotPresent;
 *   registry:5000/app → Always (a port, not a tag); app@sha256:… → IfNotPresent
 */
export function defaultPullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  if (typeof image !== 'string' || image === '') return 'IfNotPresent'
  const [name, digest] = image.split('@', 2) as [string, string | undefined]
  const lastSegment = name.slice(name.lastIndexOf('/') + 1)
  const colon = lastSegment.lastIndexOf(':')
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : ''
  if (tag === '' && !digest) return 'Always'
  return tag === 'latest' ? 'Always' : 'IfNotPresent'
}

function defaultHttpGet(action: unknown): void {
  if (!isObject(action)) return
  setIfUnset(action, 'path', '/')
  setIfUnset(action, 'scheme', 'HTTP')
}

function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return
  for (const [field, value] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (probe[field] === undefined || probe[field] === null || probe[field] === 0) probe[field] = value
  }
  defaultHttpGet(probe.httpGet)
  if (isObject(probe.grpc) && (probe.grpc.service === undefined || probe.grpc.service === null)) probe.grpc.service = ''
}

function defaultFieldRef(holder: unknown): void {
  if (isObject(holder) && isObject(holder.fieldRef)) setIfUnset(holder.fieldRef, 'apiVersion', 'v1')
}

function defaultContainer(container: Obj): void {
  setIfUnset(container, 'imagePullPolicy', defaultPullPolicy(container.image))
  setIfUnset(container, 'terminationMessagePath', '/dev/termination-log')
  setIfUnset(container, 'terminationMessagePolicy', 'File')
  each(container.ports, (port) => setIfUnset(port, 'protocol', 'TCP'))
  each(container.env, (env) => {
    if (!isObject(env.valueFrom)) return
    defaultFieldRef(env.valueFrom)
    if (isObject(env.valueFrom.fileKeyRef) && (env.valueFrom.fileKeyRef.optional === undefined || env.valueFrom.fileKeyRef.optional === null)) {
      env.valueFrom.fileKeyRef.optional = false
    }
  })
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(container[probe])
  if (isObject(container.lifecycle)) {
    for (const hook of ['postStart', 'preStop']) if (isObject(container.lifecycle[hook])) defaultHttpGet((container.lifecycle[hook] as Obj).httpGet)
  }
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
]

function defaultVolume(volume: Obj): void {
  if (!VOLUME_SOURCES.some((source) => volume[source] !== undefined && volume[source] !== null)) volume.emptyDir = {}
  const v = volume as Record<string, Obj | undefined>
  if (isObject(v.image)) setIfUnset(v.image, 'pullPolicy', defaultPullPolicy(v.image.reference))
  if (isObject(v.hostPath)) setIfUnset(v.hostPath, 'type', '')
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const s = v[source]
    if (isObject(s) && (s.defaultMode === undefined || s.defaultMode === null)) s.defaultMode = 0o644
  }
  if (isObject(v.downwardAPI)) each(v.downwardAPI.items, defaultFieldRef)
  if (isObject(v.projected)) {
    each(v.projected.sources, (source) => {
      if (isObject(source.downwardAPI)) each(source.downwardAPI.items, defaultFieldRef)
      if (isObject(source.serviceAccountToken)) setIfUnset(source.serviceAccountToken, 'expirationSeconds', 3600)
    })
  }
  if (isObject(v.iscsi)) setIfUnset(v.iscsi, 'iscsiInterface', 'default')
  if (isObject(v.rbd)) {
    setIfUnset(v.rbd, 'pool', 'rbd')
    setIfUnset(v.rbd, 'user', 'admin')
    setIfUnset(v.rbd, 'keyring', '/etc/ceph/keyring')
  }
  if (isObject(v.azureDisk)) {
    setIfUnset(v.azureDisk, 'cachingMode', 'ReadWrite')
    setIfUnset(v.azureDisk, 'fsType', 'ext4')
    if (v.azureDisk.readOnly === undefined || v.azureDisk.readOnly === null) v.azureDisk.readOnly = false
    setIfUnset(v.azureDisk, 'kind', 'Shared')
  }
  if (isObject(v.scaleIO)) {
    setIfUnset(v.scaleIO, 'storageMode', 'ThinProvisioned')
    setIfUnset(v.scaleIO, 'fsType', 'xfs')
  }
  const claim = isObject(v.ephemeral) && isObject(v.ephemeral.volumeClaimTemplate) ? v.ephemeral.volumeClaimTemplate.spec : undefined
  if (isObject(claim)) setIfUnset(claim, 'volumeMode', 'Filesystem')
}

/** A copy of `template` with the API server's defaults for a ReplicaSet's pod template filled in. */
export function withPodTemplateDefaults(template: PodTemplateSpec): PodTemplateSpec {
  const out = cloneJson(template)
  const spec = (out.spec ?? (out.spec = {})) as Obj
  setIfUnset(spec, 'dnsPolicy', 'ClusterFirst')
  setIfUnset(spec, 'restartPolicy', 'Always')
  if (!isObject(spec.securityContext)) spec.securityContext = {}
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30
  setIfUnset(spec, 'schedulerName', 'default-scheduler')
  // The deprecated serviceAccount mirrors serviceAccountName (the v1 conversion copies one to the other).
  setIfUnset(spec, 'serviceAccountName', spec.serviceAccount)
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName
  each(spec.volumes, defaultVolume)
  for (const list of ['initContainers', 'containers', 'ephemeralContainers']) each(spec[list], defaultContainer)
  return out
}

// ---------------------------------------------------------------------------------------------------
// Comparison

const MILLI: Record<string, [bigint, number]> = {
  // suffix → [multiplier, power of ten]
  n: [1n, -9], u: [1n, -6], m: [1n, -3], '': [1n, 0], k: [1n, 3], M: [1n, 6], G: [1n, 9], T: [1n, 12], P: [1n, 15], E: [1n, 18],
  Ki: [1n << 10n, 0], Mi: [1n << 20n, 0], Gi: [1n << 30n, 0], Ti: [1n << 40n, 0], Pi: [1n << 50n, 0], Ei: [1n << 60n, 0],
}

/**
 * A resource quantity as a count of thousandths, rounded up as the API server rounds it (milli
 * scale), so that every spelling of one amount compares equal; `undefined` when not a quantity.
 *   "1" → "1000"; "1000m" → "1000"; "0.5" → "500"; "500m" → "500"; 1 (a number) → "1000"
 *   "1Gi" → "1073741824000"; "1.5Gi" → "1610612736000"; "1e3" → "1000000"; "1n" → "1" (rounded up)
 */
export function quantityInMillis(quantity: unknown): string | undefined {
  const text = typeof quantity === 'number' ? String(quantity) : quantity
  if (typeof text !== 'string') return undefined
  const match = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/.exec(text.trim())
  if (!match) return undefined
  const [, sign, number, suffix, exponent] = match as unknown as [string, string, string, string | undefined, string | undefined]
  const [whole, fraction = ''] = number.split('.') as [string, string | undefined]
  const [multiplier, power] = MILLI[suffix ?? ''] as [bigint, number]
  const ten = power + Number(exponent ?? 0) - fraction.length + 3
  let numerator = BigInt(`${whole}${fraction}` || '0') * multiplier
  let denominator = 1n
  if (ten >= 0) numerator *= 10n ** BigInt(ten)
  else denominator = 10n ** BigInt(-ten)
  let millis = numerator / denominator
  if (millis * denominator !== numerator) millis += 1n
  return `${sign === '-' && millis !== 0n ? '-' : ''}${millis}`
}

const QUANTITY_LISTS = new Set(['limits', 'requests', 'overhead'])
/** Go `omitempty` booleans and numbers: `false` and `0` written in a manifest are dropped when stored. */
const ZERO_DROPPED = new Set(['hostNetwork', 'hostPID', 'hostIPC', 'stdin', 'stdinOnce', 'tty', 'readOnly', 'hostPort'])

/** Empty values, `creationTimestamp: null`, zero omitempty fields removed; quantities in thousandths. */
function normalise(value: unknown, key: string | undefined, parent: string | undefined): unknown {
  if (value === null || value === undefined || value === '') return undefined
  if (key !== undefined && ZERO_DROPPED.has(key) && (value === false || value === 0)) return undefined
  if ((parent !== undefined && QUANTITY_LISTS.has(parent)) || key === 'sizeLimit') {
    const millis = quantityInMillis(value)
    if (millis !== undefined) return millis
  }
  if (Array.isArray(value)) {
    const items = value.map((item) => normalise(item, undefined, key)).filter((item) => item !== undefined)
    return items.length > 0 ? items : undefined
  }
  if (!isObject(value)) return value
  const out: Obj = {}
  for (const [k, v] of Object.entries(value)) {
    const n = normalise(v, k, key)
    if (n !== undefined) out[k] = n
  }
  return Object.keys(out).length > 0 ? out : undefined
}

/**
 * The form in which two pod templates are compared: the API server's defaults applied, then empty
 * values dropped and quantities put in one unit. A Rollout's `spec.template` and the template of a
 * ReplicaSet made from it (by Sluice, Argo Rollouts or anyone) have the same comparable form.
 */
export function comparablePodTemplate(template: PodTemplateSpec): unknown {
  return normalise(withPodTemplateDefaults(template), undefined, undefined) ?? {}
}
