/**
 * Weight verification against moto's ELBv2 emulator on loopback (never AWS). Each test builds what
 * the AWS Load Balancer Controller would have made for Ingress default/web: a load balancer, tagged
 * target groups, listeners and a weighted forward rule; then asks the router whether a weight is in effect.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type { AlbTrafficRouting, KubeObject, TrafficRouter } from '@sluice/core'
import { conformanceTarget, desiredTraffic } from '@sluice/core/testing'
import { createMemoryKube } from '@sluice/kube/memory'
import { createAlbRouter } from './index.ts'
import { loadFixture } from './__fixtures__/fixtures.ts'
import { defaultSubnets, resetMoto, startMoto } from './__fixtures__/moto.ts'
import type { MotoServer } from './__fixtures__/moto.ts'
import type { Ingress } from './ingress.ts'

let moto: MotoServer = { ok: false, reason: 'not started' }
let client: ElasticLoadBalancingV2Client

beforeAll(async () => {
  moto = await startMoto()
  if (!moto.ok) {
    console.warn(`[alb] weight-verification tests skipped: ${moto.reason}`)
    return
  }
  client = new ElasticLoadBalancingV2Client({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  })
})

afterAll(() => {
  if (moto.ok) moto.stop()
  client?.destroy()
})

interface World {
  dnsName: string
  loadBalancerArn: string
  ruleArn: string
  canaryArn: string
  stableArn: string
  listenerArn: string
  extraTargetGroups: string[]
}

/** What the AWS Load Balancer Controller builds for Ingress default/web at `canaryWeight`. */
async function buildLoadBalancer(canaryWeight: number): Promise<World> {
  if (!moto.ok) throw new Error('moto is not running')
  await resetMoto(moto.endpoint)
  const subnets = await defaultSubnets(moto.endpoint)
  const lb = (await client.send(new CreateLoadBalancerCommand({ Name: 'k8s-default-web-0a1b2c', Subnets: subnets.slice(0, 2), Type: 'application' }))).LoadBalancers?.[0]
  const vpc = lb?.VpcId
  const targetGroup = async (name: string, resource: string) => {
    const tg = (await client.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: vpc, TargetType: 'ip' }))).TargetGroups?.[0]
    const arn = tg?.TargetGroupArn ?? ''
    await client.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: 'ingress.k8s.aws/resource', Value: resource }, { Key: 'elbv2.k8s.aws/cluster', Value: 'dev' }] }))
    return arn
  }
  // More target groups than one DescribeTags call takes (20), the canary and stable ones last.
  const extraTargetGroups: string[] = []
  for (let i = 0; i < 22; i++) extraTargetGroups.push(await targetGroup(`k8s-default-other${i}`, `default/other-svc${i}:80`))
  const canaryArn = await targetGroup('k8s-default-webcanary', 'default/web-web-canary:80')
  const stableArn = await targetGroup('k8s-default-webstable', 'default/web-web-stable:80')
  const listenerArn =
    (
      await client.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb?.LoadBalancerArn,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
        }),
      )
    ).Listeners?.[0]?.ListenerArn ?? ''
  // Header route first, as the Ingress path order puts it; then the split; then other applications.
  await client.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: 1,
      Conditions: [
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-canary', Values: ['yes'] } },
      ],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: canaryArn, Weight: 100 }] } }],
    }),
  )
  const ruleArn =
    (
      await client.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 2,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
          Actions: [{ Type: 'forward', ForwardConfig: split(canaryArn, stableArn, canaryWeight) }],
        }),
      )
    ).Rules?.[0]?.RuleArn ?? ''
  for (const [i, arn] of extraTargetGroups.entries()) {
    await client.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10 + i,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [`/other${i}/*`] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: arn }],
      }),
    )
  }
  return { dnsName: lb?.DNSName ?? '', loadBalancerArn: lb?.LoadBalancerArn ?? '', ruleArn, canaryArn, stableArn, listenerArn, extraTargetGroups }
}

function split(canaryArn: string, stableArn: string, canaryWeight: number) {
  return {
    TargetGroups: [
      { TargetGroupArn: canaryArn, Weight: canaryWeight },
      { TargetGroupArn: stableArn, Weight: 100 - canaryWeight },
    ],
  }
}

/** The router with verification, over the fixture Ingress whose status names `hostname` (none when undefined). */
function routerFor(hostname: string | undefined, config: AlbTrafficRouting = { ingress: 'web', servicePort: 80 }): TrafficRouter {
  const objects = loadFixture('ingress.basic.yaml').map((o): KubeObject => {
    if (o.kind !== 'Ingress') return o
    const ingress = o as Ingress
    return { ...ingress, status: hostname === undefined ? {} : { loadBalancer: { ingress: [{ hostname }] } } }
  })
  return createAlbRouter({ target: conformanceTarget, config, verifyWeights: { client } }, { kube: createMemoryKube(objects) })
}

describe('ALB weight verification against moto', () => {
  let world: World

  beforeEach(async (ctx) => {
    if (!moto.ok) ctx.skip(`moto is not available: ${moto.ok ? '' : moto.reason}`)
    world = await buildLoadBalancer(20)
  })

  it('verifies the weights the listener rule carries', async () => {
    expect(await routerFor(world.dnsName).verify?.(desiredTraffic(20))).toEqual({ verified: true })
  })

  it('does not verify other weights, and says what the load balancer does instead', async () => {
    expect(await routerFor(world.dnsName).verify?.(desiredTraffic(50))).toEqual({
      verified: false,
      reason: `listener rule ${world.ruleArn} of load balancer k8s-default-web-0a1b2c sends 20% to the canary target group and 80% to the stable one, not 50% and 50%; the AWS Load Balancer Controller has not applied the actions annotation of Ingress default/web yet; check its logs if this persists`,
    })
  })

  it('verifies once the load balancer catches up', async () => {
    const router = routerFor(world.dnsName)
    expect((await router.verify?.(desiredTraffic(100)))?.verified).toBe(false)
    await client.send(new ModifyRuleCommand({ RuleArn: world.ruleArn, Actions: [{ Type: 'forward', ForwardConfig: split(world.canaryArn, world.stableArn, 100) }] }))
    expect(await router.verify?.(desiredTraffic(100))).toEqual({ verified: true })
  })

  it('needs every listener to carry the weights', async () => {
    const second = await client.send(
      new CreateListenerCommand({
        LoadBalancerArn: world.loadBalancerArn,
        Protocol: 'HTTP',
        Port: 8080,
        DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
      }),
    )
    const lagging = await client.send(
      new CreateRuleCommand({
        ListenerArn: second.Listeners?.[0]?.ListenerArn,
        Priority: 1,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
        Actions: [{ Type: 'forward', ForwardConfig: split(world.canaryArn, world.stableArn, 0) }],
      }),
    )
    const result = await routerFor(world.dnsName).verify?.(desiredTraffic(20))
    expect(result).toEqual({ verified: false, reason: expect.stringContaining(`listener rule ${lagging.Rules?.[0]?.RuleArn} `) })
    expect(result).toEqual({ verified: false, reason: expect.stringContaining('sends 0% to the canary target group and 100% to the stable one, not 20% and 80%') })
  })

  it('waits for the Ingress to get its load balancer', async () => {
    expect(await routerFor(undefined).verify?.(desiredTraffic(20))).toEqual({
      verified: false,
      reason: 'Ingress default/web has no load balancer hostname in status.loadBalancer.ingress yet (the AWS Load Balancer Controller writes it once the load balancer exists)',
    })
  })

  it('names a hostname no load balancer has', async () => {
    expect(await routerFor('k8s-default-gone-1.us-east-1.elb.amazonaws.com').verify?.(desiredTraffic(20))).toEqual({
      verified: false,
      reason:
        'no load balancer has the DNS name k8s-default-gone-1.us-east-1.elb.amazonaws.com of Ingress default/web (is the ELBv2 client using the account and region of the cluster?)',
    })
  })

  it('names the tag it looked for when a target group is missing', async () => {
    const result = await routerFor(world.dnsName, { ingress: 'web', servicePort: 8080 }).verify?.(desiredTraffic(20))
    expect(result).toEqual({
      verified: false,
      reason: expect.stringMatching(/^load balancer k8s-default-web-0a1b2c has no canary target group tagged ingress\.k8s\.aws\/resource=default\/web-web-canary:8080; /),
    })
  })
})
