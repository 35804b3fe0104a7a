import { KubeApiError } from '@sluice/core'
import type { KubeObject } from '@sluice/core'
import { describe, expect, it } from 'vitest'
import { Informer } from './index.ts'
import { informerRetryDelay } from './informer-options.ts'
import type { KindRef, ListPage, ListPageOptions, ListWatchSource, WatchEnd, WatchEvent, WatchHandle, WatchOptions } from './index.ts'
import { createManualClock } from './testing/manual-clock.ts'

function cm(name: string, rv: string, data: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'a', name, resourceVersion: rv }, data }
}

interface FakeWatch {
  options: WatchOptions
  emit(event: WatchEvent): void
  close(): void
  fail(error: unknown): void
  aborted: boolean
}

/** A list/watch source the test scripts: lists answer from a queue, watches are driven by hand. */
function scriptedSource() {
  const lists: (ListPage<KubeObject> | Error)[] = []
  const listCalls: ListPageOptions[] = []
  const watches: FakeWatch[] = []
  /** Errors the next watch requests fail with before they open (a server that does not answer). */
  const watchErrors: Error[] = []
  const source: ListWatchSource = {
    async listPage<T extends KubeObject>(_ref: KindRef, options?: ListPageOptions): Promise<ListPage<T>> {
      listCalls.push(options ?? {})
      const next = lists.shift()
      if (!next) throw new Error('no list scripted')
      if (next instanceof Error) throw next
      return next as ListPage<T>
    },
    async watch<T extends KubeObject>(_ref: KindRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): Promise<WatchHandle> {
      const refused = watchErrors.shift()
      if (refused) throw refused
      let settle!: (end: WatchEnd) => void
      let reject!: (error: unknown) => void
      const done = new Promise<WatchEnd>((res, rej) => {
        settle = res
        reject = rej
      })
      const w: FakeWatch = {
        options,
        emit: (event) => onEvent(event as WatchEvent<T>),
        close: () => settle('closed'),
        fail: (error) => reject(error),
        aborted: false,
      }
      watches.push(w)
      return {
        done,
        abort: () => {
          w.aborted = true
          settle('aborted')
        },
      }
    },
  }
  return { source, lists, listCalls, watches, watchErrors }
}

function setup(options: { silenceTimeoutMs?: number } = {}) {
  const clock = createManualClock()
  const s = scriptedSource()
  const informer = new Informer<KubeObject>(s.source, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace: 'a',
    clock,
    random: () => 0.5,
    ...options,
  })
  const seen: string[] = []
  informer.onAdd((o) => seen.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`))
  informer.onUpdate((prev, cur) => seen.push(`update ${cur.metadata.name}@${prev.metadata.resourceVersion}->${cur.metadata.resourceVersion}`))
  informer.onDelete((o) => seen.push(`delete ${o.metadata.name}@${o.metadata.resourceVersion}`))
  return { clock, informer, seen, ...s }
}

describe('Informer', () => {
  it('lists, reports every object as added, syncs, then watches from the list resourceVersion', async () => {
    const { clock, informer, seen, lists, listCalls, watches } = setup()
    lists.push({ items: [cm('x', '5')], resourceVersion: '7', continue: 'page-2' }, { items: [cm('y', '6')], resourceVersion: '7' })
    expect(informer.hasSynced()).toBe(false)
    informer.start()
    await informer.waitForSync()
    await clock.settle()
    expect(informer.hasSynced()).toBe(true)
    expect(seen).toEqual(['add x@5', 'add y@6'])
    expect(listCalls.map((c) => c.continue)).toEqual([undefined, 'page-2'])
    expect(informer.store.keys().sort()).toEqual(['a/x', 'a/y'])
    expect(watches).toHaveLength(1)
    expect(watches[0]!.options).toMatchObject({ resourceVersion: '7', allowWatchBookmarks: true, timeoutSeconds: 450 })
    await informer.stop()
    expect(watches[0]!.aborted).toBe(true)
  })

  it('stores this client\'s own writes at once (observe) and does not deliver their watch events again', async () => {
    const { clock, informer, seen, lists, watches } = setup()
    lists.push({ items: [cm('x', '5')], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    const w = watches[0]!
    informer.observe(cm('x', '9', { mine: 'yes' })) // what the server returned to our write
    expect(informer.store.get('a/x')?.data).toEqual({ mine: 'yes' })
    w.emit({ type: 'MODIFIED', object: cm('x', '9', { mine: 'yes' }) }) // its watch event: nothing new
    w.emit({ type: 'MODIFIED', object: cm('x', '8') }) // an older version delivered late: ignored
    informer.observe(cm('x', '6')) // an older version observed: ignored
    expect(informer.store.get('a/x')?.metadata.resourceVersion).toBe('9')
    w.emit({ type: 'MODIFIED', object: cm('x', '10', { theirs: 'yes' }) }) // someone else's write: delivered
    expect(seen).toEqual(['add x@5', 'update x@9->10'])
    informer.forget(cm('x', '10'))
    w.emit({ type: 'DELETED', object: cm('x', '11') })
    expect(seen).toEqual(['add x@5', 'update x@9->10'])
    expect(informer.store.get('a/x')).toBeUndefined()
    await informer.stop()
  })

  it('stores objects through the transform', async () => {
    const clock = createManualClock()
    const s = scriptedSource()
    const informer = new Informer<KubeObject>(s.source, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'a',
      clock,
      transform: (o) => ({ ...o, metadata: { ...o.metadata, managedFields: undefined } }),
    })
    const withFields = (name: string, rv: string) => ({ ...cm(name, rv), metadata: { ...cm(name, rv).metadata, managedFields: [{ manager: 'm' }] } })
    s.lists.push({ items: [withFields('x', '5')], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    s.watches[0]!.emit({ type: 'ADDED', object: withFields('y', '8') })
    informer.observe(withFields('z', '9'))
    expect(['a/x', 'a/y', 'a/z'].map((k) => informer.store.get(k)?.metadata.managedFields)).toEqual([undefined, undefined, undefined])
    await informer.stop()
  })

  it('applies watch events and bookmarks to the store and the handlers', async () => {
    const { clock, informer, seen, lists, watches } = setup()
    lists.push({ items: [cm('x', '5')], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    const w = watches[0]!
    w.emit({ type: 'ADDED', object: cm('y', '8') })
    w.emit({ type: 'MODIFIED', object: cm('x', '9', { k: 'v' }) })
    w.emit({ type: 'DELETED', object: cm('y', '10') })
    w.emit({ type: 'DELETED', object: cm('never-seen', '11') }) // not in the store: no handler call
    w.emit({ type: 'BOOKMARK', resourceVersion: '12' })
    expect(seen).toEqual(['add x@5', 'add y@8', 'update x@5->9', 'delete y@10'])
    expect(informer.store.get('a/x')?.data).toEqual({ k: 'v' })
    expect(informer.resourceVersion).toBe('12')
    expect(informer.stats).toMatchObject({ lists: 1, watches: 1, events: 4, bookmarks: 1 })
    await informer.stop()
  })

  it('reopens a watch the server closed from the last resourceVersion, without listing again', async () => {
    const { clock, informer, lists, watches } = setup()
    lists.push({ items: [], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    watches[0]!.emit({ type: 'BOOKMARK', resourceVersion: '20' })
    watches[0]!.close()
    await clock.settle()
    expect(watches).toHaveLength(2)
    expect(watches[1]!.options.resourceVersion).toBe('20')
    expect(informer.stats).toMatchObject({ lists: 1, watches: 2, watchRestarts: 1, expired: 0 })
    await informer.stop()
  })

  it('relists on 410 Gone and delivers what changed meanwhile, deletions included', async () => {
    const { clock, informer, seen, lists, watches } = setup()
    lists.push({ items: [cm('keep', '1'), cm('change', '2'), cm('gone', '3')], resourceVersion: '3' })
    informer.start()
    await clock.settle()
    seen.length = 0
    lists.push({ items: [cm('keep', '1'), cm('change', '40'), cm('new', '41')], resourceVersion: '42' })
    watches[0]!.fail(new KubeApiError(410, 'Expired', 'too old resource version: 3 (40)'))
    await clock.settle()
    expect(seen).toEqual(['update change@2->40', 'add new@41', 'delete gone@3'])
    expect(informer.stats).toMatchObject({ lists: 2, expired: 1, errors: 0 })
    expect(watches).toHaveLength(2)
    expect(watches[1]!.options.resourceVersion).toBe('42')
    await informer.stop()
  })

  it('closes a silent watch after the silence timeout and reopens it', async () => {
    const { clock, informer, lists, watches } = setup({ silenceTimeoutMs: 60_000 })
    lists.push({ items: [], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    await clock.advance(59_000)
    watches[0]!.emit({ type: 'BOOKMARK', resourceVersion: '8' }) // activity re-arms the watchdog
    await clock.advance(59_000)
    expect(watches).toHaveLength(1)
    await clock.advance(1_000)
    expect(watches[0]!.aborted).toBe(true)
    expect(watches).toHaveLength(2)
    expect(watches[1]!.options.resourceVersion).toBe('8')
    expect(informer.stats).toMatchObject({ silentWatches: 1, watchRestarts: 1, lists: 1 })
    await informer.stop()
  })

  it('retries failed lists the server answered with growing backoff', async () => {
    const { clock, informer, lists, listCalls } = setup()
    const forbidden = () => new KubeApiError(403, 'Forbidden', 'configmaps is forbidden')
    lists.push(forbidden(), forbidden(), { items: [], resourceVersion: '1' })
    informer.start()
    await clock.settle()
    expect(listCalls).toHaveLength(1)
    // random 0.5 with jitter 0.25: 800 ms · 0.875 = 700 ms, then 1600 · 0.875 = 1400 ms
    await clock.advance(699)
    expect(listCalls).toHaveLength(1)
    await clock.advance(1)
    expect(listCalls).toHaveLength(2)
    await clock.advance(1_399)
    expect(informer.hasSynced()).toBe(false)
    await clock.advance(1)
    expect(informer.hasSynced()).toBe(true)
    expect(informer.stats.errors).toBe(2)
    await informer.stop()
  })

  it('reconnects a failed watch with backoff from where it was, and a watch that ends at once counts as failed', async () => {
    const { clock, informer, lists, watches } = setup()
    lists.push({ items: [], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    watches[0]!.fail(new Error('[kube] watch of ConfigMap: a line that is not JSON: <html>'))
    await clock.settle()
    expect(watches).toHaveLength(1)
    await clock.advance(700)
    expect(watches).toHaveLength(2)
    watches[1]!.close() // closed at once, nothing delivered: backoff instead of a hot loop
    await clock.settle()
    expect(watches).toHaveLength(2)
    await clock.advance(1_400)
    expect(watches).toHaveLength(3)
    expect(watches[2]!.options.resourceVersion).toBe('7')
    expect(informer.stats).toMatchObject({ lists: 1, errors: 1 })
    await informer.stop()
  })

  it('restartWatch from an old resourceVersion leads through 410 to a relist', async () => {
    const { clock, informer, lists, watches } = setup()
    lists.push({ items: [], resourceVersion: '7' }, { items: [], resourceVersion: '9' })
    informer.start()
    await clock.settle()
    informer.restartWatch({ resourceVersion: '1' })
    await clock.settle()
    expect(watches[1]!.options.resourceVersion).toBe('1')
    watches[1]!.fail(new KubeApiError(410, 'Expired', 'too old resource version: 1 (9)'))
    await clock.settle()
    expect(watches[2]!.options.resourceVersion).toBe('9')
    expect(informer.stats).toMatchObject({ lists: 2, expired: 1 })
    await informer.stop()
  })

  it('watches from a fresh list rather than a restart version asked for while listing', async () => {
    const { clock, informer, lists, watches } = setup()
    lists.push(new Error('down'), { items: [], resourceVersion: '30' })
    informer.start()
    await clock.settle()
    informer.restartWatch({ resourceVersion: '1' }) // no watch yet: the list is being retried
    await clock.advance(700)
    expect(watches[0]!.options.resourceVersion).toBe('30')
    await informer.stop()
  })

  it('keeps going when a handler throws', async () => {
    const { clock, informer, lists, watches } = setup()
    informer.onAdd(() => {
      throw new Error('handler bug')
    })
    lists.push({ items: [cm('x', '1')], resourceVersion: '1' })
    informer.start()
    await clock.settle()
    watches[0]!.emit({ type: 'ADDED', object: cm('y', '2') })
    expect(informer.store.keys().sort()).toEqual(['a/x', 'a/y'])
    await informer.stop()
  })

  it('rejects waitForSync when stopped before syncing, or when the signal aborts', async () => {
    const { informer, lists } = setup()
    lists.push(new Error('down'))
    informer.start()
    const waiting = informer.waitForSync()
    const aborted = informer.waitForSync(AbortSignal.abort(new Error('gave up')))
    await expect(aborted).rejects.toThrow('gave up')
    await informer.stop()
    await expect(waiting).rejects.toThrow(/stopped before it synced/)
  })
})

/** What the REST client throws when nothing listens: fetch's TypeError, with the socket error as cause. */
function refused(): Error {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' })
  return new Error('[kube] GET /api/v1/namespaces/a/configmaps: fetch failed: connect ECONNREFUSED 127.0.0.1:6443', { cause: new TypeError('fetch failed', { cause: socket }) })
}

/** What a watch stream cut off by the server going away ends with. */
function cutOff(): Error {
  return new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) })
}

describe('informerRetryDelay', () => {
  const policy = { backoff: { baseMs: 800, maxMs: 30_000 }, unavailableBackoff: { baseMs: 250, maxMs: 1000 }, random: () => 0 }
  it.each([
    // answered failures, unanswered in a row, Retry-After (s) → delay (ms), random 0 (the short end of the jitter)
    [0, 1, undefined, 187.5], // the server went away: ask again soon
    [0, 3, undefined, 750],
    [0, 60, undefined, 750], // a minute of refused connections: still at most a second apart
    [1, 0, undefined, 600], // answered: client-go's reflector backoff
    [3, 0, undefined, 2400],
    [20, 0, undefined, 22_500], // capped at 30 s, less the jitter
    [1, 0, 5, 5000], // never before the Retry-After
  ] as [number, number, number | undefined, number][])('%i answered, %i unanswered, Retry-After %s → %i ms', (failures, unanswered, retryAfter, expected) => {
    const error = retryAfter === undefined ? new Error('x') : new KubeApiError(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: retryAfter })
    expect(informerRetryDelay({ failures, unanswered }, error, policy)).toBe(expected)
  })
})

describe('Informer while the API server is down', () => {
  it('lists again at most a second apart while nothing answers, and syncs within a second of the server answering', async () => {
    const { clock, informer, lists, listCalls } = setup()
    for (let i = 0; i < 60; i++) lists.push(refused())
    lists.push({ items: [cm('x', '5')], resourceVersion: '5' })
    informer.start()
    const calledAt: number[] = []
    while (!informer.hasSynced() && clock.now() < 1_700_000_000_000 + 120_000) {
      const before = listCalls.length
      await clock.advance(25)
      if (listCalls.length > before) calledAt.push(clock.now())
    }
    expect(informer.hasSynced()).toBe(true)
    const gaps = calledAt.slice(1).map((t, i) => t - (calledAt[i] ?? 0))
    // random 0.5: 250 ms · 0.875 doubling to the 1 s cap · 0.875 (rounded up to the 25 ms steps)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(900)
    expect(informer.stats.errors).toBe(60)
    await informer.stop()
  })

  it('reopens a watch the outage cut off from where it was, within a second of the server answering, without a relist', async () => {
    const { clock, informer, lists, listCalls, watches, watchErrors } = setup()
    lists.push({ items: [], resourceVersion: '7' })
    informer.start()
    await clock.settle()
    for (let i = 0; i < 40; i++) watchErrors.push(refused())
    watches[0]!.fail(cutOff())
    let lastRefusalAt = clock.now()
    while (watches.length < 2) {
      const pending = watchErrors.length
      await clock.advance(25)
      if (watchErrors.length < pending) lastRefusalAt = clock.now()
    }
    expect(clock.now() - lastRefusalAt).toBeLessThanOrEqual(900)
    expect(watches[1]!.options.resourceVersion).toBe('7')
    expect(listCalls).toHaveLength(1)
    await informer.stop()
  })

  it('backs off from the short end when the server answers with an error after an outage', async () => {
    const { clock, informer, lists, listCalls } = setup()
    for (let i = 0; i < 30; i++) lists.push(refused())
    lists.push(new KubeApiError(404, 'NotFound', 'the server could not find the requested resource'), { items: [], resourceVersion: '3' })
    informer.start()
    while (listCalls.length < 31) await clock.advance(25)
    // the first answered failure: 800 ms · 0.875, not the 30 s a count of 31 failures would give
    await clock.advance(700)
    expect(informer.hasSynced()).toBe(true)
    await informer.stop()
  })

  it("retries a starting API server's 503 as soon as a refused connection, without its Retry-After of 5 s", async () => {
    const { clock, informer, lists, listCalls } = setup()
    const starting = new KubeApiError(503, 'ServiceUnavailable', 'the request has been made before all known HTTP paths have been installed, please try again', { retryAfterSeconds: 5 })
    for (let i = 0; i < 30; i++) lists.push(refused())
    lists.push(starting, starting, { items: [], resourceVersion: '3' })
    informer.start()
    while (listCalls.length < 31) await clock.advance(25)
    await clock.advance(900)
    expect(listCalls).toHaveLength(32)
    await clock.advance(900)
    expect(informer.hasSynced()).toBe(true)
    await informer.stop()
  })

  it('waits for the Retry-After of a 429', async () => {
    const { clock, informer, lists, listCalls } = setup()
    lists.push(new KubeApiError(429, 'TooManyRequests', 'too many requests', { retryAfterSeconds: 4 }), { items: [], resourceVersion: '3' })
    informer.start()
    await clock.settle()
    await clock.advance(3_999)
    expect(listCalls).toHaveLength(1)
    await clock.advance(1)
    expect(informer.hasSynced()).toBe(true)
    await informer.stop()
  })
})
