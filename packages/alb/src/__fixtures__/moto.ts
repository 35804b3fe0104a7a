/**
 * moto's AWS emulator for the weight-verification tests: `test/moto.sh` installs it into a cache (once)
 * and starts `moto_server` on a free loopback port. Never AWS: the client gets this endpoint and
 * dummy credentials.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'

export type MotoServer = { ok: true; endpoint: string; stop(): void } | { ok: false; reason: string }

const SCRIPT = path.join(import.meta.dirname, '../../test/moto.sh')

/** Starts a server that stops with this process at the latest; `ok: false` when python3 or moto cannot be installed here. */
export function startMoto(): Promise<MotoServer> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, 'start', String(process.pid)], { timeout: 900_000 }, (error, stdout, stderr) => {
      if (error) {
        // Exit status 3 is moto.sh saying it cannot install moto here: the tests skip. Anything else is a failure.
        if (error.code === 3) resolve({ ok: false, reason: stderr.trim() || 'moto could not be installed' })
        else reject(new Error(`test/moto.sh start failed: ${stderr.trim() || error.message}`, { cause: error }))
        return
      }
      const [port, pid] = stdout.trim().split(/\s+/).map(Number)
      resolve({
        ok: true,
        endpoint: `http://127.0.0.1:${port}`,
        stop: () => {
          try {
            process.kill(pid ?? 0)
          } catch {
            // Already gone: the owner watchdog of moto.sh or a previous stop got there first.
          }
        },
      })
    })
  })
}

/** Clears every resource in the emulator. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' })
  if (!response.ok) throw new Error(`moto reset answered ${response.status}`)
}

/** The ids of moto's default subnets (EC2 Query API, which the ELBv2 client does not cover). */
export async function defaultSubnets(endpoint: string): Promise<string[]> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes a request to a service by the credential scope of its signature; it checks nothing else.
      authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=DescribeSubnets&Version=2016-11-15',
  })
  const xml = await response.text()
  return [...xml.matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1] ?? '')
}
