/**
 * `sluice completion bash|zsh|fish`: a script that completes sluice's commands, their first words
 * (`get rollout`, `set image`) and their flags, with file names after -f and --kubeconfig. The
 * words come from the command map, so a new command or flag completes without touching this file.
 */
import type { ParseArgsOptionsConfig } from 'node:util'
import { EXIT, UsageError } from '../cli-context.ts'
import { clusterFlags } from '../cluster-flags.ts'
import { parseCommandLine } from '../command.ts'
import type { Command } from '../command.ts'

const SHELLS = ['bash', 'zsh', 'fish'] as const
type Shell = (typeof SHELLS)[number]

/** Flags whose value is a file name. */
const FILE_FLAGS = new Set(['filename', 'kubeconfig', 'certificate-authority', 'client-certificate', 'client-key', 'cache-dir'])

const help = `Print a shell completion script for sluice (and kubectl-sluice).

Usage: sluice completion bash|zsh|fish

  bash:  source <(sluice completion bash)             (or save it in /etc/bash_completion.d/sluice)
  zsh:   source <(sluice completion zsh)              (or save it as _sluice in a directory of $fpath)
  fish:  sluice completion fish | source              (or save it in ~/.config/fish/completions/sluice.fish)

It completes the commands, the word after a command (get rollout, set image, completion bash, ...),
every flag of each command, file names after -f, --kubeconfig and the certificate flags, and the
formats after -o. Rollout names are not completed.
`

export const completionCommand: Command = {
  name: 'completion',
  help,
  flags: {},
  words: SHELLS,
  async run(argv, ctx) {
    const { positionals } = parseCommandLine(argv, {}, { what: 'the shell (bash, zsh or fish)', min: 1, max: 1 })
    const shell = positionals[0] as string
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`no completion for "${shell}" (shells: ${SHELLS.join(', ')})`)
    // The command map is imported here, not at the top: cli.ts imports this file.
    const { commands } = await import('../cli.ts')
    const specs = await Promise.all(Object.entries(commands).map(async ([name, entry]) => ({ name, summary: entry.summary, command: await entry.load() })))
    ctx.stdout(completionScript(shell as Shell, specs))
    return EXIT.ok
  },
}

export interface CompletionSpec {
  name: string
  summary: string
  command: Pick<Command, 'flags' | 'words'>
}

interface FlagWords {
  /** `--watch`, `-w`, ... */
  all: string[]
  /** The flags that take a value (so the word after them is no command or argument). */
  valued: string[]
  /** The flags whose value is a file. */
  files: string[]
}

function flagWords(flags: ParseArgsOptionsConfig): FlagWords {
  const words: FlagWords = { all: [], valued: [], files: [] }
  for (const [name, option] of Object.entries(flags)) {
    const spellings = [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]
    words.all.push(...spellings)
    if (option.type === 'string') words.valued.push(...spellings)
    if (FILE_FLAGS.has(name)) words.files.push(...spellings)
  }
  return words
}

export function completionScript(shell: Shell, specs: readonly CompletionSpec[]): string {
  switch (shell) {
    case 'bash':
      return bashScript(specs)
    case 'zsh':
      return zshScript(specs)
    case 'fish':
      return fishScript(specs)
  }
}

const union = (lists: readonly string[][]) => [...new Set(lists.flat())].sort()

function bashScript(specs: readonly CompletionSpec[]): string {
  const flags = specs.map((s) => ({ ...s, words: flagWords(s.command.flags) }))
  const valued = union(flags.map((f) => f.words.valued))
  const files = union(flags.map((f) => f.words.files))
  const cases = flags
    .map((f) => `    ${f.name}) flags="${[...f.words.all, '--help', '-h'].join(' ')}"; firsts="${(f.command.words ?? []).join(' ')}" ;;`)
    .join('\n')
  return `# bash completion for sluice: source <(sluice completion bash)
_sluice() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local valued=" ${valued.join(' ')} " files=" ${files.join(' ')} "
  local cmd="" args=0 i word
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      -*) [[ "$word" != *=* && "$valued" == *" $word "* ]] && ((i++)) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$word"; else ((args++)); fi ;;
    esac
  done
  if [[ "$files" == *" $prev "* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  if [[ "$prev" == "-o" || "$prev" == "--output" ]]; then
    COMPREPLY=($(compgen -W "text json yaml" -- "$cur"))
    return
  fi
  [[ "$valued" == *" $prev "* ]] && return
  local flags="" firsts=""
  case "$cmd" in
    "") flags="--help --version ${flagWords(clusterFlags).all.join(' ')}"; firsts="${specs.map((s) => s.name).join(' ')}" ;;
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [[ -z "$cmd" || $args -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$firsts" -- "$cur"))
  fi
}
complete -o default -F _sluice sluice kubectl-sluice
`
}

function zshScript(specs: readonly CompletionSpec[]): string {
  const flags = specs.map((s) => ({ ...s, words: flagWords(s.command.flags) }))
  const valued = union(flags.map((f) => f.words.valued))
  const files = union(flags.map((f) => f.words.files))
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  return `#compdef sluice kubectl-sluice
# zsh completion for sluice: source <(sluice completion zsh), or save as _sluice in $fpath
_sluice() {
  local -a sluice_commands valued files
  sluice_commands=(
${specs.map((s) => `    ${quote(`${s.name}:${s.summary}`)}`).join('\n')}
  )
  valued=(${valued.join(' ')})
  files=(${files.join(' ')})
  local -A cmd_flags cmd_firsts
${flags.map((f) => `  cmd_flags[${f.name}]=${quote([...f.words.all, '--help', '-h'].join(' '))}\n  cmd_firsts[${f.name}]=${quote((f.command.words ?? []).join(' '))}`).join('\n')}
  local cmd="" i word
  integer args=0
  for ((i = 2; i < CURRENT; i++)); do
    word=\${words[i]}
    case $word in
      -*) if [[ $word != *=* && \${valued[(Ie)$word]} -gt 0 ]]; then ((i++)); fi ;;
      *) if [[ -z $cmd ]]; then cmd=$word; else ((args++)); fi ;;
    esac
  done
  local prev=\${words[CURRENT-1]} cur=\${words[CURRENT]}
  if [[ \${files[(Ie)$prev]} -gt 0 ]]; then _files; return; fi
  if [[ $prev == -o || $prev == --output ]]; then compadd text json yaml; return; fi
  if [[ \${valued[(Ie)$prev]} -gt 0 ]]; then return; fi
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then compadd -- --help --version ${flagWords(clusterFlags).all.join(' ')}; else _describe 'command' sluice_commands; fi
    return
  fi
  if [[ $cur == -* ]]; then
    compadd -- \${=cmd_flags[$cmd]}
  elif (( args == 0 )); then
    compadd -- \${=cmd_firsts[$cmd]}
  fi
}
if [[ \${funcstack[1]} == _sluice ]]; then
  _sluice "$@"
else
  compdef _sluice sluice kubectl-sluice
fi
`
}

function fishScript(specs: readonly CompletionSpec[]): string {
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  const names = specs.map((s) => s.name).join(' ')
  const lines = [
    '# fish completion for sluice: sluice completion fish | source',
    'for program in sluice kubectl-sluice',
    '  complete -c $program -f',
    ...specs.map((s) => `  complete -c $program -n "not __fish_seen_subcommand_from ${names}" -a ${s.name} -d ${quote(s.summary)}`),
  ]
  for (const s of specs) {
    const when = `-n "__fish_seen_subcommand_from ${s.name}"`
    if (s.command.words?.length) lines.push(`  complete -c $program ${when} -a ${quote(s.command.words.join(' '))}`)
    for (const [name, option] of Object.entries(s.command.flags)) {
      const value = option.type === 'string' ? (FILE_FLAGS.has(name) ? ' -r -F' : name === 'output' ? " -x -a 'text json yaml'" : ' -x') : ''
      lines.push(`  complete -c $program ${when} -l ${name}${option.short ? ` -s ${option.short}` : ''}${value}`)
    }
  }
  lines.push('end', '')
  return lines.join('\n')
}
