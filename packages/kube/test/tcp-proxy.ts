// A TCP proxy on 127.0.0.1 between a client and the API server, so tests can break connections the
// way networks do: kill every open connection, freeze them (no bytes either way, sockets stay open),
// or refuse new ones. TLS passes through untouched.
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { connect } from 'node:net'

export interface TcpProxy {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Destroys every open connection (both sides). */
  killAll(): void
  /** Stops forwarding on every open connection without closing it: a silent peer. */
  freezeAll(): void
  /** While true, new connections are closed at once. */
  refuse(on: boolean): void
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>()
  let refusing = false
  let accepted = 0
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    accepted += 1
    const upstream = connect(target.port, target.host)
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted
    },
    killAll() {
      for (const [a, b] of [...pairs]) {
        a.destroy()
        b.destroy()
      }
      pairs.clear()
    },
    freezeAll() {
      for (const [a, b] of pairs) {
        a.unpipe(b)
        b.unpipe(a)
        a.pause()
        b.pause()
      }
    },
    refuse(on) {
      refusing = on
    },
    close() {
      for (const [a, b] of pairs) {
        a.destroy()
        b.destroy()
      }
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
