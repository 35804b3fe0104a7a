/** Which code was measured: the commit, and whether the controller's sources differed from it. */
import { execFileSync } from 'node:child_process'

export interface GitState {
  commit: string | undefined
  /** Uncommitted changes under the controller's sources (apps/controller/src, packages/{core,kube,smi}/src). */
  controllerSourcesModified: boolean | undefined
}

export function gitState(repoRoot: string): GitState {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim()
  try {
    const commit = git('rev-parse', 'HEAD')
    const dirty = git('status', '--porcelain', '--', 'apps/controller/src', 'packages/kube/src', 'packages/core/src', 'packages/smi/src')
    return { commit, controllerSourcesModified: dirty.length > 0 }
  } catch {
    return { commit: undefined, controllerSourcesModified: undefined }
  }
}
