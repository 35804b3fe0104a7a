/**
 * Weight verification: asks the ELBv2 API whether the load balancer of each Ingress forwards the
 * desired shares to the canary and stable target groups. The AWS Load Balancer Controller turns the
 * `actions.<service>` annotation into listener rules asynchronously (and may be throttled by AWS), so
 * "the annotation says 20 %" does not mean "the load balancer does".
 *
 * The path from an Ingress to its weights:
 *   Ingress status.loadBalancer.ingress[].hostname
 *   → DescribeLoadBalancers (matched by DNSName)
 *   → DescribeTargetGroups + DescribeTags (20 ARNs per call): the canary and stable target groups carry
 *     the tag `ingress.k8s.aws/resource` = `<namespace>/<ingress>-<service>:<port>`
 *   → DescribeListeners + DescribeRules: the forward actions and their target-group weights.
 */
import type { ElasticLoadBalancingV2Client, LoadBalancer, Rule, TagDescription, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2'

/**
 * The SDK's command classes, loaded on the first verification only: the SDK costs tens of MB of
 * memory, and most clusters never turn verification on.
 */
const commands = () => import('@aws-sdk/client-elastic-load-balancing-v2')
import type { WeightVerification } from '@sluice/core'

/** The tag by which the AWS Load Balancer Controller names the Kubernetes resource of a target group. */
export const RESOURCE_TAG_KEY = 'ingress.k8s.aws/resource'
/** DescribeTags takes at most 20 ARNs per call. */
const TAG_BATCH = 20

/** Shares of the traffic per target group ARN, in percent, for every forward action of a rule. */
export function forwardShares(rule: Rule): Map<string, number>[] {
  return (rule.Actions ?? [])
    .filter((action) => action.Type === 'forward')
    .map((action) => {
      const groups = action.ForwardConfig?.TargetGroups ?? (action.TargetGroupArn ? [{ TargetGroupArn: action.TargetGroupArn, Weight: 1 }] : [])
      // A forward action with one target group sends it everything whatever its weight.
      const weights = groups.map((g) => (groups.length === 1 ? 1 : (g.Weight ?? 1)))
      const total = weights.reduce((a, b) => a + b, 0)
      return new Map(groups.map((g, i) => [g.TargetGroupArn ?? '', total === 0 ? 0 : ((weights[i] ?? 0) * 100) / total]))
    })
}

export interface RuleCheckInput {
  canaryArn: string
  stableArn: string
  /** Desired shares in percent. */
  canaryWeight: number
  stableWeight: number
}

/** A rule of the weighted split whose shares differ from the desired ones. */
export interface RuleMismatch {
  rule: Rule
  canaryShare: number
  stableShare: number
}

/**
 * The rules that carry the canary/stable split, and those whose shares are not the desired ones. A
 * rule carries the split when a forward action reaches the stable target group, or reaches the canary
 * one without an `http-header` condition (rules with one are header routes: everything to the canary).
 */
export function checkRuleWeights(rules: readonly Rule[], input: RuleCheckInput): { split: Rule[]; mismatches: RuleMismatch[] } {
  const split: Rule[] = []
  const mismatches: RuleMismatch[] = []
  for (const rule of rules) {
    const isHeaderRoute = (rule.Conditions ?? []).some((c) => c.Field === 'http-header')
    for (const shares of forwardShares(rule)) {
      const toStable = shares.has(input.stableArn)
      const toCanary = shares.has(input.canaryArn)
      if (!toStable && !(toCanary && !isHeaderRoute)) continue
      split.push(rule)
      const canaryShare = shares.get(input.canaryArn) ?? 0
      const stableShare = shares.get(input.stableArn) ?? 0
      if (!near(canaryShare, input.canaryWeight) || !near(stableShare, input.stableWeight)) mismatches.push({ rule, canaryShare, stableShare })
    }
  }
  return { split, mismatches }
}

const near = (a: number, b: number) => Math.abs(a - b) < 1e-6

export interface IngressWeightCheck {
  /** `Ingress default/web`, for messages. */
  ingress: string
  namespace: string
  name: string
  hostnames: string[]
  canaryService: string
  stableService: string
  servicePort: number
  canaryWeight: number
  stableWeight: number
}

/** Reads what one verification needs from the ELBv2 API; load balancers are listed once per reader. */
export interface LoadBalancerReader {
  loadBalancerByDnsName(dnsName: string): Promise<LoadBalancer | undefined>
  targetGroups(loadBalancerArn: string): Promise<TargetGroup[]>
  tags(arns: string[]): Promise<TagDescription[]>
  rules(loadBalancerArn: string): Promise<Rule[]>
}

/** A reader over the official ELBv2 client; every call pages through all results. */
export function createLoadBalancerReader(client: ElasticLoadBalancingV2Client): LoadBalancerReader {
  let loadBalancers: Promise<LoadBalancer[]> | undefined
  return {
    async loadBalancerByDnsName(dnsName) {
      loadBalancers ??= allPages(async (Marker) => {
        const page = await client.send(new (await commands()).DescribeLoadBalancersCommand({ Marker }))
        return [page.LoadBalancers, page.NextMarker]
      })
      const wanted = dnsName.toLowerCase().replace(/\.$/, '')
      return (await loadBalancers).find((lb) => lb.DNSName?.toLowerCase() === wanted)
    },
    targetGroups(LoadBalancerArn) {
      return allPages(async (Marker) => {
        const page = await client.send(new (await commands()).DescribeTargetGroupsCommand({ LoadBalancerArn, Marker }))
        return [page.TargetGroups, page.NextMarker]
      })
    },
    async tags(arns) {
      const out: TagDescription[] = []
      for (let i = 0; i < arns.length; i += TAG_BATCH) {
        const page = await client.send(new (await commands()).DescribeTagsCommand({ ResourceArns: arns.slice(i, i + TAG_BATCH) }))
        out.push(...(page.TagDescriptions ?? []))
      }
      return out
    },
    async rules(LoadBalancerArn) {
      const listeners = await allPages(async (Marker) => {
        const page = await client.send(new (await commands()).DescribeListenersCommand({ LoadBalancerArn, Marker }))
        return [page.Listeners, page.NextMarker]
      })
      const rules: Rule[] = []
      for (const listener of listeners) {
        rules.push(
          ...(await allPages(async (Marker) => {
            const page = await client.send(new (await commands()).DescribeRulesCommand({ ListenerArn: listener.ListenerArn, Marker }))
            return [page.Rules, page.NextMarker]
          })),
        )
      }
      return rules
    },
  }
}

async function allPages<T>(fetchPage: (marker: string | undefined) => Promise<[T[] | undefined, string | undefined]>): Promise<T[]> {
  const out: T[] = []
  let marker: string | undefined
  do {
    const [items, next] = await fetchPage(marker)
    out.push(...(items ?? []))
    marker = next
  } while (marker)
  return out
}

/** Whether the load balancer(s) of one Ingress forward the desired shares; `reason` says what to look at when not. */
export async function verifyIngressWeights(
  reader: LoadBalancerReader,
  check: IngressWeightCheck,
  resourceTagKey: string = RESOURCE_TAG_KEY,
): Promise<WeightVerification> {
  const lagging = `the AWS Load Balancer Controller has not applied the actions annotation of ${check.ingress} yet; check its logs if this persists`
  if (check.hostnames.length === 0) {
    return {
      verified: false,
      reason: `${check.ingress} has no load balancer hostname in status.loadBalancer.ingress yet (the AWS Load Balancer Controller writes it once the load balancer exists)`,
    }
  }
  for (const hostname of check.hostnames) {
    const lb = await reader.loadBalancerByDnsName(hostname)
    if (!lb?.LoadBalancerArn) {
      return {
        verified: false,
        reason: `no load balancer has the DNS name ${hostname} of ${check.ingress} (is the ELBv2 client using the account and region of the cluster?)`,
      }
    }
    const lbName = lb.LoadBalancerName ?? lb.LoadBalancerArn
    const groups = await reader.targetGroups(lb.LoadBalancerArn)
    const tags = await reader.tags(groups.flatMap((g) => (g.TargetGroupArn ? [g.TargetGroupArn] : [])))
    const tagged = (service: string) => {
      const value = `${check.namespace}/${check.name}-${service}:${check.servicePort}`
      const arn = tags.find((t) => t.Tags?.some((tag) => tag.Key === resourceTagKey && tag.Value === value))?.ResourceArn
      return { value, group: groups.find((g) => g.TargetGroupArn === arn) }
    }
    const canary = tagged(check.canaryService)
    const stable = tagged(check.stableService)
    for (const [role, found] of [['canary', canary], ['stable', stable]] as const) {
      if (!found.group?.TargetGroupArn) {
        return { verified: false, reason: `load balancer ${lbName} has no ${role} target group tagged ${resourceTagKey}=${found.value}; ${lagging}` }
      }
    }
    const canaryArn = canary.group?.TargetGroupArn ?? ''
    const stableArn = stable.group?.TargetGroupArn ?? ''
    const { split, mismatches } = checkRuleWeights(await reader.rules(lb.LoadBalancerArn), {
      canaryArn,
      stableArn,
      canaryWeight: check.canaryWeight,
      stableWeight: check.stableWeight,
    })
    if (split.length === 0) {
      return {
        verified: false,
        reason: `no listener rule of load balancer ${lbName} forwards to target group ${canary.group?.TargetGroupName} (canary) or ${stable.group?.TargetGroupName} (stable); ${lagging}`,
      }
    }
    const first = mismatches[0]
    if (first) {
      return {
        verified: false,
        reason:
          `listener rule ${first.rule.RuleArn} of load balancer ${lbName} sends ${format(first.canaryShare)}% to the canary target group ` +
          `and ${format(first.stableShare)}% to the stable one, not ${check.canaryWeight}% and ${check.stableWeight}%; ${lagging}`,
      }
    }
  }
  return { verified: true }
}

const format = (share: number) => String(Math.round(share * 100) / 100)
