/**
 * The chart's unit tests: `helm template` with various values, assertions on the rendered objects,
 * and `helm lint --strict`. No cluster; install, upgrade and rollback on the local control plane are
 * apps/controller/test/e2e/chart.test.ts.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseAllDocuments, stringify } from 'yaml'
import { chartDir, helm, helmBinary } from './helm.ts'

interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [field: string]: unknown
}
interface Container {
  name: string
  args?: string[]
  env?: { name: string; value?: string }[]
  volumeMounts?: { name: string; mountPath: string }[]
}
interface PodSpec {
  containers: Container[]
  initContainers?: Container[]
  volumes?: { name: string }[]
}

const parse = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)

let dir = ''
beforeAll(async () => {
  await helmBinary()
  dir = await mkdtemp(join(tmpdir(), 'sluice-chart-'))
})

let files = 0
/** `helm template rel <chart> --namespace sluice-system -f <values>`; `args` are more flags. */
async function template(values: Record<string, unknown> = {}, args: string[] = []) {
  const file = join(dir, `values-${++files}.yaml`)
  await writeFile(file, stringify(values))
  return helm(['template', 'rel', chartDir, '--namespace', 'sluice-system', '-f', file, ...args])
}

async function render(values: Record<string, unknown> = {}): Promise<KubeObject[]> {
  const result = await template(values)
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`)
  return parse(result.stdout)
}

const find = (objects: KubeObject[], kind: string, name?: string) => objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
const only = (objects: KubeObject[], kind: string, name?: string): KubeObject => {
  const found = find(objects, kind, name)
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name ?? ''}, expected 1`)
  return found[0] as KubeObject
}
const podSpec = (objects: KubeObject[]) => (only(objects, 'Deployment').spec as { template: { spec: PodSpec } }).template.spec
const controller = (objects: KubeObject[]) => podSpec(objects).containers[0] as Container

const crdNames = ['analysisruns.argoproj.io', 'analysistemplates.argoproj.io', 'clusteranalysistemplates.argoproj.io', 'experiments.argoproj.io', 'rollouts.argoproj.io']

describe('defaults', () => {
  it('helm template works with no flags at all (no --kube-version, no values)', async () => {
    const result = await helm(['template', chartDir])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('renders the CRDs, cluster-wide RBAC, a Lease Role, the Deployment, a PodDisruptionBudget and the metrics Service; no ServiceMonitor', async () => {
    const objects = await render()
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      ...crdNames.map((n) => `CustomResourceDefinition/${n}`),
      'ClusterRole/rel-sluice-controller',
      'ClusterRoleBinding/rel-sluice-controller',
      'Deployment/rel-sluice-controller',
      'PodDisruptionBudget/rel-sluice-controller',
      'Role/rel-sluice-controller-leader-election',
      'RoleBinding/rel-sluice-controller-leader-election',
      'Service/rel-sluice-controller-metrics',
      'ServiceAccount/rel-sluice-controller',
    ].sort())
    expect(only(objects, 'PodDisruptionBudget').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'sluice-controller', 'app.kubernetes.io/instance': 'rel' } },
      maxUnavailable: 1,
    })
    const args = controller(objects).args ?? []
    expect(args).toContain('--leader-elect=true')
    expect(args.filter((a) => a.startsWith('--namespace'))).toEqual([])
  })

  it('the CRDs are the files of files/crds/, with the chart labels and helm.sh/resource-policy: keep', async () => {
    const dirOfCrds = join(chartDir, 'files/crds')
    const sources = (await Promise.all((await readdir(dirOfCrds)).map(async (f) => parse(await readFile(join(dirOfCrds, f), 'utf8'))))).flat()
    const rendered = find(await render(), 'CustomResourceDefinition')
    expect(rendered.map((c) => c.metadata.name).sort()).toEqual(crdNames)
    for (const crd of rendered) {
      const source = sources.find((s) => s.metadata.name === crd.metadata.name) as KubeObject
      const { labels, annotations, ...metadata } = crd.metadata
      expect({ ...crd, metadata }).toEqual({ ...source, metadata: { name: source.metadata.name } })
      expect(labels).toMatchObject({ ...source.metadata.labels, 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/instance': 'rel' })
      expect(annotations).toEqual({ 'helm.sh/resource-policy': 'keep' })
    }
  })

  it.each([
    // values → lint --strict on the chart with them
    [{}],
    [{ clusterInstall: false, watchNamespace: 'apps' }],
    [{ replicas: 1, leaderElection: { enabled: false }, podDisruptionBudget: { enabled: false } }],
    [{ serviceMonitor: { enabled: true, interval: '30s' }, crds: { install: false } }],
  ])('helm lint --strict passes with %j', async (values) => {
    const file = join(dir, `lint-${++files}.yaml`)
    await writeFile(file, stringify(values))
    const result = await helm(['lint', '--strict', chartDir, '-f', file])
    expect(result.code, result.stdout + result.stderr).toBe(0)
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed')
  })
})

describe('values.schema.json', () => {
  it.each([
    // --set → what the refusal names
    ['replica=3', "additional properties 'replica' not allowed"], // misspelt top-level key
    ['leaderElection.enable=false', "at '/leaderElection': additional properties 'enable' not allowed"], // misspelt nested key
    ['crds.keepCRDs=true', "at '/crds': additional properties 'keepCRDs' not allowed"], // Argo Rollouts' chart's name for it
    ['replicas=two', "at '/replicas'"], // not an integer
    ['logLevel=verbose', "at '/logLevel'"], // not one of the controller's levels
    ['podDisruptionBudget.maxUnavailable=half', "at '/podDisruptionBudget/maxUnavailable'"], // neither a number nor a percentage
  ])('refuses --set %s', async (set, message) => {
    const result = await template({}, ['--set', set])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("values don't meet the specifications of the schema")
    expect(result.stderr).toContain(message)
  })

  it('and helm lint --strict refuses a misspelt key too', async () => {
    const result = await helm(['lint', '--strict', chartDir, '--set', 'replica=3'])
    expect(result.code).not.toBe(0)
    expect(result.stdout + result.stderr).toContain("additional properties 'replica' not allowed")
  })
})

describe('namespaced mode (clusterInstall: false)', () => {
  it('a Role and RoleBinding in the release namespace, no cluster-wide RBAC, and the controller watches that namespace', async () => {
    const objects = await render({ clusterInstall: false })
    expect(find(objects, 'ClusterRole')).toEqual([])
    expect(find(objects, 'ClusterRoleBinding')).toEqual([])
    const role = only(objects, 'Role', 'rel-sluice-controller')
    const cluster = only(await render(), 'ClusterRole')
    expect(role.metadata.namespace).toBe('sluice-system')
    expect(role.rules).toEqual(cluster.rules)
    expect(only(objects, 'RoleBinding', 'rel-sluice-controller')).toMatchObject({
      metadata: { namespace: 'sluice-system' },
      roleRef: { kind: 'Role', name: 'rel-sluice-controller' },
      subjects: [{ kind: 'ServiceAccount', name: 'rel-sluice-controller', namespace: 'sluice-system' }],
    })
    expect(controller(objects).args).toContain('--namespace=sluice-system')
  })

  it('with watchNamespace, the Role is there and binds the ServiceAccount of the release namespace; the Lease Role stays in the release namespace', async () => {
    const objects = await render({ clusterInstall: false, watchNamespace: 'apps' })
    expect(only(objects, 'Role', 'rel-sluice-controller').metadata.namespace).toBe('apps')
    expect(only(objects, 'RoleBinding', 'rel-sluice-controller')).toMatchObject({
      metadata: { namespace: 'apps' },
      subjects: [{ name: 'rel-sluice-controller', namespace: 'sluice-system' }],
    })
    expect(only(objects, 'Role', 'rel-sluice-controller-leader-election').metadata.namespace).toBe('sluice-system')
    expect(controller(objects).args).toContain('--namespace=apps')
  })

  it('a cluster install with watchNamespace keeps the ClusterRole and watches that namespace', async () => {
    const objects = await render({ watchNamespace: 'apps' })
    only(objects, 'ClusterRole')
    expect(controller(objects).args).toContain('--namespace=apps')
  })
})

describe('leader election', () => {
  it('refuses to render two replicas without it: both would write', async () => {
    const result = await template({ leaderElection: { enabled: false } })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('leaderElection.enabled=false with replicas=2: every replica would write to the same Rollouts')
  })

  it('one replica may run without it, and gets no Lease Role', async () => {
    const objects = await render({ replicas: 1, leaderElection: { enabled: false } })
    expect(controller(objects).args).toContain('--leader-elect=false')
    expect(find(objects, 'Role')).toEqual([])
  })
})

describe('CRDs', () => {
  it('crds.install=false renders none', async () => {
    expect(find(await render({ crds: { install: false } }), 'CustomResourceDefinition')).toEqual([])
  })

  it('crds.keep=false drops the keep policy; crds.annotations are added', async () => {
    const unkept = find(await render({ crds: { keep: false } }), 'CustomResourceDefinition')
    expect(unkept.map((c) => c.metadata.annotations)).toEqual(crdNames.map(() => undefined))
    const annotated = find(await render({ crds: { annotations: { team: 'delivery' } } }), 'CustomResourceDefinition')
    expect(annotated.map((c) => c.metadata.annotations)).toEqual(crdNames.map(() => ({ team: 'delivery', 'helm.sh/resource-policy': 'keep' })))
  })
})

describe('PodDisruptionBudget and ServiceMonitor', () => {
  it('minAvailable takes precedence over maxUnavailable; enabled=false renders none', async () => {
    expect(only(await render({ podDisruptionBudget: { minAvailable: '50%' } }), 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: '50%' })
    expect(only(await render({ podDisruptionBudget: { minAvailable: '50%' } }), 'PodDisruptionBudget').spec).not.toHaveProperty('maxUnavailable')
    expect(find(await render({ podDisruptionBudget: { enabled: false } }), 'PodDisruptionBudget')).toEqual([])
  })

  it('a ServiceMonitor scrapes the metrics Service when asked', async () => {
    const objects = await render({ serviceMonitor: { enabled: true, interval: '30s', labels: { release: 'prometheus' }, metricRelabelings: [{ action: 'drop', regex: 'nodejs_.*', sourceLabels: ['__name__'] }] } })
    const monitor = only(objects, 'ServiceMonitor')
    expect(monitor.metadata.labels).toMatchObject({ release: 'prometheus', 'app.kubernetes.io/instance': 'rel' })
    expect(monitor.spec).toEqual({
      selector: { matchLabels: (only(objects, 'Service').spec as { selector: unknown }).selector },
      namespaceSelector: { matchNames: ['sluice-system'] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s', metricRelabelings: [{ action: 'drop', regex: 'nodejs_.*', sourceLabels: ['__name__'] }] }],
    })
  })

  it('refuses a ServiceMonitor without the metrics Service', async () => {
    const result = await template({ serviceMonitor: { enabled: true }, metricsService: { enabled: false } })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('serviceMonitor.enabled=true needs metricsService.enabled=true')
  })
})

describe('extending the installation', () => {
  it('extraEnv, extraVolumes, extraVolumeMounts and initContainers go into the pod', async () => {
    const objects = await render({
      extraEnv: [{ name: 'AWS_REGION', value: 'eu-west-1' }],
      extraVolumes: [{ name: 'plugins', emptyDir: {} }],
      extraVolumeMounts: [{ name: 'plugins', mountPath: '/plugins' }],
      initContainers: [{ name: 'fetch-plugins', image: 'busybox:1', volumeMounts: [{ name: 'plugins', mountPath: '/plugins' }] }],
    })
    const pod = podSpec(objects)
    expect(controller(objects).env?.map((e) => e.name)).toEqual(['POD_NAMESPACE', 'POD_NAME', 'NODE_OPTIONS', 'AWS_REGION'])
    expect(controller(objects).volumeMounts).toEqual([{ name: 'plugins', mountPath: '/plugins' }])
    expect(pod.volumes).toEqual([{ name: 'plugins', emptyDir: {} }])
    expect(pod.initContainers?.map((c) => c.name)).toEqual(['fetch-plugins'])
  })

  it('none of them appear by default', async () => {
    const pod = podSpec(await render())
    expect(pod).not.toHaveProperty('volumes')
    expect(pod).not.toHaveProperty('initContainers')
    expect(pod.containers[0]).not.toHaveProperty('volumeMounts')
  })

  it.each([
    // clusterInstall → the kind that gets the rules
    [true, 'ClusterRole'],
    [false, 'Role'],
  ])('additionalRules end the rules of the controller role (clusterInstall=%s: %s)', async (clusterInstall, kind) => {
    const rule = { apiGroups: ['example.com'], resources: ['routes'], verbs: ['get', 'patch'] }
    const role = only(await render({ clusterInstall, additionalRules: [rule] }), kind, 'rel-sluice-controller')
    const rules = role.rules as unknown[]
    expect(rules.at(-1)).toEqual(rule)
    expect(rules.length).toBe((only(await render({ clusterInstall }), kind, 'rel-sluice-controller').rules as unknown[]).length + 1)
  })

  it('extraObjects: objects as they are, strings as templates', async () => {
    const objects = await render({
      extraObjects: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { a: '1' } },
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "{{ .Release.Name }}-templated", namespace: "{{ .Release.Namespace }}"}\n',
      ],
    })
    expect(find(objects, 'ConfigMap')).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' }, data: { a: '1' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rel-templated', namespace: 'sluice-system' } },
    ])
  })
})
