import { describe, expect, it } from 'vitest'
import { createMetrics } from './metrics.ts'

describe('sluice_api_requests', () => {
  it('counts the requests of every client it is given, by verb', async () => {
    const metrics = createMetrics()
    const uncached = { get: 0, list: 4, create: 7, replace: 0, patch: 1, delete: 0, watch: 5 }
    const cached = { get: 2, list: 0, create: 1, replace: 9, patch: 3, delete: 0, watch: 0 }
    metrics.countApiRequests(uncached, cached)
    const lines = (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('sluice_api_requests{'))
    expect(lines).toEqual([
      'sluice_api_requests{verb="get"} 2',
      'sluice_api_requests{verb="list"} 4',
      'sluice_api_requests{verb="create"} 8',
      'sluice_api_requests{verb="replace"} 9',
      'sluice_api_requests{verb="patch"} 4',
      'sluice_api_requests{verb="delete"} 0',
      'sluice_api_requests{verb="watch"} 5',
    ])
  })
})
