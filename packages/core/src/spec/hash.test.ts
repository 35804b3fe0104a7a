import { describe, expect, it } from 'vitest'
import type { CanaryStep } from '../api/rollout.ts'
import { stepsHash } from './hash.ts'
import { goJsonOfSteps } from './go-json.ts'

/**
 * Expected values: Argo Rollouts v1.10.2's own `conditions.ComputeStepHash`, run on the same steps
 * (a Go program built against the module in tools/argo-rollouts/go, reading one Rollout's steps per
 * line). Equal hashes mean neither controller restarts the steps of a Rollout the other was running.
 */
const ARGO_STEP_HASHES: [unknown, string][] = [
  // no steps field (a nil slice)
  [undefined, '5ffbfbbd64'],
  // an empty list
  [[], '5f8cb5778f'],
  // weights and pauses: empty, a number, a duration string
  [[{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": 30}}, {"pause": {"duration": "1m"}}], '5ffcd46977'],
  // setCanaryScale: replicas, weight, matchTrafficWeight true and false (false is omitted)
  [[{"setCanaryScale": {"replicas": 3}}, {"setCanaryScale": {"weight": 25}}, {"setCanaryScale": {"matchTrafficWeight": true}}, {"setCanaryScale": {"matchTrafficWeight": false}}], '65f4498b58'],
  // header routes, with HTML-sensitive characters Go escapes, and a removal
  [[{"setHeaderRoute": {"name": "h", "match": [{"headerName": "X-Canary", "headerValue": {"exact": "yes"}}, {"headerName": "ua", "headerValue": {"regex": "<Chrome>&"}}]}}, {"setHeaderRoute": {"name": "h"}}], '7c485d75f'],
  // a mirror route with method, path and headers (map keys sorted), and a removal
  [[{"setMirrorRoute": {"name": "m", "percentage": 40, "match": [{"method": {"exact": "GET"}, "path": {"prefix": "/api"}, "headers": {"zeta": {"exact": "1"}, "alpha": {"prefix": "a"}}}]}}, {"setMirrorRoute": {"name": "m"}}], 'f75dbb9'],
  // a duration written as a string of digits stays a string; a weight of 0 is kept
  [[{"pause": {"duration": "30"}}, {"setWeight": 0}, {"setWeight": 100, "pause": {"duration": 5}}], '64fc5f4c46'],
  // an analysis step with templates, args (value, podTemplateHashValue, fieldRef), dryRun, retention, metadata
  [[{"analysis": {"templates": [{"templateName": "success-rate"}, {"templateName": "c", "clusterScope": true}], "args": [{"name": "svc", "value": "x"}, {"name": "h", "valueFrom": {"podTemplateHashValue": "Latest"}}, {"name": "f", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}], "dryRun": [{"metricName": "m"}], "measurementRetention": [{"metricName": "m", "limit": 5}], "analysisRunMetadata": {"labels": {"b": "1", "a": "2"}}}}], '6dff47f5b4'],
  // a plugin step: its config as the API server serves it (keys sorted)
  [[{"plugin": {"name": "org/p", "config": {"a": [1, 2], "b": "<x>"}}}], '8c9bb697b'],
  // a field Argo Rollouts does not know is dropped
  [[{"setWeight": 10, "unknownField": 1}], '54b5fccf74'],
  // an experiment step (templates, analyses, scale-down delay)
  [[{"experiment": {"duration": "5m", "templates": [{"name": "c", "specRef": "canary", "replicas": 1, "weight": 5, "selector": {"matchLabels": {"app": "x"}}, "service": {}}, {"name": "b", "specRef": "stable", "metadata": {"labels": {"k": "v"}}}], "analyses": [{"name": "a", "templateName": "t", "requiredForCompletion": true, "args": [{"name": "n", "value": "v"}]}], "scaleDownDelaySeconds": 30}}], '67f85d55f4'],
  // a header match without headerValue (Go writes null)
  [[{"setHeaderRoute": {"match": [{"headerName": "h"}]}}], '88476d9cf'],
]

describe('stepsHash', () => {
  it.each(ARGO_STEP_HASHES)('%j hashes as Argo Rollouts does (%s)', (steps, expected) => {
    expect(stepsHash(steps as CanaryStep[] | undefined)).toBe(expected)
  })

  it('changes with the order of the steps and with any value', () => {
    const a = stepsHash([{ setWeight: 20 }, { pause: {} }])
    expect(stepsHash([{ pause: {} }, { setWeight: 20 }])).not.toBe(a)
    expect(stepsHash([{ setWeight: 21 }, { pause: {} }])).not.toBe(a)
  })
})

describe('goJsonOfSteps', () => {
  it.each([
    // fields in Argo's declaration order, not in the order written
    [[{ pause: { duration: 10 }, setWeight: 5 }], '[{"setWeight":5,"pause":{"duration":10}}]'],
    // a pointer to 0 is kept, an unset pointer is left out
    [[{ setCanaryScale: { weight: 0 } }], '[{"setCanaryScale":{"weight":0}}]'],
    // a required pointer without a value is null; a required string is ""
    [[{ setHeaderRoute: { match: [{}] } }], '[{"setHeaderRoute":{"match":[{"headerName":"","headerValue":null}]}}]'],
    // mirror route: name is not omitempty
    [[{ setMirrorRoute: {} }], '[{"setMirrorRoute":{"name":""}}]'],
  ])('%j → %s', (steps, expected) => {
    expect(goJsonOfSteps(steps)).toBe(expected)
  })
})
