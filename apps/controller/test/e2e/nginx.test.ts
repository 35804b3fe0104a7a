/**
 * The NGINX router (@sluice/nginx) driven by the real controller on the local control plane: the
 * canary Ingress it creates and owns, asserted whole at every step, at promotion and after an abort;
 * header routes through `canary-by-header`; the user's stable Ingress never written; a foreign
 * Ingress in the canary Ingress' place never overwritten. There is no ingress-nginx here: the tests
 * assert the objects ingress-nginx would read.
 */
import { abort, promote } from '@sluice/client'
import type { KubeObject } from '@sluice/core'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventually, getRollout, pods, record, rolloutWhere, rolloutYaml, servicesYaml, setUp, startController, tearDown, transitions, updateImage } from './harness.ts'
import type { Env } from './harness.ts'
import { eventNotesInclude, getIngress, ingressRef, prefixPath } from './ingresses.ts'
import type { Ingress, IngressPath, IngressSpec } from './ingresses.ts'

const NGINX = 'nginx.ingress.kubernetes.io'
const CANARY_INGRESS = 'web-web-canary'

const services = servicesYaml()

/** The user's Ingress: TLS, a class, annotations of their own, and paths of other applications. */
const stableIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  labels: {team: storefront}
  annotations:
    ${NGINX}/proxy-body-size: 8m
    example.com/owner: storefront
spec:
  ingressClassName: nginx
  tls:
  - hosts: [shop.example.com]
    secretName: shop-tls
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web-stable, port: {name: http}}}}
      - {path: /docs, pathType: Prefix, backend: {service: {name: docs, port: {number: 80}}}}
  - host: static.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: cdn, port: {number: 80}}}}
`

const rollout = `
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 2
abortScaleDownDelaySeconds: 2
trafficRouting:
  managedRoutes:
  - name: beta
  nginx:
    stableIngress: web
    additionalIngressAnnotations:
      proxy-read-timeout: "30"
    canaryIngressAnnotations:
      example.com/canary-of: web
steps:
- setWeight: 20
- pause: {}
- setHeaderRoute:
    name: beta
    match:
    - headerName: X-Beta
      headerValue: {exact: "yes"}
- setWeight: 50
- pause: {}
- setHeaderRoute: {name: beta}
- pause: {}
`)}`

let env: Env | undefined
beforeEach(async () => {
  env = await setUp(inject('kubeconfigPath'), 'e2e-nginx')
})
afterEach(async () => {
  await tearDown(env)
})

const findIngress = (e: Env, name: string) => e.api.get<Ingress>(ingressRef(e, name))
const canaryIngress = (e: Env) => getIngress(e, CANARY_INGRESS)

/** The annotations Sluice writes on the canary Ingress at `weight`, with the header route when given. */
function canaryAnnotations(weight: number, header?: { name: string; value: string; route: string }): Record<string, string> {
  const annotations: Record<string, string> = {
    [`${NGINX}/canary`]: 'true',
    [`${NGINX}/canary-weight`]: String(weight),
    [`${NGINX}/proxy-read-timeout`]: '30',
    'example.com/canary-of': 'web',
  }
  if (header) {
    annotations[`${NGINX}/canary-by-header`] = header.name
    annotations[`${NGINX}/canary-by-header-value`] = header.value
    annotations['sluice.dev/header-routes'] = header.route
  }
  annotations['sluice.dev/managed-annotations'] = Object.keys(annotations).sort().join(',')
  return annotations
}

const BETA = { name: 'X-Beta', value: 'yes', route: 'beta' }

/** The canary Ingress' spec: class and TLS of the stable Ingress, only its paths to web-stable, pointed at web-canary. */
const canarySpec = (extraPaths: IngressPath[] = []): IngressSpec => ({
  ingressClassName: 'nginx',
  tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
  rules: [
    {
      host: 'shop.example.com',
      http: { paths: [prefixPath('/', 'web-canary', { name: 'http' }), ...extraPaths] },
    },
  ],
})

/** What a test compares: the canary Ingress' annotations (minus hand-added ones) and spec. */
async function canaryView(e: Env, handAdded: string[] = []): Promise<{ annotations: Record<string, string>; spec: IngressSpec | undefined }> {
  const ingress = await canaryIngress(e)
  const annotations = { ...(ingress.metadata.annotations ?? {}) }
  for (const key of handAdded) delete annotations[key]
  return { annotations, spec: ingress.spec }
}

const weightOf = (i: KubeObject) => i.metadata.annotations?.[`${NGINX}/canary-weight`]
const headerOf = (i: KubeObject) => i.metadata.annotations?.[`${NGINX}/canary-by-header`] ?? '-'

describe('NGINX canary Ingress', () => {
  it('carries the weight of every step and the header route, keeps hand-added annotations, and ends at 0 after promotion and after an abort', async () => {
    const e = env as Env
    const ingresses = await record<Ingress>(e, 'networking.k8s.io/v1', 'Ingress')
    try {
      await startController(e)
      await apply(e, services)
      const [created] = (await apply(e, stableIngress)) as [Ingress]
      await apply(e, rollout)
      const ref = { namespace: e.namespace, name: 'web' }

      // Initial deploy: the canary Ingress exists, owned by the Rollout, at weight 0.
      const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
      const v1 = first.status?.stableRS ?? ''
      await eventually('the canary Ingress', () => findIngress(e, CANARY_INGRESS))
      const canary = await canaryIngress(e)
      expect(canary.metadata.ownerReferences).toEqual([
        { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: 'web', uid: first.metadata.uid, controller: true, blockOwnerDeletion: true },
      ])
      // The stable Ingress' labels are not copied; only the paths to web-stable are (not /docs, not static.example.com).
      expect(canary.metadata.labels).toBeUndefined()
      expect(await canaryView(e)).toEqual({ annotations: canaryAnnotations(0), spec: canarySpec() })

      // Step 0: 20 %.
      await updateImage(e, 'web', 'web:2')
      let r = await rolloutWhere(e, 'web', 'paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20 }, stable: { weight: 80, podTemplateHash: v1 } })
      expect(await canaryView(e)).toEqual({ annotations: canaryAnnotations(20), spec: canarySpec() })
      expect(await pods(e, 'web')).toEqual({ canary: '1/1', stable: '4/4', others: '' })

      // Someone edits the canary Ingress by hand: a note of their own stays, the weight is put back.
      await e.api.mergePatch(ingressRef(e, CANARY_INGRESS), { metadata: { annotations: { 'example.com/note': 'hand-added', [`${NGINX}/canary-weight`]: '99' } } })
      await eventually('the canary weight put back to 20', async () => weightOf(await canaryIngress(e)) === '20')
      expect((await canaryIngress(e)).metadata.annotations?.['example.com/note']).toBe('hand-added')

      // The user adds a path to web-stable and a rule of another application to the stable Ingress:
      // the canary Ingress follows with the new web-stable path only.
      const edited = await e.api.mergePatch<Ingress>(ingressRef(e, 'web'), {
        metadata: { annotations: { 'example.com/edited': 'yes' } },
        spec: {
          rules: [
            ...(created.spec?.rules ?? []).map((rule, i) =>
              i === 0 ? { ...rule, http: { paths: [...(rule.http?.paths ?? []), prefixPath('/api', 'web-stable', { name: 'http' })] } } : rule,
            ),
            { host: 'admin.example.com', http: { paths: [prefixPath('/', 'admin', { number: 80 })] } },
          ],
        },
      })
      const apiPath = prefixPath('/api', 'web-canary', { name: 'http' })
      await eventually('the /api path copied to the canary Ingress', async () => (await canaryIngress(e)).spec?.rules?.[0]?.http?.paths.length === 2)
      expect(await canaryView(e, ['example.com/note'])).toEqual({ annotations: canaryAnnotations(20), spec: canarySpec([apiPath]) })

      // Steps 2-4: the header route, then 50 %.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'paused at step 4', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 4)
      expect(r.status?.canary?.weights?.canary.weight).toBe(50)
      expect(await canaryView(e, ['example.com/note'])).toEqual({ annotations: canaryAnnotations(50, BETA), spec: canarySpec([apiPath]) })

      // Steps 5-6: the header route removed, the weight stays.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'paused at step 6', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 6)
      expect(await canaryView(e, ['example.com/note'])).toEqual({ annotations: canaryAnnotations(50), spec: canarySpec([apiPath]) })

      // Promotion: all traffic to the canary, the stable Service switches, the weight returns to 0.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'promoted, weight back to 0', (x) => x.status?.phase === 'Healthy' && x.status.stableRS !== v1 && x.status.canary?.weights?.canary.weight === 0, 60_000)
      const v2 = r.status?.stableRS ?? ''
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v2 }, stable: { weight: 100, podTemplateHash: v2 } })
      await eventually('the canary Ingress back at 0', async () => weightOf(await canaryIngress(e)) === '0')
      expect(await canaryView(e, ['example.com/note'])).toEqual({ annotations: canaryAnnotations(0), spec: canarySpec([apiPath]) })
      expect((await canaryIngress(e)).metadata.annotations?.['example.com/note']).toBe('hand-added')

      // A third revision aborted while the header route is on at 50 %: weight 0, route gone.
      await updateImage(e, 'web', 'web:3')
      await rolloutWhere(e, 'web', 'v3 paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
      await promote(e.api, ref)
      await rolloutWhere(e, 'web', 'v3 paused at step 4', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 4)
      expect((await canaryView(e, ['example.com/note'])).annotations).toEqual(canaryAnnotations(50, BETA))
      await abort(e.api, ref)
      r = await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.canary?.weights?.canary.weight === 0)
      expect(r.status?.stableRS).toBe(v2)
      await eventually('the canary Ingress at 0 without the header route', async () => {
        const annotations = (await canaryIngress(e)).metadata.annotations ?? {}
        return annotations[`${NGINX}/canary-weight`] === '0' && annotations[`${NGINX}/canary-by-header`] === undefined
      })
      expect(await canaryView(e, ['example.com/note'])).toEqual({ annotations: canaryAnnotations(0), spec: canarySpec([apiPath]) })

      // The whole history of the canary Ingress, from the watch.
      const history = ingresses.seen.filter((i) => i.metadata.name === CANARY_INGRESS)
      expect(transitions(history.map(weightOf))).toEqual(['0', '20', '99', '20', '50', '100', '0', '20', '50', '0'])
      expect(transitions(history.map(headerOf))).toEqual(['-', 'X-Beta', '-', 'X-Beta', '-'])
      // Never a weight without the canary annotation, never a path to another application.
      for (const version of history) {
        expect(version.metadata.annotations?.[`${NGINX}/canary`]).toBe('true')
        const backends = (version.spec?.rules ?? []).flatMap((rule) => rule.http?.paths ?? []).map((p) => p.backend.service?.name)
        expect(new Set(backends)).toEqual(new Set(['web-canary']))
      }

      // The stable Ingress was never written by Sluice: the watch saw only the user's two versions.
      const stableVersions = ingresses.seen.filter((i) => i.metadata.name === 'web').map((i) => i.metadata.resourceVersion)
      expect(transitions(stableVersions)).toEqual([created.metadata.resourceVersion, edited.metadata.resourceVersion])
      const stableNow = await findIngress(e, 'web')
      expect(stableNow?.metadata.resourceVersion).toBe(edited.metadata.resourceVersion)
      expect(stableNow?.metadata.annotations).toEqual({ [`${NGINX}/proxy-body-size`]: '8m', 'example.com/owner': 'storefront', 'example.com/edited': 'yes' })
      expect(stableNow?.spec?.rules?.map((rule) => rule.host)).toEqual(['shop.example.com', 'static.example.com', 'admin.example.com'])

      // Events: a weight change in Argo Rollouts' words; other changes of the canary Ingress have their
      // own, naming it; the later ones only while the Rollout's burst of 25 Normal Events lasts.
      const canaryObject = `[nginx] Ingress ${e.namespace}/${CANARY_INGRESS}`
      await eventNotesInclude(
        e,
        'web',
        'TrafficWeightUpdated',
        ['to 0', 'from 0 to 20', 'from 20 to 50', 'from 50 to 100', 'from 100 to 0', 'from 50 to 0'].map((change) => `Traffic weight updated ${change}`),
      )
      await eventNotesInclude(
        e,
        'web',
        'TrafficRoutingUpdated',
        [
          'canary weight 99 → 20',
          'annotations or rules brought back in line with the stable Ingress',
          'header routes [] → [beta]',
          'header routes [beta] → []',
        ].map((change) => `${canaryObject} has been updated: ${change}`),
        0,
      )
    } finally {
      ingresses.stop()
    }
  })

  it('never overwrites a foreign Ingress in the canary Ingress place, says so on the Rollout, and proceeds once it is gone', async () => {
    const e = env as Env
    await apply(e, services)
    await apply(e, stableIngress)
    // Someone else's Ingress with the name the canary Ingress would get.
    const [foreign] = (await apply(
      e,
      `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${CANARY_INGRESS}
  annotations: {example.com/owner: someone-else}
spec:
  ingressClassName: nginx
  rules:
  - host: other.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: other, port: {number: 8080}}}}
`,
    )) as [Ingress]
    const ingresses = await record<Ingress>(e, 'networking.k8s.io/v1', 'Ingress')
    try {
      await startController(e)
      await apply(e, rollout)

      const r = await rolloutWhere(e, 'web', 'InvalidSpec', (x) => x.status?.conditions?.some((c) => c.type === 'InvalidSpec' && c.status === 'True') === true)
      const message = `spec.strategy.canary.trafficRouting.nginx.stableIngress: Invalid value: "web": Ingress ${e.namespace}/${CANARY_INGRESS} exists and is not controlled by Rollout ${e.namespace}/web; Sluice will not overwrite it (delete or rename it)`
      expect(r.status?.phase).toBe('Degraded')
      expect(r.status?.conditions?.find((c) => c.type === 'InvalidSpec')?.message).toContain(message)
      expect(r.status?.message).toContain(`Ingress ${e.namespace}/${CANARY_INGRESS} exists and is not controlled by`)
      await eventNotesInclude(e, 'web', 'InvalidSpec', [message])
      // No ReplicaSet for an invalid Rollout, and the foreign Ingress as it was.
      expect(await e.api.list({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: e.namespace })).toEqual([])
      const untouched = await findIngress(e, CANARY_INGRESS)
      expect(untouched?.metadata.resourceVersion).toBe(foreign.metadata.resourceVersion)
      expect(untouched?.metadata.ownerReferences).toBeUndefined()
      expect(untouched?.metadata.annotations).toEqual({ 'example.com/owner': 'someone-else' })
      expect(untouched?.spec).toEqual(foreign.spec)

      // Its owner removes it: the deletion wakes the Rollout (well before the 20 s re-check of invalid
      // Rollouts), which becomes valid and gets its own canary Ingress.
      await e.api.delete(ingressRef(e, CANARY_INGRESS))
      const healthy = await rolloutWhere(e, 'web', 'healthy after the foreign Ingress is gone', (x) => x.status?.phase === 'Healthy', 15_000)
      expect(healthy.status?.conditions?.some((c) => c.type === 'InvalidSpec')).toBe(false)
      const own = await eventually('the Rollout’s own canary Ingress', () => findIngress(e, CANARY_INGRESS))
      expect(own.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Rollout', name: 'web', uid: healthy.metadata.uid, controller: true })
      expect(await canaryView(e)).toEqual({ annotations: canaryAnnotations(0), spec: canarySpec() })
      // Until its deletion, the foreign Ingress was never written: every version of that name without
      // an owner the watch saw is the one its owner created.
      const foreignVersions = ingresses.seen.filter((i) => i.metadata.name === CANARY_INGRESS && !i.metadata.ownerReferences)
      expect(foreignVersions.every((i) => i.metadata.resourceVersion === foreign.metadata.resourceVersion)).toBe(true)
      expect((await getRollout(e, 'web')).status?.canary?.weights?.canary.weight).toBe(0)
    } finally {
      ingresses.stop()
    }
  })
})
