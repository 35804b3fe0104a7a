/**
 * The checker on recorded timelines: a fault-free update passes; for every invariant a timeline
 * broken in exactly that way fails with that invariant (and only that one).
 */
import { describe, expect, it } from 'vitest'
import { checkFinalStates, checkTimeline, finalStateOf } from './checker.ts'
import type { Entry, Mark, ObjectEntry, RolloutView } from './timeline.ts'

const R = 4

/** Builds a timeline of one SMI rollout `web` (4 replicas), one write every 10 ms. */
class Script {
  readonly entries: Entry[] = []
  rv = 100
  at = 1_000_000
  readonly pods = new Map<string, string[]>()
  readonly rsReplicas = new Map<string, number>()
  rollout: RolloutView = {
    generation: 1,
    replicas: R,
    canaryService: 'web-canary',
    stableService: 'web-stable',
    dynamicStableScale: false,
    maxWeight: 100,
    steps: 4,
    trafficRouting: { router: 'smi', trafficSplitName: 'web' },
    status: { phase: 'Healthy', currentStepIndex: 4, currentPodHash: 'v1', stableRS: 'v1', abort: false },
  }

  write(entry: Omit<ObjectEntry, 'at' | 'rv'>): number {
    this.rv += 1
    this.at += 10
    this.entries.push({ ...entry, at: this.at, rv: this.rv } as ObjectEntry)
    return this.rv
  }

  mark(mark: Mark): void {
    this.at += 10
    this.entries.push({ at: this.at, rv: this.rv, mark })
  }

  wait(ms: number): void {
    this.at += ms
  }

  status(patch: Partial<RolloutView['status']>, spec: Partial<Omit<RolloutView, 'status'>> = {}): void {
    this.rollout = { ...this.rollout, ...spec, status: { ...this.rollout.status, ...patch } }
    this.write({ type: 'MODIFIED', kind: 'Rollout', name: 'web', view: this.rollout })
  }

  /** The ReplicaSet of `hash` at `replicas`, its pods created and Ready at once (as KWOK does). */
  scale(hash: string, replicas: number, options: { podsFirst?: boolean } = {}): number {
    const existing = this.rsReplicas.get(hash)
    const names = this.pods.get(hash) ?? []
    const view = (ready: number) => ({ hash, owner: 'web', replicas, readyReplicas: ready, availableReplicas: ready })
    const rv = options.podsFirst ? 0 : this.write({ type: existing === undefined ? 'ADDED' : 'MODIFIED', kind: 'ReplicaSet', name: `web-${hash}`, view: view(names.length) })
    while (names.length < replicas) {
      const name = `web-${hash}-${names.length}`
      names.push(name)
      this.write({ type: 'ADDED', kind: 'Pod', name, view: { labels: { app: 'web', 'rollouts-pod-template-hash': hash }, ready: true, deleting: false } })
    }
    while (names.length > replicas) {
      const name = names.pop() as string
      this.write({ type: 'DELETED', kind: 'Pod', name, view: { labels: { app: 'web', 'rollouts-pod-template-hash': hash }, ready: true, deleting: true } })
    }
    this.pods.set(hash, names)
    this.rsReplicas.set(hash, replicas)
    this.write({ type: 'MODIFIED', kind: 'ReplicaSet', name: `web-${hash}`, view: view(replicas) })
    return rv
  }

  service(name: string, hash: string): number {
    return this.write({ type: 'MODIFIED', kind: 'Service', name, view: { selector: { app: 'web', 'rollouts-pod-template-hash': hash } } })
  }

  weight(canary: number): number {
    return this.write({ type: 'MODIFIED', kind: 'TrafficSplit', name: 'web', view: { backends: [{ service: 'web-canary', weight: canary }, { service: 'web-stable', weight: 100 - canary }] } })
  }

  /** The update v1 → v2 begun: the canary's first `pods` pods up and the canary Service on them. */
  begin(pods: number): this {
    this.status({ phase: 'Progressing', currentStepIndex: 0, currentPodHash: 'v2' })
    this.scale('v2', pods)
    this.service('web-canary', 'v2')
    return this
  }

  /** A Healthy rollout at v1, armed. */
  healthy(): this {
    this.write({ type: 'ADDED', kind: 'Rollout', name: 'web', view: this.rollout })
    this.scale('v1', R)
    this.service('web-stable', 'v1')
    this.service('web-canary', 'v1')
    this.weight(0)
    this.mark({ type: 'arm', rollout: 'web' })
    return this
  }

  /** A correct update v1 → v2 with steps setWeight 25, pause, setWeight 50, pause. */
  update(): this {
    this.status({ phase: 'Progressing', currentStepIndex: 0, currentPodHash: 'v2' })
    this.scale('v2', 1)
    this.service('web-canary', 'v2')
    this.weight(25)
    this.status({ currentStepIndex: 1, phase: 'Paused', pauseStartTime: 't1', canaryWeight: 25 })
    this.status({ currentStepIndex: 2, phase: 'Progressing', pauseStartTime: undefined })
    this.scale('v2', 2)
    this.weight(50)
    this.status({ currentStepIndex: 3, phase: 'Paused', pauseStartTime: 't2', canaryWeight: 50 })
    this.status({ currentStepIndex: 4, phase: 'Progressing', pauseStartTime: undefined })
    this.scale('v2', 4)
    this.weight(100)
    this.status({ stableRS: 'v2', canaryWeight: 100 })
    this.service('web-stable', 'v2')
    this.weight(0)
    this.status({ phase: 'Healthy', canaryWeight: 0 })
    this.scale('v1', 0)
    return this
  }
}

const check = (s: Script, reactionBoundMs = 1000) => checkTimeline(s.entries, { reactionBoundMs })
const invariants = (s: Script, reactionBoundMs?: number) => check(s, reactionBoundMs).map((v) => v.invariant)

describe('checkTimeline', () => {
  it('passes a correct update', () => {
    expect(check(new Script().healthy().update())).toEqual([])
  })

  it('passes a correct abort: weight back to 0, then the canary scaled down', () => {
    const s = new Script().healthy().begin(1)
    s.weight(25)
    s.status({ currentStepIndex: 1, phase: 'Paused', pauseStartTime: 't1', canaryWeight: 25 })
    s.status({ abort: true, currentStepIndex: 0, phase: 'Degraded', pauseStartTime: undefined })
    s.weight(0)
    s.service('web-canary', 'v1')
    s.scale('v2', 0)
    expect(check(s)).toEqual([])
  })

  it('canary-weight-without-pods: the controller writes weight before any canary pod exists', () => {
    const s = new Script().healthy()
    s.status({ phase: 'Progressing', currentStepIndex: 0, currentPodHash: 'v2' })
    s.service('web-canary', 'v2')
    s.weight(25)
    s.scale('v2', 1)
    expect(invariants(s)).toEqual(['canary-weight-without-pods'])
  })

  it('canary-weight-without-pods: an out-of-band weight is tolerated within the reaction bound, not beyond it', () => {
    const make = (repairAfterMs: number) => {
      const s = new Script().healthy()
      const rv = s.weight(30) // someone sets 30 % while the canary Service selects the stable... then moves the selector
      s.mark({ type: 'edit', kind: 'TrafficSplit', name: 'web', rv, what: 'canary weight 30' })
      const svc = s.service('web-canary', 'nope')
      s.mark({ type: 'edit', kind: 'Service', name: 'web-canary', rv: svc, what: 'selector to a hash without pods' })
      s.wait(repairAfterMs)
      s.service('web-canary', 'v1')
      s.weight(0)
      return s
    }
    expect(invariants(make(500))).toEqual([])
    expect(invariants(make(5000))).toEqual(['canary-weight-without-pods'])
  })

  it('the reaction bound does not run while the controller is impaired', () => {
    const s = new Script().healthy()
    const svc = s.service('web-canary', 'nope')
    s.mark({ type: 'edit', kind: 'Service', name: 'web-canary', rv: svc, what: 'selector to a hash without pods' })
    const rv = s.weight(30)
    s.mark({ type: 'edit', kind: 'TrafficSplit', name: 'web', rv, what: 'canary weight 30' })
    s.mark({ type: 'impaired', on: true, why: 'controller killed' })
    s.wait(10_000)
    s.mark({ type: 'impaired', on: false, why: 'controller killed' })
    s.wait(300)
    s.weight(0)
    expect(invariants(s)).toEqual([])
  })

  it('stable-under-capacity: the stable scaled down before the traffic moved (dynamicStableScale)', () => {
    const s = new Script()
    s.rollout.dynamicStableScale = true
    s.healthy().begin(2)
    s.scale('v1', 2) // the stable halved while it still has all the traffic
    s.weight(50)
    expect(invariants(s)).toEqual(['stable-under-capacity'])
  })

  it('stable-under-capacity: the same moves in the right order pass', () => {
    const s = new Script()
    s.rollout.dynamicStableScale = true
    s.healthy().begin(2)
    s.weight(50)
    s.scale('v1', 2)
    expect(check(s)).toEqual([])
  })

  it('abort-scaled-before-traffic: the canary scaled down while it still has weight', () => {
    const s = new Script().healthy().begin(2)
    s.weight(50)
    s.status({ abort: true, currentStepIndex: 0, phase: 'Degraded' })
    s.scale('v2', 1) // keeps one pod, so the capacity invariants hold: only the ordering is wrong
    s.weight(0)
    s.service('web-canary', 'v1')
    s.scale('v2', 0)
    expect(invariants(s)).toEqual(['abort-scaled-before-traffic'])
  })

  it('abort-scaled-before-traffic with dynamicStableScale: the canary may shrink with its weight, not ahead of it', () => {
    const make = (canaryPodsAt25: number) => {
      const s = new Script()
      s.rollout.dynamicStableScale = true
      s.healthy().begin(2)
      s.weight(50)
      s.scale('v1', 2)
      s.status({ abort: true, currentStepIndex: 0, phase: 'Degraded' })
      s.scale('v1', 4)
      s.weight(25)
      s.scale('v2', canaryPodsAt25) // 25 % of 4 pods needs 1 canary pod
      s.weight(0)
      s.service('web-canary', 'v1')
      s.scale('v2', 0)
      return s
    }
    expect(invariants(make(1))).toEqual([])
    expect(invariants(make(0))).toEqual(['abort-scaled-before-traffic', 'canary-weight-without-pods'])
  })

  it('stable-under-capacity: traffic back on a stable whose scale-down is written but whose pods are not gone yet', () => {
    const s = new Script()
    s.rollout.dynamicStableScale = true
    s.healthy().begin(2)
    s.weight(50)
    s.rsReplicas.set('v1', 2)
    s.write({ type: 'MODIFIED', kind: 'ReplicaSet', name: 'web-v1', view: { hash: 'v1', owner: 'web', replicas: 2, readyReplicas: 4, availableReplicas: 4 } })
    s.status({ abort: true, currentStepIndex: 0, phase: 'Degraded' })
    s.weight(0) // 100 % to a stable that is going down to 2 pods
    expect(invariants(s)).toEqual(['stable-under-capacity'])
  })

  it("stable-under-capacity: a lost stable pod is the controller's to repair only up to the replica count, not the pod's start-up", () => {
    // Out of band: the stable scaled 4 → 3 and one pod gone, with all the traffic on the stable.
    const lose = (restore: boolean) => {
      const s = new Script().healthy()
      const rv = s.write({ type: 'MODIFIED', kind: 'ReplicaSet', name: 'web-v1', view: { hash: 'v1', owner: 'web', replicas: 3, readyReplicas: 4, availableReplicas: 4 } })
      s.mark({ type: 'edit', kind: 'ReplicaSet', name: 'web-v1', rv, what: 'replicas 4 → 3' })
      s.write({ type: 'DELETED', kind: 'Pod', name: 'web-v1-3', view: { labels: { app: 'web', 'rollouts-pod-template-hash': 'v1' }, ready: true, deleting: true } })
      // The controller asks for 4 again at once (or never); the new pod is Ready only 5 s later.
      if (restore) s.write({ type: 'MODIFIED', kind: 'ReplicaSet', name: 'web-v1', view: { hash: 'v1', owner: 'web', replicas: 4, readyReplicas: 3, availableReplicas: 3 } })
      s.wait(5000)
      s.write({ type: 'ADDED', kind: 'Pod', name: 'web-v1-4', view: { labels: { app: 'web', 'rollouts-pod-template-hash': 'v1' }, ready: true, deleting: false } })
      return s
    }
    expect(invariants(lose(true))).toEqual([])
    expect(invariants(lose(false))).toEqual(['stable-under-capacity'])
  })

  it('step-skipped: the index jumps over a step', () => {
    const s = new Script().healthy().begin(1)
    s.weight(25)
    s.status({ currentStepIndex: 2 })
    expect(invariants(s)).toEqual(['step-skipped'])
  })

  it('step-repeated: the index goes back without an abort, or a pause starts over', () => {
    const back = new Script().healthy()
    back.status({ phase: 'Progressing', currentStepIndex: 0, currentPodHash: 'v2' })
    back.status({ currentStepIndex: 1 })
    back.status({ currentStepIndex: 0 })
    expect(invariants(back)).toEqual(['step-repeated'])

    const pause = new Script().healthy()
    pause.status({ phase: 'Progressing', currentStepIndex: 0, currentPodHash: 'v2' })
    pause.status({ currentStepIndex: 1, phase: 'Paused', pauseStartTime: 't1' })
    pause.status({ pauseStartTime: undefined })
    pause.status({ pauseStartTime: 't9' }) // the pause timer restarted (say, after a controller restart)
    expect(invariants(pause)).toEqual(['step-repeated'])
  })

  it('ignores an index jump across a gap in the Rollout watch', () => {
    const s = new Script().healthy()
    s.status({ phase: 'Progressing', currentStepIndex: 0, currentPodHash: 'v2' })
    s.mark({ type: 'gap', kind: 'Rollout' })
    s.status({ currentStepIndex: 2 })
    expect(invariants(s)).toEqual([])
  })

  it('judges a rollout only once armed', () => {
    const s = new Script()
    s.write({ type: 'ADDED', kind: 'Rollout', name: 'web', view: s.rollout })
    s.service('web-stable', 'v1')
    s.weight(0) // 100 % to a stable with no pods yet: the initial deploy, before arming
    s.scale('v1', R)
    s.mark({ type: 'arm', rollout: 'web' })
    expect(check(s)).toEqual([])
  })
})

describe('checkFinalStates', () => {
  it('final-state-differs: the faulted run ends on another stable or weight than the fault-free run', () => {
    const reference = new Script().healthy().update()
    const expected = { web: finalStateOf(reference.entries, 'web')! }
    expect(checkFinalStates(expected, new Script().healthy().update().entries, 0)).toEqual([])

    const stuck = new Script().healthy().update()
    stuck.weight(10)
    const [violation, ...rest] = checkFinalStates(expected, stuck.entries, 0)
    expect(rest).toEqual([])
    expect(violation?.invariant).toBe('final-state-differs')
    expect(violation?.message).toContain('canaryWeight: 0 → 10')
  })
})
