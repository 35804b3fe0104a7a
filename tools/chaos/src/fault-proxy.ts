/**
 * A fault proxy on loopback between the controller and the API server. The local control plane
 * authenticates clients by certificate, so the proxy terminates TLS with the API server's own
 * serving certificate (issued for 127.0.0.1 by the cluster's CA, which the controller's kubeconfig
 * already trusts) and re-originates each request to the API server with the admin client
 * certificate. The controller gets a copy of the admin kubeconfig whose server is the proxy.
 *
 * Faults, each drawn from the seeded random source:
 *   per request (not watches)  409 Conflict (writes only), 429 with Retry-After, 500, a connection
 *                              reset, and "applied then 500" (the write reaches the API server, the
 *                              client is told it failed); added latency
 *   watches                    410 Gone when a watch resumes from a resourceVersion; on demand,
 *                              open watches dropped (closed or reset) or stalled (no bytes for a
 *                              while, then dropped)
 * Injected answers are Kubernetes Status objects, as the API server would send them.
 *
 * The proxy also observes: every write the controller got a 2xx answer for is timestamped, which
 * gives "API server back → first write".
 */
import { readFileSync } from 'node:fs'
import { Agent, createServer, request } from 'node:https'
import type { Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Random } from './random.ts'

export interface ProxyFaults {
  /** Probability that a request (not a watch) gets an injected error instead of (or after) the real answer. */
  errorRate: number
  /** Probability that a request waits before it is forwarded, and the longest wait (ms). */
  latencyRate: number
  maxLatencyMs: number
  /** Probability that a watch resumed from a resourceVersion is answered 410 Gone. */
  goneRate: number
  /**
   * Whether an injected write error may be "applied then 500" (the write happened, the client is
   * told it failed): off by default, since it exposes a Sluice bug (tools/chaos/README.md).
   */
  ambiguousWrites?: boolean
}

export const NO_FAULTS: ProxyFaults = { errorRate: 0, latencyRate: 0, maxLatencyMs: 0, goneRate: 0 }

export type InjectedFault = '409' | '429' | '500' | 'reset' | 'applied-then-500' | 'latency' | '410-on-resume' | 'watch-dropped' | 'watch-stalled'

interface OpenWatch {
  response: ServerResponse
  upstream: IncomingMessage | undefined
}

export interface FaultProxyOptions {
  /** The local cluster's data dir (pki/ holds its certificates). */
  clusterDir: string
  /** The API server's port on 127.0.0.1. */
  apiPort: number
  random: Random
}

export class FaultProxy {
  /** Faults injected so far, by kind. */
  readonly injected: Record<InjectedFault, number> = {
    '409': 0,
    '429': 0,
    '500': 0,
    reset: 0,
    'applied-then-500': 0,
    latency: 0,
    '410-on-resume': 0,
    'watch-dropped': 0,
    'watch-stalled': 0,
  }
  /** Receipt times (ms since the epoch) of the writes that got a 2xx answer. */
  readonly writes: number[] = []
  faults: ProxyFaults = NO_FAULTS
  readonly #options: FaultProxyOptions
  readonly #server: Server
  readonly #agent: Agent
  readonly #watches = new Set<OpenWatch>()
  readonly #tls: { ca: Buffer; cert: Buffer; key: Buffer }
  #port = 0

  constructor(options: FaultProxyOptions) {
    this.#options = options
    const pki = join(options.clusterDir, 'pki')
    this.#tls = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) }
    this.#agent = new Agent({ ...this.#tls, keepAlive: true, maxSockets: 64 })
    this.#server = createServer({ cert: readFileSync(join(pki, 'apiserver.crt')), key: readFileSync(join(pki, 'apiserver.key')) }, (req, res) => void this.#handle(req, res))
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    this.#port = (this.#server.address() as AddressInfo).port
    return this.#port
  }

  get url(): string {
    return `https://127.0.0.1:${this.#port}`
  }

  /** The admin kubeconfig pointed at the proxy. */
  kubeconfig(adminKubeconfig: string): string {
    return readFileSync(adminKubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: ${this.url}`)
  }

  /** Drops the open watches, each with probability `fraction`: closed cleanly or reset. Returns how many. */
  dropWatches(fraction: number): number {
    let dropped = 0
    for (const watch of [...this.#watches]) {
      if (this.#options.random.next() >= fraction) continue
      dropped++
      this.injected['watch-dropped']++
      this.#watches.delete(watch)
      if (this.#options.random.next() < 0.5) watch.response.end()
      else watch.response.destroy()
      watch.upstream?.destroy()
    }
    return dropped
  }

  /** Stalls the open watches (no bytes forwarded) for `ms`, then drops them. Returns how many. */
  stallWatches(ms: number): number {
    const stalled = [...this.#watches]
    for (const watch of stalled) {
      this.injected['watch-stalled']++
      this.#watches.delete(watch)
      watch.upstream?.pause()
      watch.upstream?.unpipe(watch.response)
    }
    setTimeout(() => {
      for (const watch of stalled) {
        watch.response.destroy()
        watch.upstream?.destroy()
      }
    }, ms).unref()
    return stalled.length
  }

  async close(): Promise<void> {
    for (const watch of this.#watches) {
      watch.response.destroy()
      watch.upstream?.destroy()
    }
    this.#watches.clear()
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#agent.destroy()
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const random = this.#options.random
    const faults = this.faults
    const url = req.url ?? '/'
    const isWatch = /[?&]watch=(1|true)(&|$)/.test(url)
    const isWrite = !['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? 'GET')
    const body = await readBody(req)

    if (isWatch) {
      const rv = new URLSearchParams(url.split('?')[1] ?? '').get('resourceVersion')
      if (rv && rv !== '0' && random.next() < faults.goneRate) {
        this.injected['410-on-resume']++
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${rv} (injected by the chaos proxy)`) })}\n`)
        return
      }
    }
    let injected: InjectedFault | undefined
    if (!isWatch && random.next() < faults.errorRate) {
      const choices: InjectedFault[] = isWrite ? ['409', '429', '500', 'reset', ...(faults.ambiguousWrites ? (['applied-then-500'] as const) : [])] : ['429', '500', 'reset']
      injected = random.pick(choices)
      this.injected[injected]++
    }
    if (!isWatch && random.next() < faults.latencyRate) {
      this.injected.latency++
      await new Promise((r) => setTimeout(r, random.next() * faults.maxLatencyMs))
    }
    switch (injected) {
      case '409':
        return sendStatus(res, 409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again (injected by the chaos proxy)')
      case '429':
        res.setHeader('retry-after', '1')
        return sendStatus(res, 429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later (injected by the chaos proxy)')
      case '500':
        return sendStatus(res, 500, 'InternalError', 'an error on the server has prevented the request from succeeding (injected by the chaos proxy)')
      case 'reset':
        req.socket.destroy()
        return
      default:
        break
    }

    const upstreamReq = request({
      host: '127.0.0.1',
      port: this.#options.apiPort,
      method: req.method,
      path: url,
      headers: forwardedHeaders(req.headers, body.length),
      // A watch holds its connection for as long as it lasts: never from the shared pool.
      ...(isWatch ? { agent: false, ...this.#tls } : { agent: this.#agent }),
    })
    const watch: OpenWatch = { response: res, upstream: undefined }
    upstreamReq.on('response', (upstream) => {
      if (injected === 'applied-then-500') {
        upstream.resume()
        upstream.on('end', () => sendStatus(res, 500, 'InternalError', 'an error on the server has prevented the request from succeeding (injected by the chaos proxy after the write was applied)'))
        return
      }
      const code = upstream.statusCode ?? 502
      if (isWrite && code < 300) this.writes.push(Date.now())
      res.writeHead(code, responseHeaders(upstream.headers))
      if (isWatch) {
        watch.upstream = upstream
        this.#watches.add(watch)
        res.flushHeaders()
      }
      upstream.pipe(res)
      upstream.on('error', () => res.destroy())
    })
    // The API server is down or went away: the client sees the connection fail, as it would without the proxy.
    upstreamReq.on('error', () => req.socket.destroy())
    res.on('close', () => {
      this.#watches.delete(watch)
      watch.upstream?.destroy()
      if (!upstreamReq.writableEnded || !res.writableFinished) upstreamReq.destroy()
    })
    upstreamReq.end(body)
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host', 'content-length'])

function forwardedHeaders(headers: IncomingMessage['headers'], length: number): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v
  if (length > 0) out['content-length'] = String(length)
  return out
}

function responseHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v
  return out
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(code, { 'content-type': 'application/json' })
  res.end(JSON.stringify(status(code, reason, message)))
}
