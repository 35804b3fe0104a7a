/**
 * The harness's own Kubernetes client: plain HTTPS with the admin client certificate, JSON in and
 * out, and a count of every request it sends, keyed the way the API server's
 * `apiserver_request_total` is (verb, group, resource, subresource), so the harness can subtract its
 * own traffic from the server's counters. Deliberately not a Sluice package: the harness measures any
 * controller, and its measuring instrument must not share code with the thing measured.
 */
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:https'
import type { IncomingMessage } from 'node:http'
import { parse } from 'yaml'

export interface Credentials {
  server: string
  ca: string
  cert: string
  key: string
}

/** Reads a kubeconfig with embedded certificate data (what `tools/local-cluster/up.sh` writes). */
export function loadCredentials(kubeconfigPath: string): Credentials {
  const config = parse(readFileSync(kubeconfigPath, 'utf8')) as {
    'current-context'?: string
    contexts?: { name: string; context: { cluster: string; user: string } }[]
    clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[]
    users?: { name: string; user: { 'client-certificate-data'?: string; 'client-key-data'?: string } }[]
  }
  const context = config.contexts?.find((c) => c.name === config['current-context']) ?? config.contexts?.[0]
  const cluster = config.clusters?.find((c) => c.name === context?.context.cluster)?.cluster
  const user = config.users?.find((u) => u.name === context?.context.user)?.user
  const data = (b64: string | undefined, what: string) => {
    if (!b64) throw new Error(`${kubeconfigPath}: no ${what} (the harness needs embedded certificate data)`)
    return Buffer.from(b64, 'base64').toString('utf8')
  }
  if (!cluster) throw new Error(`${kubeconfigPath}: no cluster for the current context`)
  return {
    server: cluster.server,
    ca: data(cluster['certificate-authority-data'], 'certificate-authority-data'),
    cert: data(user?.['client-certificate-data'], 'client-certificate-data'),
    key: data(user?.['client-key-data'], 'client-key-data'),
  }
}

/** `VERB group/resource/subresource`, the key of `apiserver_request_total` the harness sums by. */
export type RequestKey = string

export function requestKey(verb: string, group: string, resource: string, subresource = ''): RequestKey {
  return `${verb} ${group}/${resource}${subresource ? `/${subresource}` : ''}`
}

/**
 * Maps a request path and method to the API server's metric labels. Non-resource paths (`/metrics`,
 * `/readyz`) map to undefined: the harness compares resource requests only.
 *   GET /apis/apps/v1/namespaces/x/replicasets?watch=1   → WATCH apps/replicasets
 *   PATCH /api/v1/namespaces/x/services/web              → PATCH /services
 *   PUT /apis/argoproj.io/v1alpha1/namespaces/x/rollouts/web/status → PUT argoproj.io/rollouts/status
 */
export function classify(method: string, path: string, contentType?: string): RequestKey | undefined {
  const [pathname = '', query = ''] = path.split('?')
  const parts = pathname.split('/').filter(Boolean)
  let group: string
  let rest: string[]
  if (parts[0] === 'api' && parts.length >= 2) {
    group = ''
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1] ?? ''
    rest = parts.slice(3)
  } else {
    return undefined
  }
  // namespaces/x/… is a namespaced request, except for the Namespace itself and its subresources
  const namespaceItself = rest[0] === 'namespaces' && (rest.length <= 2 || rest[2] === 'status' || rest[2] === 'finalize')
  if (rest[0] === 'namespaces' && !namespaceItself) rest = rest.slice(2)
  const [resource, name, subresource] = rest
  if (!resource) return undefined
  const params = new URLSearchParams(query)
  let verb = method.toUpperCase()
  if (verb === 'GET') {
    const watching = params.get('watch') === '1' || params.get('watch') === 'true'
    verb = watching ? 'WATCH' : name ? 'GET' : 'LIST'
  }
  if (verb === 'PATCH' && contentType === 'application/apply-patch+yaml') verb = 'APPLY'
  return requestKey(verb, group, resource, subresource ?? '')
}

export class KubeError extends Error {
  override name = 'KubeError'
  readonly status: number
  constructor(status: number, method: string, path: string, body: string) {
    super(`${method} ${path}: ${status} ${body.slice(0, 500)}`)
    this.status = status
  }
}

export interface KubeClientOptions {
  /** Connections kept open for non-watch requests. */
  maxSockets?: number
  /** Told about every request sent (watches included), with its metric key. */
  onRequest?: (key: RequestKey) => void
}

export class KubeClient {
  readonly credentials: Credentials
  readonly #agent: Agent
  readonly #base: URL
  readonly #counts = new Map<RequestKey, number>()
  readonly #onRequest: ((key: RequestKey) => void) | undefined

  constructor(credentials: Credentials, options: KubeClientOptions = {}) {
    this.credentials = credentials
    this.#base = new URL(credentials.server)
    this.#agent = new Agent({ ca: credentials.ca, cert: credentials.cert, key: credentials.key, keepAlive: true, maxSockets: options.maxSockets ?? 32 })
    this.#onRequest = options.onRequest
  }

  /** Requests sent so far, by metric key. */
  counts(): Map<RequestKey, number> {
    return new Map(this.#counts)
  }

  close(): void {
    this.#agent.destroy()
  }

  #count(method: string, path: string, contentType?: string): void {
    const key = classify(method, path, contentType)
    if (!key) return
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
    this.#onRequest?.(key)
  }

  /** Sends one request; resolves with the parsed JSON body (or text for non-JSON), rejects with KubeError on status ≥ 400. */
  send<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    this.#count(method, path, body === undefined ? undefined : contentType)
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          protocol: this.#base.protocol,
          hostname: this.#base.hostname,
          port: this.#base.port,
          path,
          method,
          agent: this.#agent,
          headers: {
            accept: 'application/json',
            'user-agent': 'sluice-bench',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            if ((res.statusCode ?? 0) >= 400) {
              reject(new KubeError(res.statusCode ?? 0, method, path, text))
              return
            }
            const type = res.headers['content-type'] ?? ''
            try {
              resolve((type.includes('json') ? JSON.parse(text) : text) as T)
            } catch (error) {
              reject(error as Error)
            }
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)))
      req.on('error', reject)
      if (payload !== undefined) req.write(payload)
      req.end()
    })
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.send<T>('GET', path)
  }

  /** GET that resolves undefined on 404. */
  async find<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path)
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined
      throw error
    }
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body)
  }

  mergePatch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body, 'application/merge-patch+json')
  }

  /**
   * Opens a watch stream and hands each line to `onLine` with the time it arrived (ms since the epoch,
   * sub-millisecond). Resolves when the server closes the stream; rejects on a non-200 answer.
   */
  watch(path: string, onLine: (line: string, receivedAt: number) => void, options: { signal?: AbortSignal; onOpen?: () => void } = {}): Promise<void> {
    const { signal, onOpen } = options
    this.#count('GET', path)
    return new Promise<void>((resolve, reject) => {
      const req = request(
        {
          protocol: this.#base.protocol,
          hostname: this.#base.hostname,
          port: this.#base.port,
          path,
          method: 'GET',
          // A watch holds its connection for as long as it lasts: never from the shared pool.
          agent: false,
          ca: this.credentials.ca,
          cert: this.credentials.cert,
          key: this.credentials.key,
          headers: { accept: 'application/json', 'user-agent': 'sluice-bench' },
          ...(signal ? { signal } : {}),
        },
        (res: IncomingMessage) => {
          if (res.statusCode !== 200) {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => reject(new KubeError(res.statusCode ?? 0, 'WATCH', path, Buffer.concat(chunks).toString('utf8'))))
            return
          }
          onOpen?.()
          let buffer = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            const receivedAt = performance.timeOrigin + performance.now()
            buffer += chunk
            let newline = buffer.indexOf('\n')
            while (newline >= 0) {
              const line = buffer.slice(0, newline)
              buffer = buffer.slice(newline + 1)
              if (line.length > 0) onLine(line, receivedAt)
              newline = buffer.indexOf('\n')
            }
          })
          res.on('end', () => resolve())
          res.on('error', (error) => (signal?.aborted ? resolve() : reject(error)))
        },
      )
      req.on('error', (error) => (signal?.aborted ? resolve() : reject(error)))
      req.end()
    })
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Runs `task` over `items` with at most `concurrency` in flight; rejects with the first failure. */
export async function inParallel<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      await task(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}
