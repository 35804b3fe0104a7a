/**
 * The HTTP transport: authenticates each request with the `KubeConfig` (client-node does the
 * credential plugins, tokens and TLS), sends it with client-node's own fetch, and maps answers to
 * JSON or `KubeApiError`. Transport failures become a plain `Error` naming the request, with the
 * original failure as `cause`.
 */
import { IsomorphicFetchHttpLibrary, RequestContext } from '@kubernetes/client-node'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeApiError } from '@sluice/core'
import { toKubeApiError } from './api-error.ts'

/** undici's Dispatcher, as client-node types it (undici is not a dependency of this package). */
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface RestRequest {
  method: HttpVerb
  path: string
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  /** Aborts the request (on top of the client's request timeout). */
  signal?: AbortSignal
}

export interface RestClientOptions {
  /** Timeout of one non-watch request, ms. Default 30 s. */
  requestTimeoutMs?: number
  /** User-Agent header. Default `sluice-kube`. */
  userAgent?: string
  /** Headers sent with every request on top of the kubeconfig's (e.g. `Impersonate-Group`). */
  headers?: Readonly<Record<string, string>>
}

export class RestClient {
  readonly #kc: KubeConfig
  readonly #http = new IsomorphicFetchHttpLibrary()
  readonly #timeoutMs: number
  readonly #userAgent: string
  readonly #headers: Readonly<Record<string, string>>
  /**
   * client-node builds a new undici Agent (a new TLS connection) for every request it authenticates;
   * keeping the first one lets requests share connections. Credentials travel in headers, which are
   * applied afresh each time.
   */
  #dispatcher: Dispatcher | undefined

  constructor(kc: KubeConfig, options: RestClientOptions = {}) {
    this.#kc = kc
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000
    this.#userAgent = options.userAgent ?? 'sluice-kube'
    this.#headers = options.headers ?? {}
  }

  /** Sends a request and returns the parsed JSON body; throws `KubeApiError` for non-2xx answers. */
  async json<T>(request: RestRequest): Promise<T> {
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout
    const label = `${request.method} ${request.path}`
    try {
      const response = await this.#send({ ...request, signal })
      const text = await response.body.text()
      if (response.httpStatusCode < 200 || response.httpStatusCode >= 300) throw toKubeApiError(response.httpStatusCode, text, label, response.headers['retry-after'])
      return (text ? JSON.parse(text) : {}) as T
    } catch (error) {
      if (timeout.aborted) this.#recycleConnections()
      throw this.#transportError(label, error, timeout)
    }
  }

  /**
   * Drops the shared pool after a request timed out: its connection may be dead without either
   * side having noticed (a frozen peer, a lost route), and over HTTP/2 every later request would
   * queue behind it. Requests in flight on it fail and are retried by their callers.
   */
  #recycleConnections(): void {
    const dead = this.#dispatcher
    this.#dispatcher = undefined
    dead?.destroy().catch(() => {})
  }

  /**
   * Opens a streaming GET (a watch) on a connection of its own; throws `KubeApiError` for non-2xx
   * answers. Call `close()` when done: it tears that connection down, which is the only way to get
   * rid of a connection that went silent (undici keeps an aborted stream's connection, and over
   * HTTP/2 every request shares one).
   */
  async stream(
    request: Omit<RestRequest, 'method' | 'body' | 'contentType'> & { signal: AbortSignal },
  ): Promise<{ body: ReadableStream<Uint8Array>; close: () => void }> {
    const label = `GET ${request.path}`
    let dispatcher: Dispatcher | undefined
    const close = () => {
      dispatcher?.destroy().catch(() => {})
    }
    try {
      const response = await this.#send({ ...request, method: 'GET' }, (d) => {
        dispatcher = d
      })
      if (response.httpStatusCode !== 200) throw toKubeApiError(response.httpStatusCode, await response.body.text(), label, response.headers['retry-after'])
      const body = response.body.stream()
      if (!body) throw new Error(`[kube] ${label}: the response has no body`)
      return { body, close }
    } catch (error) {
      close()
      throw this.#transportError(label, error, undefined)
    }
  }

  /**
   * Sends one request. Without `ownConnection` it uses the shared connection pool; with it, the
   * fresh one client-node made for this request, handed to `ownConnection` for closing.
   */
  async #send(request: RestRequest, ownConnection?: (dispatcher: Dispatcher | undefined) => void) {
    const server = this.#kc.getCurrentCluster()?.server
    if (!server) throw new Error('[kube] the KubeConfig has no current cluster')
    const url = new URL(server.replace(/\/+$/, '') + request.path)
    for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v))
    const ctx = new RequestContext(url.toString(), request.method)
    ctx.setHeaderParam('Accept', 'application/json')
    ctx.setHeaderParam('User-Agent', this.#userAgent)
    for (const [name, value] of Object.entries(this.#headers)) ctx.setHeaderParam(name, value)
    if (request.body !== undefined) {
      ctx.setHeaderParam('Content-Type', request.contentType ?? 'application/json')
      ctx.setBody(JSON.stringify(request.body))
    }
    if (request.signal) ctx.setSignal(request.signal)
    await this.#kc.applySecurityAuthentication(ctx)
    const fresh = ctx.getDispatcher()
    if (ownConnection) ownConnection(fresh)
    else if (this.#dispatcher === undefined) this.#dispatcher = fresh
    else if (fresh !== undefined) ctx.setDispatcher(this.#dispatcher)
    return this.#http.send(ctx).toPromise()
  }

  #transportError(label: string, error: unknown, timeout: AbortSignal | undefined): Error {
    if (error instanceof KubeApiError || (error instanceof Error && error.message.startsWith('[kube]'))) return error
    if (timeout?.aborted) return new Error(`[kube] ${label}: no answer within ${this.#timeoutMs} ms`, { cause: error })
    const detail = describeCause(error)
    return new Error(`[kube] ${label}: ${detail}`, { cause: error })
  }
}

/** `fetch failed` says nothing; the useful part (ECONNREFUSED, a TLS error) is in its cause. */
function describeCause(error: unknown): string {
  const parts: string[] = []
  let e: unknown = error
  for (let depth = 0; e && depth < 4; depth++) {
    if (e instanceof Error) {
      const code = (e as Error & { code?: unknown }).code
      parts.push(typeof code === 'string' && !e.message.includes(code) ? `${e.message} (${code})` : e.message)
      e = e.cause
    } else {
      parts.push(String(e))
      break
    }
  }
  return parts.join(': ') || 'request failed'
}
