/**
 * Reads and parses the `-f` file of an offline command, and turns field errors into lines that say
 * where in the file each problem is.
 */
import { formatFieldError } from '@sluice/core'
import type { FieldError } from '@sluice/core'
import { InputError } from '../cli-context.ts'
import type { CliContext } from '../cli-context.ts'
import { parseManifest } from '../manifest.ts'
import type { Manifest } from '../manifest.ts'

export async function loadManifest(file: string, ctx: CliContext): Promise<Manifest> {
  let text: string
  try {
    text = await ctx.readFile(file)
  } catch (error) {
    throw new InputError(`${file}: ${describeReadError(error)}`, [], { cause: error })
  }
  return parseManifest(text, file)
}

function describeReadError(error: unknown): string {
  switch ((error as { code?: string } | undefined)?.code) {
    case 'ENOENT':
      return 'no such file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory, not a file'
    default:
      return `cannot be read: ${error instanceof Error ? error.message : String(error)}`
  }
}

/** `examples/web.yaml:14:22: spec.strategy.canary.steps[0].setWeight: Invalid value: 120: ...` */
export function describeFieldError(error: FieldError, manifest: Manifest): string {
  const at = manifest.locate(error.path)
  return `${at ? `${manifest.file}:${at.line}:${at.col}: ` : ''}${formatFieldError(error)}`
}
