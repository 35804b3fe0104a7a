/**
 * The Argo Rollouts kinds besides Rollout that Argo's CLI acts on by name (`terminate analysisrun`,
 * `terminate experiment`, `retry experiment`): their spellings on the command line, and the one
 * write each of those commands makes.
 */
import type { KubeApi, KubeObject } from '@sluice/core'

/** kubectl's singular, plural and short names, as Argo's subcommands accept them. */
export const analysisRunKinds: readonly string[] = ['analysisrun', 'analysisruns', 'ar']
export const experimentKinds: readonly string[] = ['experiment', 'experiments', 'exp']

const ARGO_API_VERSION = 'argoproj.io/v1alpha1'

/**
 * A JSON merge patch of one Argo object; answers `experiment "shop/x" retried`. A missing object
 * is the server's 404, a kind the cluster does not serve the API client's discovery error: the
 * caller's `Connection` turns both into one line.
 */
export async function patchArgoObject(api: KubeApi, kind: 'AnalysisRun' | 'Experiment', ref: { namespace: string; name: string }, patch: Record<string, unknown>, done: string): Promise<string> {
  const patched = await api.mergePatch<KubeObject>({ apiVersion: ARGO_API_VERSION, kind, namespace: ref.namespace, name: ref.name }, patch)
  return `${kind === 'AnalysisRun' ? 'analysisrun' : 'experiment'} "${ref.namespace}/${patched.metadata.name ?? ref.name}" ${done}`
}
