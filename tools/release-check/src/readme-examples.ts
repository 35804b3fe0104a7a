/**
 * The documented examples of a README: each fenced block right after a `<!-- release-check -->`
 * line. The release check runs them against the installed tarballs, so a README example that stops
 * working fails the release.
 *
 *   <!-- release-check -->            then a ```ts block  → compiled (nodenext) and run with node
 *   <!-- release-check -->            then a ```sh block  → run with bash, the package's bins on PATH
 *   <!-- release-check: rollout.yaml --> then any block  → written as rollout.yaml beside the others
 */
export interface ReadmeExample {
  kind: 'ts' | 'sh' | 'file'
  /** The file name for `file`; `example.ts` / `example.sh` numbered by position otherwise. */
  name: string
  code: string
  /** 1-based line of the opening fence, for messages. */
  line: number
}

const MARKER = /^<!--\s*release-check(?::\s*(\S+))?\s*-->\s*$/

export function readmeExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n')
  const examples: ReadmeExample[] = []
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i] ?? '')
    if (!marker) continue
    const fence = /^(```+)\s*(\w*)/.exec(lines[i + 1] ?? '')
    if (!fence) throw new Error(`line ${i + 1}: a release-check marker must be followed by a fenced code block`)
    const end = lines.findIndex((l, j) => j > i + 1 && l.startsWith(fence[1] ?? '```'))
    if (end < 0) throw new Error(`line ${i + 2}: the code block is not closed`)
    const code = lines.slice(i + 2, end).join('\n') + '\n'
    const file = marker[1]
    const lang = fence[2] ?? ''
    if (file) examples.push({ kind: 'file', name: file, code, line: i + 2 })
    else if (lang === 'ts') examples.push({ kind: 'ts', name: `example-${examples.length + 1}.ts`, code, line: i + 2 })
    else if (lang === 'sh' || lang === 'bash') examples.push({ kind: 'sh', name: `example-${examples.length + 1}.sh`, code, line: i + 2 })
    else throw new Error(`line ${i + 2}: a release-check block must be ts or sh (or name a file)`)
    i = end
  }
  return examples
}
