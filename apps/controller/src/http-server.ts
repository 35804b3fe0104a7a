/** /metrics, /healthz and /readyz on one small HTTP server. */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { Registry } from 'prom-client'

export interface HttpServerOptions {
  host: string
  port: number
  registry: Registry
  /** Liveness: false only when the process should be restarted. */
  isHealthy: () => boolean
  /** Readiness: the caches have synced. */
  isReady: () => boolean
}

export function startHttpServer(options: HttpServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if (path === '/metrics') {
      options.registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(body))
        .catch((error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`))
      return
    }
    if (path === '/healthz' || path === '/livez') {
      const ok = options.isHealthy()
      res.writeHead(ok ? 200 : 500, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n')
      return
    }
    if (path === '/readyz') {
      const ok = options.isReady()
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'caches not synced\n')
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve(server)
    })
  })
}
