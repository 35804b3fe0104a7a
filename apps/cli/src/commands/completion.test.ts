import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runSluice } from '../__fixtures__/run-sluice.ts'

/** What bash completes for `words` (the last one being completed) with the script sourced. */
function bashCompletes(script: string, words: string[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-completion-')), 'sluice.bash')
  writeFileSync(file, script)
  const line = words.map((w) => `'${w}'`).join(' ')
  const run = spawnSync('bash', ['--norc', '--noprofile', '-c', `source "$1"; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _sluice; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', file], { encoding: 'utf8' })
  expect(run.stderr).toBe('')
  return run.stdout.split('\n').filter((l) => l !== '').sort()
}

describe('sluice completion', () => {
  it('bash: registers for sluice and kubectl-sluice', async () => {
    const { stdout, code } = await runSluice(['completion', 'bash'])
    expect(code).toBe(0)
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-completion-')), 'sluice.bash')
    writeFileSync(file, stdout)
    const run = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source "$1" && complete -p sluice kubectl-sluice', 'bash', file], { encoding: 'utf8' })
    expect(run.stdout).toBe('complete -o default -F _sluice sluice\ncomplete -o default -F _sluice kubectl-sluice\n')
  })

  it.each([
    // the words typed (the last is being completed) → what bash offers
    [['sluice', 'pro'], ['promote']],
    [['sluice', 're'], ['restart', 'resume', 'retry']],
    [['sluice', 'get', ''], ['rollout', 'rollouts']],
    [['sluice', 'get', 'rollout', 'web', '--w'], ['--watch']],
    [['sluice', 'list', '--ti'], ['--timestamps']],
    [['sluice', 'status', 'web', '--ti'], ['--timeout']],
    [['sluice', 'restart', 'web', '--i'], ['--in', '--insecure-skip-tls-verify']],
    [['sluice', 'completion', ''], ['bash', 'fish', 'zsh']],
    [['sluice', 'set', ''], ['image']],
    [['sluice', 'get', 'rollout', 'web', '-o', ''], ['json', 'text', 'yaml']],
    // a global flag and its value before the command do not count as the command
    [['sluice', '-n', 'shop', 'sta'], ['status']],
    [['sluice', '--context', 'prod', 'get', 'ro'], ['rollout', 'rollouts']],
    [['sluice', '--as-'], ['--as-group', '--as-uid']],
    // the value of a flag is not completed as a word
    [['sluice', 'get', 'rollout', 'web', '--context', ''], []],
  ])('bash: %j → %j', async (words, offered) => {
    const { stdout } = await runSluice(['completion', 'bash'])
    expect(bashCompletes(stdout, words)).toEqual(offered)
  })

  it('bash: file names after -f', async () => {
    const { stdout } = await runSluice(['completion', 'bash'])
    const dir = mkdtempSync(join(tmpdir(), 'sluice-files-'))
    writeFileSync(join(dir, 'rollout.yaml'), '')
    expect(bashCompletes(stdout, ['sluice', 'create', '-f', `${dir}/ro`])).toEqual([`${dir}/rollout.yaml`])
  })

  it('zsh and fish: every command and its flags are in the script', async () => {
    const zsh = (await runSluice(['completion', 'zsh'])).stdout
    expect(zsh).toMatch(/^#compdef sluice kubectl-sluice\n/)
    expect(zsh).toContain("'promote:Promote a paused Rollout to its next step (--full: to the end)'")
    expect(zsh).toContain("cmd_flags[list]='--kubeconfig ")
    expect(zsh).toMatch(/cmd_flags\[list\]='[^']* --timestamps /)
    expect(zsh).toContain("cmd_firsts[get]='rollout rollouts'")
    const fish = (await runSluice(['completion', 'fish'])).stdout
    expect(fish).toContain('complete -c $program -n "not __fish_seen_subcommand_from get list status promote abort retry pause resume restart set undo create terminate plan lint completion version" -a status')
    expect(fish).toContain('complete -c $program -n "__fish_seen_subcommand_from status" -l timeout -s t -x')
    expect(fish).toContain('complete -c $program -n "__fish_seen_subcommand_from create" -l filename -s f -r -F')
  })
})
