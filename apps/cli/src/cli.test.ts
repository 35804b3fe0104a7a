import { describe, expect, it } from 'vitest'
import { hasStackTrace, manifest, rollout, runSluice } from './__fixtures__/run-sluice.ts'

const files = { 'r.yaml': manifest(rollout({ steps: [{ setWeight: 50 }] })) }

describe('sluice', () => {
  it.each([
    // arguments, exit code, stream, what it says
    [['--help'], 0, 'stdout', /^sluice: progressive delivery.*\n\nUsage: sluice <command> \[flags\]\n\nCommands:\n {2}plan {2}Preview a Rollout update step by step, offline\n {2}lint {2}Check a Rollout/s],
    [['-h'], 0, 'stdout', /^sluice: progressive delivery/],
    [['help'], 0, 'stdout', /^sluice: progressive delivery/],
    [['--version'], 0, 'stdout', /^0\.1\.0-test\n$/],
    [['plan', '--help'], 0, 'stdout', /^Preview a Rollout update step by step, offline\.\n\nUsage: sluice plan -f FILE \[-o text\|json\|yaml\] \[--abort-at N\]\n/],
    [['plan', '-f', 'r.yaml', '-h'], 0, 'stdout', /^Preview a Rollout update/],
    [['help', 'lint'], 0, 'stdout', /^Check a Rollout and the objects it references, offline\.\n\nUsage: sluice lint -f FILE \[-o text\|json\]\n/],
    [[], 2, 'stderr', /^sluice: progressive delivery.*Usage: sluice <command>/s],
    [['deploy'], 2, 'stderr', /^sluice: unknown command "deploy" \(commands: plan, lint\)\nRun 'sluice --help' for usage\.\n$/],
    [['--frobnicate'], 2, 'stderr', /^sluice: unknown flag --frobnicate \(flags go after the command: sluice <command> \[flags\]\)\n/],
    [['help', 'deploy'], 2, 'stderr', /^sluice: no help for unknown command "deploy"/],
    [['plan'], 2, 'stderr', /^sluice plan: flag -f, --filename is required\nRun 'sluice plan --help' for usage\.\n$/],
    [['plan', '-f'], 2, 'stderr', /^sluice plan: flag -f, --filename needs a value\n/],
    [['lint', '--output'], 2, 'stderr', /^sluice lint: flag -o, --output needs a value\n/],
    [['plan', '-f', 'r.yaml', '--abort-at'], 2, 'stderr', /^sluice plan: flag --abort-at needs a value\n/],
    [['lint', '-f', 'r.yaml', '-o', 'yaml'], 2, 'stderr', /^sluice lint: unknown output format "yaml" \(one of: text, json\)\n/],
  ] as const)('sluice %j → exit %i', async (argv, code, stream, text) => {
    const run = await runSluice([...argv], files)
    expect(run[stream]).toMatch(text)
    expect(run[stream === 'stdout' ? 'stderr' : 'stdout']).toBe('')
    expect(run.code).toBe(code)
  })

  it.each([
    // kubectl-like spellings of the same flags
    [['plan', '-f', 'r.yaml', '-o', 'json']],
    [['plan', '--filename', 'r.yaml', '--output', 'json']],
    [['plan', '--filename=r.yaml', '--output=json']],
    [['plan', '-fr.yaml', '-ojson']],
    [['plan', '-o', 'json', '-f', 'r.yaml']],
  ])('accepts %j', async (argv) => {
    const run = await runSluice(argv, files)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ rollout: 'default/web' })
  })

  it('reports an unexpected failure as one line, without a stack', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], files, {
      stdout: () => {
        throw new Error('EPIPE: broken pipe')
      },
    })
    expect(run.stderr).toBe('sluice: internal error: EPIPE: broken pipe\n')
    expect(run.code).toBe(1)
  })

  it('prints the stack of an unexpected failure with SLUICE_DEBUG=1', async () => {
    const run = await runSluice(['plan', '-f', 'r.yaml'], files, {
      debug: true,
      stdout: () => {
        throw new Error('EPIPE: broken pipe')
      },
    })
    expect(run.stderr).toMatch(/^sluice: internal error: EPIPE: broken pipe\nError: EPIPE: broken pipe\n\s+at /)
    expect(hasStackTrace(run.stderr)).toBe(true)
  })
})
