/**
 * The ALB router (@sluice/alb) driven by the real controller on the local control plane: the
 * `actions.<service>` annotation, header routes (conditions annotation and a path placed first) and
 * the managed-annotations bookkeeping on the user's own Ingress, at every step, at promotion and after
 * an abort, with everything else on that Ingress left as the user wrote it. Then weight verification
 * end to end against moto's ELBv2 emulator on loopback (never AWS): the test plays the AWS Load
 * Balancer Controller, and the Rollout moves on only once the load balancer carries each weight.
 */
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { abort, promote } from '@sluice/client'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { apply, eventually, getRollout, pods, record, replicaSets, repoRoot, rolloutWhere, rolloutYaml, serviceSelectorHash, servicesYaml, setUp, startController, tearDown, transitions, updateImage } from './harness.ts'
import type { ControllerProcess, Env } from './harness.ts'
import { eventNotesInclude, getIngress, ingressRef, prefixPath as path } from './ingresses.ts'
import type { Ingress, IngressRule } from './ingresses.ts'

const ALB = 'alb.ingress.kubernetes.io'
const ACTION = `${ALB}/actions.web-stable`
const MANAGED = 'rollouts.argoproj.io/managed-alb-annotations'

const services = servicesYaml({ nodePort: true })

const annotated = { name: 'use-annotation' }

/** The forward action Sluice writes: canary first, then stable, at port "80". */
function forward(canaryWeight: number, stickiness?: number): unknown {
  const config: Record<string, unknown> = {
    TargetGroups: [
      { ServiceName: 'web-canary', ServicePort: '80', Weight: canaryWeight },
      { ServiceName: 'web-stable', ServicePort: '80', Weight: 100 - canaryWeight },
    ],
  }
  if (stickiness) config.TargetGroupStickinessConfig = { Enabled: true, DurationSeconds: stickiness }
  return { Type: 'forward', ForwardConfig: config }
}

/** An Ingress' annotations with the JSON ones parsed, so that formatting does not matter. */
function annotationsOf(ingress: Ingress): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(ingress.metadata.annotations ?? {})) {
    out[key] = key.startsWith(`${ALB}/actions.`) || key.startsWith(`${ALB}/conditions.`) || key === MANAGED ? JSON.parse(value) : value
  }
  return out
}

const weightOf = (ingress: Ingress): number | '-' => {
  const action = ingress.metadata.annotations?.[ACTION]
  if (action === undefined) return '-'
  const groups = (JSON.parse(action) as { ForwardConfig: { TargetGroups: { ServiceName: string; Weight: number }[] } }).ForwardConfig.TargetGroups
  return groups.find((g) => g.ServiceName === 'web-canary')?.Weight ?? '-'
}

describe('ALB actions annotation', () => {
  let env: Env | undefined
  beforeEach(async () => {
    env = await setUp(inject('kubeconfigPath'), 'e2e-alb')
  })
  afterEach(async () => {
    await tearDown(env)
  })

  /**
   * The user's Ingress: their own annotations (one of them another action, ssl-redirect), another
   * Rollout's entry in the bookkeeping with its action, paths of other applications, a second host.
   */
  const userAnnotations = {
    [`${ALB}/scheme`]: 'internet-facing',
    [`${ALB}/actions.ssl-redirect`]: '{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}',
    [`${ALB}/actions.api-stable`]:
      '{"Type":"forward","ForwardConfig":{"TargetGroups":[{"ServiceName":"api-canary","ServicePort":"80","Weight":10},{"ServiceName":"api-stable","ServicePort":"80","Weight":90}]}}',
    [MANAGED]: `{"api":["${ALB}/actions.api-stable"]}`,
    'example.com/owner': 'storefront',
  }
  const userRules: IngressRule[] = [
    { host: 'shop.example.com', http: { paths: [path('/api', 'api-stable', annotated), path('/docs', 'docs', { number: 80 }), path('/', 'web-stable', annotated)] } },
    { host: 'static.example.com', http: { paths: [path('/', 'cdn', { number: 80 })] } },
  ]
  const userIngress = (): Ingress => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', annotations: { ...userAnnotations } },
    spec: { ingressClassName: 'alb', rules: userRules },
  })

  const rollout = `
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 2
abortScaleDownDelaySeconds: 2
trafficRouting:
  managedRoutes:
  - name: beta
  alb:
    ingress: web
    servicePort: 80
    stickinessConfig: {enabled: true, durationSeconds: 300}
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

  /** What Sluice adds to the user's annotations at `weight`, with the header route `beta` when asked. */
  function expectedAnnotations(user: Record<string, string>, weight: number, beta = false): Record<string, unknown> {
    const expected = annotationsOf({ metadata: { annotations: user } } as Ingress)
    expected[ACTION] = forward(weight, 300)
    const ours = [ACTION]
    if (beta) {
      expected[`${ALB}/actions.beta`] = {
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ ServiceName: 'web-canary', ServicePort: '80', Weight: 100 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 } },
      }
      expected[`${ALB}/conditions.beta`] = [{ field: 'http-header', httpHeaderConfig: { httpHeaderName: 'X-Beta', values: ['yes'] } }]
      ours.push(`${ALB}/actions.beta`, `${ALB}/conditions.beta`)
    }
    expected[MANAGED] = { api: [`${ALB}/actions.api-stable`], web: ours.sort() }
    return expected
  }

  /** The user's rules with the path of header route `beta` first in the rule that leads to web-stable. */
  const withBeta = (rules: IngressRule[]): IngressRule[] =>
    rules.map((rule) => (rule.host === 'shop.example.com' ? { ...rule, http: { paths: [path('/', 'beta', annotated), ...(rule.http?.paths ?? [])] } } : rule))

  async function expectIngress(e: Env, user: Record<string, string>, rules: IngressRule[], weight: number, beta = false): Promise<void> {
    const ingress = await getIngress(e, 'web')
    expect(annotationsOf(ingress)).toEqual(expectedAnnotations(user, weight, beta))
    expect(ingress.spec).toEqual({ ingressClassName: 'alb', rules: beta ? withBeta(rules) : rules })
  }

  it('writes the weight of every step, header routes and the bookkeeping into the user’s Ingress, and nothing else', async () => {
    const e = env as Env
    const ingresses = await record<Ingress>(e, 'networking.k8s.io/v1', 'Ingress')
    try {
      await startController(e)
      await apply(e, services)
      await e.api.create({ ...userIngress(), metadata: { ...userIngress().metadata, namespace: e.namespace } })
      await apply(e, rollout)
      const ref = { namespace: e.namespace, name: 'web' }

      const first = await rolloutWhere(e, 'web', 'healthy', (r) => r.status?.phase === 'Healthy')
      const v1 = first.status?.stableRS ?? ''
      await eventually('the action annotation at 0', async () => weightOf(await getIngress(e, 'web')) === 0)
      await expectIngress(e, userAnnotations, userRules, 0)
      expect((await getIngress(e, 'web')).metadata.ownerReferences).toBeUndefined()

      // Step 0: 20 %.
      await updateImage(e, 'web', 'web:2')
      let r = await rolloutWhere(e, 'web', 'paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20 }, stable: { weight: 80, podTemplateHash: v1 } })
      // Without --aws-verify-target-group nothing is verified, so nothing waits for it.
      expect(r.status?.canary?.weights?.verified).toBeUndefined()
      await expectIngress(e, userAnnotations, userRules, 20)
      expect(await pods(e, 'web')).toEqual({ canary: '1/1', stable: '4/4', others: '' })

      // Steps 2-4: the header route (its action, its conditions, its path first), then 50 %.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'paused at step 4', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 4)
      expect(r.status?.canary?.weights?.canary.weight).toBe(50)
      await expectIngress(e, userAnnotations, userRules, 50, true)

      // The user edits their Ingress meanwhile: an annotation and a rule of another application.
      const current = await getIngress(e, 'web')
      const userNow = { ...userAnnotations, [`${ALB}/healthcheck-path`]: '/healthz' }
      const rulesNow = [...userRules, { host: 'admin.example.com', http: { paths: [path('/', 'admin', { number: 80 })] } }]
      await e.api.mergePatch(ingressRef(e, 'web'), {
        metadata: { resourceVersion: current.metadata.resourceVersion, annotations: { [`${ALB}/healthcheck-path`]: '/healthz' } },
        spec: { rules: [...(current.spec?.rules ?? []), rulesNow[2]] },
      })
      await expectIngress(e, userNow, rulesNow, 50, true)

      // Steps 5-6: the header route removed (annotations and path), the user's edit kept.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'paused at step 6', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 6)
      await expectIngress(e, userNow, rulesNow, 50)

      // Promotion: 100 % to the canary, the stable Service switches, then back to 0.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'promoted, weight back to 0', (x) => x.status?.phase === 'Healthy' && x.status.stableRS !== v1 && x.status.canary?.weights?.canary.weight === 0, 60_000)
      const v2 = r.status?.stableRS ?? ''
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v2 }, stable: { weight: 100, podTemplateHash: v2 } })
      await eventually('the action back at 0', async () => weightOf(await getIngress(e, 'web')) === 0)
      await expectIngress(e, userNow, rulesNow, 0)

      // A third revision aborted while the header route is on at 50 %: weight 0, route gone.
      await updateImage(e, 'web', 'web:3')
      await rolloutWhere(e, 'web', 'v3 paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
      await promote(e.api, ref)
      await rolloutWhere(e, 'web', 'v3 paused at step 4', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 4)
      await expectIngress(e, userNow, rulesNow, 50, true)
      await abort(e.api, ref)
      r = await rolloutWhere(e, 'web', 'aborted', (x) => x.status?.phase === 'Degraded' && x.status.canary?.weights?.canary.weight === 0)
      expect(r.status?.stableRS).toBe(v2)
      await eventually('the action at 0 without the header route', async () => {
        const ingress = await getIngress(e, 'web')
        return weightOf(ingress) === 0 && ingress.metadata.annotations?.[`${ALB}/actions.beta`] === undefined
      })
      await expectIngress(e, userNow, rulesNow, 0)

      // The whole history of the Ingress, from the watch.
      const history = ingresses.seen.filter((i) => i.metadata.name === 'web')
      expect(transitions(history.map(weightOf))).toEqual(['-', 0, 20, 50, 100, 0, 20, 50, 0])
      const routeOf = (i: Ingress) => `${i.metadata.annotations?.[`${ALB}/actions.beta`] ? 'action' : '-'} ${i.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name}`
      expect(transitions(history.map(routeOf))).toEqual(['- api-stable', 'action beta', '- api-stable', 'action beta', '- api-stable'])
      for (const version of history) {
        // The user's annotations and the other Rollout's action were in every version, unchanged.
        const annotations = version.metadata.annotations ?? {}
        for (const [key, value] of Object.entries(userAnnotations).filter(([k]) => k !== MANAGED)) expect(annotations[key]).toBe(value)
        expect(JSON.parse(annotations[MANAGED] ?? '{}')).toMatchObject({ api: [`${ALB}/actions.api-stable`] })
        // A header-route path is never there without its action and conditions (and the reverse).
        const hasPath = version.spec?.rules?.[0]?.http?.paths.some((p) => p.backend.service?.name === 'beta') === true
        expect([hasPath, `${ALB}/actions.beta` in annotations, `${ALB}/conditions.beta` in annotations]).toEqual([hasPath, hasPath, hasPath])
      }

      // Events: a weight change in Argo Rollouts' words; header-route changes have their own, naming the
      // Ingress; the later ones only while the Rollout's burst of 25 Normal Events lasts.
      const object = `[alb] Ingress ${e.namespace}/web`
      await eventNotesInclude(
        e,
        'web',
        'TrafficWeightUpdated',
        ['to 0', 'from 0 to 20', 'from 20 to 50', 'from 50 to 100', 'from 100 to 0', 'from 50 to 0'].map((change) => `Traffic weight updated ${change}`),
      )
      await eventNotesInclude(e, 'web', 'TrafficRoutingUpdated', ['header routes [] → [beta]', 'header routes [beta] → []'].map((change) => `${object} has been updated: ${change}`), 0)
    } finally {
      ingresses.stop()
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// Weight verification against moto

type Moto = { ok: true; endpoint: string; pid: number } | { ok: false; reason: string }

/** Starts moto's server on a free loopback port through the alb package's script (which installs moto into a cache venv once). */
function startMoto(): Promise<Moto> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(repoRoot, 'packages/alb/test/moto.sh'), 'start', String(process.pid)], { timeout: 900_000 }, (error, stdout, stderr) => {
      if (error) {
        // Exit status 3: python3 or pip cannot install moto on this machine.
        if (error.code === 3) resolve({ ok: false, reason: stderr.trim() || 'moto could not be installed' })
        else reject(new Error(`packages/alb/test/moto.sh start failed: ${stderr.trim() || error.message}`, { cause: error }))
        return
      }
      const [port, pid] = stdout.trim().split(/\s+/).map(Number)
      resolve({ ok: true, endpoint: `http://127.0.0.1:${port}`, pid: pid ?? 0 })
    })
  })
}

/** moto's default subnets, through the EC2 Query API (the ELBv2 client does not cover EC2). */
async function defaultSubnets(endpoint: string): Promise<string[]> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto picks the service from the credential scope of the signature and checks nothing else.
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=DescribeSubnets&Version=2016-11-15',
  })
  return [...(await response.text()).matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1] ?? '')
}

interface LoadBalancer {
  dnsName: string
  name: string
  ruleArn: string
  canaryArn: string
  stableArn: string
}

/**
 * What the AWS Load Balancer Controller makes for Ingress `<namespace>/web`: a load balancer, the
 * canary and stable target groups tagged with their Service, a listener, and one rule for the path to
 * web-stable that splits `canaryWeight` % to the canary.
 */
async function createLoadBalancer(client: ElasticLoadBalancingV2Client, endpoint: string, namespace: string, canaryWeight: number): Promise<LoadBalancer> {
  const subnets = await defaultSubnets(endpoint)
  const name = `k8s-${namespace.slice(-12)}-web`.replace(/[^a-zA-Z0-9-]/g, '-')
  const lb = (await client.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnets.slice(0, 2), Type: 'application' }))).LoadBalancers?.[0]
  const targetGroup = async (tgName: string, service: string) => {
    const tg = (await client.send(new CreateTargetGroupCommand({ Name: tgName, Protocol: 'HTTP', Port: 8080, VpcId: lb?.VpcId, TargetType: 'ip' }))).TargetGroups?.[0]
    const arn = tg?.TargetGroupArn ?? ''
    await client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'ingress.k8s.aws/resource', Value: `${namespace}/web-${service}:80` }] }))
    return arn
  }
  const canaryArn = await targetGroup('k8s-web-canary', 'web-canary')
  const stableArn = await targetGroup('k8s-web-stable', 'web-stable')
  const listener = await client.send(
    new CreateListenerCommand({ LoadBalancerArn: lb?.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }),
  )
  const rule = await client.send(
    new CreateRuleCommand({
      ListenerArn: listener.Listeners?.[0]?.ListenerArn,
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: split(canaryArn, stableArn, canaryWeight) }],
    }),
  )
  return { dnsName: lb?.DNSName ?? '', name, ruleArn: rule.Rules?.[0]?.RuleArn ?? '', canaryArn, stableArn }
}

function split(canaryArn: string, stableArn: string, canaryWeight: number) {
  return {
    TargetGroups: [
      { TargetGroupArn: canaryArn, Weight: canaryWeight },
      { TargetGroupArn: stableArn, Weight: 100 - canaryWeight },
    ],
  }
}

describe('ALB weight verification (moto ELBv2 on loopback)', () => {
  let moto: Moto = { ok: false, reason: 'not started' }
  let client: ElasticLoadBalancingV2Client | undefined
  let env: Env | undefined
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY }

  beforeAll(async () => {
    moto = await startMoto()
    if (!moto.ok) {
      console.warn(`[alb e2e] weight verification skipped: ${moto.reason}`)
      return
    }
    client = new ElasticLoadBalancingV2Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 })
    // The controller (a child process) takes moto's dummy credentials from the environment, through the AWS SDK's default chain.
    process.env.AWS_ACCESS_KEY_ID = 'testing'
    process.env.AWS_SECRET_ACCESS_KEY = 'testing'
  }, 900_000)
  afterAll(() => {
    client?.destroy()
    if (moto.ok) {
      try {
        process.kill(moto.pid)
      } catch {
        // Already gone (moto.sh's watchdog).
      }
    }
    for (const [key, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  })
  beforeEach(async (ctx) => {
    if (!moto.ok) ctx.skip(`moto is not available: ${moto.reason}`)
    env = await setUp(inject('kubeconfigPath'), 'e2e-alb-verify')
  })
  afterEach(async () => {
    await tearDown(env)
  })

  const rollout = `
${rolloutYaml(`
canaryService: web-canary
stableService: web-stable
scaleDownDelaySeconds: 1
trafficRouting:
  alb: {ingress: web, servicePort: 80}
steps:
- setWeight: 20
- pause: {}
`)}`

  /** Reconciles the controller logged for this Rollout at `step` and canary `weight`. */
  const reconcilesAt = (controller: ControllerProcess, step: string, weight: number) =>
    controller.lines().filter((l) => l.msg === 'reconciled' && l.rollout === 'web' && l.step === step && l.weight === weight).length

  it('finishes a step, promotes and scales the old stable down only once the load balancer carries the weight', async () => {
    const e = env as Env
    const elbv2 = client as ElasticLoadBalancingV2Client
    const endpoint = moto.ok ? moto.endpoint : ''
    const lb = await createLoadBalancer(elbv2, endpoint, e.namespace, 0)
    /** The AWS Load Balancer Controller catching up with the annotation. */
    const loadBalancerCarries = (canaryWeight: number) =>
      elbv2.send(new ModifyRuleCommand({ RuleArn: lb.ruleArn, Actions: [{ Type: 'forward', ForwardConfig: split(lb.canaryArn, lb.stableArn, canaryWeight) }] }))

    await apply(e, services)
    await apply(
      e,
      `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, annotations: {${ALB}/scheme: internet-facing}}
spec:
  ingressClassName: alb
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web-stable, port: {name: use-annotation}}}}
`,
    )
    // The AWS Load Balancer Controller writes the load balancer's DNS name into the Ingress status.
    await e.api.mergePatchStatus(ingressRef(e, 'web'), { status: { loadBalancer: { ingress: [{ hostname: lb.dnsName }] } } })
    const rollouts = await record(e, 'argoproj.io/v1alpha1', 'Rollout')
    try {
      // At debug, the controller logs every reconcile (at info only those that change something), and the test counts the checks.
      const controller = await startController(e, { extraArgs: ['--aws-verify-target-group', '--aws-endpoint', endpoint, '--aws-region', 'us-east-1', '--log-level', 'debug'] })
      expect(controller.lines().find((l) => l.msg === 'ALB weight verification on')).toMatchObject({ region: 'us-east-1', endpoint })
      await apply(e, rollout)
      const ref = { namespace: e.namespace, name: 'web' }

      // Initial deploy at 0 %, which the load balancer already carries.
      let r = await rolloutWhere(e, 'web', 'healthy with the weight verified', (x) => x.status?.phase === 'Healthy' && x.status.canary?.weights?.verified === true)
      const v1 = r.status?.stableRS ?? ''

      // Step 0, 20 %: the annotation says 20, the load balancer still sends 0 % to the canary, so the
      // step does not complete, however often the controller looks.
      await updateImage(e, 'web', 'web:2')
      r = await rolloutWhere(e, 'web', 'weight 20 not verified', (x) => x.status?.canary?.weights?.canary.weight === 20 && x.status.canary.weights.verified === false)
      expect(weightOf(await getIngress(e, 'web'))).toBe(20)
      const seenAt20 = reconcilesAt(controller, '0/2', 20)
      await eventually('three more checks of the load balancer at step 0', async () => reconcilesAt(controller, '0/2', 20) >= seenAt20 + 3)
      r = await getRollout(e, 'web')
      expect(r.status?.currentStepIndex).toBe(0)
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20 }, stable: { weight: 80, podTemplateHash: v1 }, verified: false })
      expect(r.status?.phase).toBe('Progressing')

      // The load balancer catches up: the step completes and the Rollout pauses at step 1.
      await loadBalancerCarries(20)
      r = await rolloutWhere(e, 'web', 'paused at step 1', (x) => x.status?.phase === 'Paused' && x.status.currentStepIndex === 1)
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 20 }, verified: true })

      // The end of the steps: 100 % to the canary, not promoted (stable Service, stable pods) until verified.
      await promote(e.api, ref)
      r = await rolloutWhere(e, 'web', 'weight 100 not verified', (x) => x.status?.canary?.weights?.canary.weight === 100 && x.status.canary.weights.verified === false)
      const seenAt100 = reconcilesAt(controller, '2/2', 100)
      await eventually('three more checks of the load balancer at 100 %', async () => reconcilesAt(controller, '2/2', 100) >= seenAt100 + 3)
      r = await getRollout(e, 'web')
      expect(r.status?.stableRS).toBe(v1)
      expect(r.status?.canary?.weights?.verified).toBe(false)
      expect(await serviceSelectorHash(e, 'web-stable')).toBe(v1)
      expect(await pods(e, 'web')).toEqual({ canary: '4/4', stable: '4/4', others: '' })

      await loadBalancerCarries(100)
      // Promoted (stableRS moved) and back to 0 % on the annotation; not Healthy yet: Healthy waits
      // until the load balancer carries the final split too.
      r = await rolloutWhere(e, 'web', 'promoted', (x) => x.status?.stableRS !== v1 && x.status?.canary?.weights?.canary.weight === 0)
      expect(r.status?.phase).toBe('Progressing')
      const v2 = r.status?.stableRS ?? ''
      expect(await serviceSelectorHash(e, 'web-stable')).toBe(v2)

      // Promoted, back to 0 % on the annotation; the load balancer still sends everything to the
      // canary target group, so the old stable keeps its pods and gets no scale-down deadline.
      await eventually('weight 0 after promotion not verified', async () => (await getRollout(e, 'web')).status?.canary?.weights?.verified === false)
      const seenAt0 = reconcilesAt(controller, '2/2', 0)
      await eventually('three more checks of the load balancer at 0 %', async () => reconcilesAt(controller, '2/2', 0) >= seenAt0 + 3)
      const old = (await replicaSets(e, 'web')).find((rs) => rs.hash === v1)
      expect(old).toMatchObject({ replicas: 4, available: 4 })
      expect(old?.deadline).toBeUndefined()

      await loadBalancerCarries(0)
      await eventually('the old stable scaled down after its delay', async () => (await replicaSets(e, 'web')).find((rs) => rs.hash === v1)?.replicas === 0)
      r = await rolloutWhere(e, 'web', 'Healthy once the load balancer carries 0 %', (x) => x.status?.phase === 'Healthy')
      expect(r.status?.canary?.weights).toMatchObject({ canary: { weight: 0, podTemplateHash: v2 }, stable: { weight: 100, podTemplateHash: v2 }, verified: true })

      // The recorded weights went through each state in order: written (not verified), then verified.
      // The new template's hash at weight 0 (before its first pod is ready) is a record of its own,
      // which may or may not be verified before the weight moves to 20: it is left out.
      const revision = (hash: string | undefined) => (hash === v1 ? 'v1' : hash === v2 ? 'v2' : hash)
      const states = transitions(
        rollouts.seen
          .map((x) => (x as typeof r).status?.canary?.weights)
          .filter((w) => w !== undefined)
          .map((w) => `${w.canary.weight} ${revision(w.canary.podTemplateHash)}/${revision(w.stable.podTemplateHash)} ${w.verified ? 'verified' : 'unverified'}`)
          .filter((state) => !state.startsWith('0 v2/v1 ')),
      )
      expect(states).toEqual([
        '0 v1/v1 unverified',
        '0 v1/v1 verified',
        '20 v2/v1 unverified',
        '20 v2/v1 verified',
        '100 v2/v1 unverified',
        '100 v2/v1 verified',
        '0 v2/v2 unverified',
        '0 v2/v2 verified',
      ])
      await eventNotesInclude(e, 'web', 'WeightVerified', [0, 20, 100].map((w) => `Canary weight ${w} verified in the data plane`))
    } finally {
      rollouts.stop()
    }
  })
})
