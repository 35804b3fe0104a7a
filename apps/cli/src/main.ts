/**
 * The `sluice` executable: the only place that reads process.argv, process.env and the standard
 * streams. Everything else gets them from the `CliContext` built here.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { text } from 'node:stream/consumers'
import packageJson from '../package.json' with { type: 'json' }
import { runCli } from './cli.ts'
import { isColorWanted } from './colors.ts'

const cwd = process.cwd()

// `sluice plan -o json | head`: the reader went away; that is not an error of ours, and no stack either.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') process.stderr.write(`sluice: internal error: cannot write the output: ${error.message}\n`)
  process.exit(error.code === 'EPIPE' ? 0 : 1)
})

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (chunk) => void process.stdout.write(chunk),
  stderr: (chunk) => void process.stderr.write(chunk),
  readFile: (path) => (path === '-' ? text(process.stdin) : readFile(resolve(cwd, path), 'utf8')),
  color: isColorWanted(process.stdout, process.env),
  debug: process.env.SLUICE_DEBUG === '1',
  version: packageJson.version,
  env: process.env,
  cwd,
  interactive: process.stdout.isTTY === true && process.env.TERM !== 'dumb',
  now: () => new Date(),
})
// The command is done; an idle keep-alive connection to the API server must not hold the process.
await new Promise((done) => process.stdout.write('', done))
process.exit()
