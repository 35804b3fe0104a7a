/**
 * A preload (`node --import`) for tests: records every module the process resolves and writes the
 * list, as JSON, to the file named by RECORD_MODULES_TO when the process exits.
 */
import { writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'

const seen: string[] = []
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context)
    seen.push(resolved.url)
    return resolved
  },
})
// Synchronously: the process exits right after.
process.on('exit', () => writeFileSync(process.env.RECORD_MODULES_TO ?? 'modules.json', JSON.stringify(seen)))
