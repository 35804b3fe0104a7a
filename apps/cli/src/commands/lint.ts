/**
 * `sluice lint`: the engine's validation, offline. Checks the Rollout against the rules of the
 * Rollout API and against what its configured traffic routers can do; when the file also holds other
 * objects, checks the Services and mesh objects the Rollout references as the controller would.
 */
import { fieldError, formatFieldError, validateRollout, validateServiceReferences } from '@sluice/core'
import { createMemoryKube } from '@sluice/kube/memory'
import type { FieldError } from '@sluice/core'
import { EXIT } from '../cli-context.ts'
import { createPalette } from '../colors.ts'
import { manifestFlags, outputFormat, parseFlags, requireFile } from '../command.ts'
import type { Command } from '../command.ts'
import { observeRollout, readServices } from '@sluice/reconcile'
import type { RouterRegistry } from '@sluice/routers'
import { routerNames, routerRegistryFor, routerSettingFlags, routerSettingFlagsHelp, routerSettingFlagsUsage } from '../traffic-routers.ts'
import { describeFieldError, loadManifest } from '../manifest.ts'
import type { Manifest } from '../manifest.ts'

const help = `Check a Rollout and the objects it references, offline.

Usage: sluice lint -f FILE [-o text|json] ${routerSettingFlagsUsage}

FILE holds exactly one Rollout (argoproj.io/v1alpha1) and, optionally, the Services and mesh objects
it references, as a multi-document YAML stream ("-" reads standard input).

Checks:
  - every rule the controller applies to a Rollout (fields, steps, strategy), each problem with its
    field path and the offending value; features Sluice does not implement are reported, not ignored;
  - what each configured traffic router can do (header routes, mirroring, weight scale, match types),
    for the routers this build knows: ${routerNames.join(', ')};
  - references, only when the file holds at least one object besides the Rollout: the canary and
    stable Services (present, selectors fit the pod template) and each router's own objects
    (VirtualService, Ingress, ...). A file with just the Rollout skips these checks, and says so.

Flags:
  -f, --filename FILE   the manifest (required)
  -o, --output FORMAT   text (default) or json
${routerSettingFlagsHelp}
  -h, --help            show this help

Exit codes: 0 no problems; 1 problems found, or the file cannot be read as one Rollout; 2 usage error.
`

interface LintReport {
  rollout: string
  /** False when the file holds only the Rollout, so referenced objects were not looked up. */
  referencesChecked: boolean
  problems: (FieldError & { line?: number; column?: number })[]
}

const options = { ...manifestFlags, ...routerSettingFlags } as const

export const lintCommand: Command = {
  name: 'lint',
  help,
  flags: options,
  async run(argv, ctx) {
    const flags = parseFlags(argv, options)
    const file = requireFile(flags.filename)
    const format = outputFormat(flags.output, ['text', 'json'])
    routerRegistryFor(flags, [])
    const manifest = await loadManifest(file, ctx)
    const problems = await lintManifest(manifest, routerRegistryFor(flags, manifest.objects))
    const report: LintReport = {
      rollout: `${manifest.rollout.metadata.namespace}/${manifest.rollout.metadata.name ?? ''}`,
      referencesChecked: manifest.objects.length > 0,
      problems: problems.map((p) => {
        const at = manifest.locate(p.path)
        return at ? { ...p, line: at.line, column: at.col } : p
      }),
    }
    if (format === 'json') ctx.stdout(`${JSON.stringify(report, null, 2)}\n`)
    else ctx.stdout(renderLintText(report, problems, manifest, ctx.color))
    return problems.length > 0 ? EXIT.invalid : EXIT.ok
  },
}

/** Every problem with the Rollout and, when the file holds them, the objects it references. */
export async function lintManifest(manifest: Manifest, registry: RouterRegistry = routerRegistryFor({}, manifest.objects)): Promise<FieldError[]> {
  const { rollout } = manifest
  const problems = validateRollout(rollout, { routers: registry.capabilities() })
  if (manifest.objects.length > 0) {
    // What the controller would observe of the file's objects, through the controller's own code.
    const kube = createMemoryKube(manifest.objects)
    const { routers, errors } = registry.create(rollout, kube)
    try {
      const observed = await observeRollout({ rollout, replicaSets: [], kube, routers, refused: errors, capabilities: registry.capabilities() })
      problems.push(...validateServiceReferences(rollout, observed.services), ...(observed.routerErrors ?? []))
    } catch (error) {
      // validate() never writes; a router that throws on an odd Rollout should not hide the other problems.
      problems.push(...validateServiceReferences(rollout, await readServices(kube, rollout)), ...errors)
      problems.push(fieldError('invalid', 'spec.strategy.canary.trafficRouting', `a router could not check its objects: ${error instanceof Error ? error.message : String(error)}`))
    }
  }
  const seen = new Set<string>()
  return problems.filter((p) => !seen.has(formatFieldError(p)) && seen.add(formatFieldError(p)))
}

function renderLintText(report: LintReport, problems: readonly FieldError[], manifest: Manifest, color: boolean): string {
  const p = createPalette(color)
  const lines = [`${p.bold(`Rollout ${report.rollout}`)} ${p.dim(`(${manifest.file})`)}`]
  for (const problem of problems) lines.push(`  ${p.red('✗')} ${describeFieldError(problem, manifest)}`)
  if (!report.referencesChecked) lines.push(p.dim('  referenced Services and mesh objects not checked: the file holds only the Rollout'))
  const count = problems.length
  lines.push(count === 0 ? p.green('no problems') : p.red(`${count} problem${count === 1 ? '' : 's'}`))
  return `${lines.join('\n')}\n`
}
