/**
 * @sluice/client: operations on Rollouts through the Kubernetes API, with the same effects as Argo
 * Rollouts' kubectl plugin (so they drive a Sluice or an Argo Rollouts controller alike).
 */
export {
  promote,
  abort,
  retry,
  pause,
  resume,
  restart,
  setImage,
  undo,
  runOperation,
  getRollout,
  replicaSetsOf,
  decidePromote,
  decideAbort,
  decideRetry,
  decidePause,
  decideResume,
  decideRestart,
  decideSetImage,
  decideUndo,
  OperationRefused,
} from './operations.ts'
export type { RolloutClientApi, RolloutRef, OperationPatch } from './operations.ts'
