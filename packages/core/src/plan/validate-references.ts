/**
 * Checks of the objects a Rollout references that the engine can make itself (spec §7.2): the
 * canary and stable Services. The routers check their own objects (`TrafficRouter.validate`).
 */
import type { ObservedService } from './observed.ts'
import type { Rollout } from '../api/rollout.ts'
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from '../api/labels.ts'
import { fieldError } from '../api/field-error.ts'
import type { FieldError } from '../api/field-error.ts'

export function validateServiceReferences(rollout: Rollout, services: readonly ObservedService[]): FieldError[] {
  const errors: FieldError[] = []
  const canary = rollout.spec?.strategy?.canary
  const labels = rollout.spec?.template?.metadata?.labels ?? {}
  for (const field of ['canaryService', 'stableService'] as const) {
    const name = canary?.[field]
    if (!name) continue
    const path = `spec.strategy.canary.${field}`
    const service = services.find((s) => s.name === name)
    if (!service) {
      errors.push(fieldError('not-found', path, `service "${name}" not found in namespace "${rollout.metadata.namespace ?? 'default'}"`, name))
      continue
    }
    for (const [key, value] of Object.entries(service.selector)) {
      if (key === POD_TEMPLATE_HASH_LABEL) continue
      if (labels[key] !== value) {
        errors.push(
          fieldError('invalid', path, `Service "${name}" selects ${key}=${value}, which the pod template's labels do not carry`, name),
        )
      }
    }
    const manager = service.annotations[MANAGED_BY_ANNOTATION]
    if (manager !== undefined && manager !== rollout.metadata.name) {
      errors.push(fieldError('invalid', path, `Service "${name}" is managed by another Rollout ("${manager}")`, name))
    }
  }
  return errors
}
