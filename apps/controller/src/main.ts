#!/usr/bin/env node
/**
 * The controller process: read the config, connect, run until SIGTERM/SIGINT (then finish the
 * reconcile in flight and release the Lease) or until the Lease is lost (exit 1, to be restarted).
 */
import { KubeConfig } from '@kubernetes/client-node'
import { pino } from 'pino'
import { ConfigError, loadConfig, usage } from './config.ts'
import { startController } from './manager.ts'

async function main(): Promise<number> {
  let config
  try {
    config = loadConfig(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`sluice-controller: ${error.message}\n\n${usage()}\n`)
    return 2
  }
  if (config === 'help') {
    process.stdout.write(`${usage()}\n`)
    return 0
  }
  const logger = pino({ level: config.logLevel, base: { app: 'sluice-controller' } })

  const kc = new KubeConfig()
  try {
    if (config.kubeconfig) kc.loadFromFile(config.kubeconfig)
    else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster()
    else kc.loadFromDefault()
  } catch (error) {
    logger.fatal({ err: { message: (error as Error).message } }, 'cannot load the Kubernetes configuration')
    return 1
  }

  let controller
  try {
    controller = await startController(config, kc, logger)
  } catch (error) {
    logger.fatal({ err: { message: (error as Error).message } }, 'cannot start')
    return 1
  }
  const address = controller.server.address()
  const port = typeof address === 'object' && address ? address.port : config.httpPort
  logger.info({ http: `${config.httpHost}:${port}`, port, namespace: config.namespace ?? '(all)', leaderElection: config.leaderElection.enabled }, 'started')

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing the reconcile in flight')
    void controller.stop()
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
  const how = await controller.done
  logger.info({ how }, 'stopped')
  return how === 'lost-lease' ? 1 : 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`sluice-controller: internal error: ${(error as Error)?.message ?? String(error)}\n`)
    process.exitCode = 1
  },
)
