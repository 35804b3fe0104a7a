/**
 * `sluice plan`: runs a whole update of the Rollout in the file in memory, with the real planner and
 * the real traffic routers, and prints every step's state (pods, weights, routes, objects).
 */
import { AdapterError, configuredRouters } from '@sluice/core'
import { simulateRollout, SimulationError } from '@sluice/reconcile'
import type { SimulationResult } from '@sluice/reconcile'
import { stringify } from 'yaml'
import { EXIT, InputError, UsageError } from '../cli-context.ts'
import { createPalette } from '../colors.ts'
import { manifestFlags, outputFormat, parseFlags, requireFile } from '../command.ts'
import type { Command } from '../command.ts'
import { renderPlanText } from '../render/plan-text.ts'
import type { RouterRegistry } from '@sluice/routers'
import { routerRegistryFor, routerSettingFlags, routerSettingFlagsHelp, routerSettingFlagsUsage } from '../traffic-routers.ts'
import { describeFieldError, loadManifest } from '../manifest.ts'
import type { Manifest } from '../manifest.ts'

const help = `Preview a Rollout update step by step, offline.

Usage: sluice plan -f FILE [-o text|json|yaml] [--abort-at N] ${routerSettingFlagsUsage}

FILE holds exactly one Rollout (argoproj.io/v1alpha1, canary strategy) and the Services and mesh
objects it references, as a multi-document YAML stream ("-" reads standard input). The plan assumes:
the Rollout's template is the new revision; the stable revision is an earlier one, fully available;
every pod becomes available at once; every pause is promoted or elapses.

Flags:
  -f, --filename FILE   the manifest (required)
  -o, --output FORMAT   text (default): a table of steps and what changes in each object;
                        json / yaml: the per-step states, including every object
      --abort-at N      abort during step N (0-based) and show the state once the abort settles
${routerSettingFlagsHelp}
  -h, --help            show this help

Each step's state: phase, canary and stable pods (new and previous revision), weights (null without
traffic routing), managed header/mirror routes, and every Service and mesh object, including the
ones the controller creates.

Exit codes: 0 ok; 1 invalid input (unreadable file, malformed YAML, not exactly one Rollout, an
invalid Rollout, a referenced object missing from the file); 2 usage error.

Examples:
  sluice plan -f examples/basic-canary.yaml
  sluice plan -f rollout.yaml -o json | jq '.steps[] | [.step, .canary.weight]'
  sluice plan -f rollout.yaml --abort-at 2
`

const options = { ...manifestFlags, ...routerSettingFlags, 'abort-at': { type: 'string' } } as const

export const planCommand: Command = {
  name: 'plan',
  help,
  flags: options,
  async run(argv, ctx) {
    const flags = parseFlags(argv, options)
    const file = requireFile(flags.filename)
    const format = outputFormat(flags.output, ['text', 'json', 'yaml'])
    const abortAt = parseStepIndex(flags['abort-at'])
    routerRegistryFor(flags, [])

    const manifest = await loadManifest(file, ctx)
    const registry = routerRegistryFor(flags, manifest.objects)
    if (abortAt !== undefined) checkAbortStep(abortAt, manifest)
    const result = await simulate(manifest, abortAt, registry)

    switch (format) {
      case 'json':
        ctx.stdout(`${JSON.stringify(result, null, 2)}\n`)
        break
      case 'yaml':
        ctx.stdout(stringify(result))
        break
      case 'text':
        ctx.stdout(
          renderPlanText({
            result,
            file,
            replicas: manifest.rollout.spec?.replicas ?? 1,
            stepCount: stepsOf(manifest).length,
            routers: configuredRouters(manifest.rollout),
            objects: manifest.objects,
            abortAt,
            palette: createPalette(ctx.color),
          }),
        )
        break
    }
    return EXIT.ok
  },
}

function parseStepIndex(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--abort-at takes a step index (0, 1, ...), not "${value}"`)
  return Number(value)
}

function stepsOf(manifest: Manifest): readonly unknown[] {
  const steps = manifest.rollout.spec?.strategy?.canary?.steps
  return Array.isArray(steps) ? steps : []
}

function checkAbortStep(abortAt: number, manifest: Manifest): void {
  const count = stepsOf(manifest).length
  if (abortAt < count) return
  throw new UsageError(
    count === 0
      ? `--abort-at ${abortAt} is out of range: the Rollout in ${manifest.file} has no steps`
      : `--abort-at ${abortAt} is out of range: the Rollout in ${manifest.file} has ${count} step${count === 1 ? '' : 's'} (0..${count - 1})`,
  )
}

async function simulate(manifest: Manifest, abortAt: number | undefined, registry: RouterRegistry): Promise<SimulationResult> {
  const { rollout } = manifest
  try {
    return await simulateRollout({
      rollout,
      objects: manifest.objects,
      routerCapabilities: registry.capabilities(),
      createRouters: (target, kube) => {
        const { routers, errors } = registry.create(rollout, kube, target)
        if (errors.length > 0) throw new SimulationError(`Rollout ${rollout.metadata.namespace}/${rollout.metadata.name} has a traffic router configuration that cannot be used`, errors)
        return routers
      },
      ...(abortAt !== undefined ? { abortAtStep: abortAt } : {}),
    })
  } catch (error) {
    if (error instanceof SimulationError) {
      throw new InputError(`${manifest.file}: ${error.message}`, error.errors.map((e) => describeFieldError(e, manifest)), { cause: error })
    }
    // A router that cannot carry out a step on the objects in the file (e.g. a route it cannot find).
    if (error instanceof AdapterError) throw new InputError(`${manifest.file}: ${error.message}`, [], { cause: error })
    throw error
  }
}
