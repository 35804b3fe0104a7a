import { describe, expect, it } from 'vitest'
import { swapServiceName } from './service-reference.ts'

const swap = { from: 'web-stable', to: 'web-canary', namespace: 'default' }

describe('swapServiceName', () => {
  it.each([
    // spec.service of the base Mapping → of the canary Mapping
    ['web-stable', 'web-canary'], // bare name
    ['web-stable.default', 'web-canary.default'], // with the namespace
    ['web-stable:8080', 'web-canary:8080'], // with a port
    ['web-stable.default:80', 'web-canary.default:80'],
    ['http://web-stable', 'http://web-canary'], // scheme kept (upstream issue #3593 lost it)
    ['https://web-stable.default:443', 'https://web-canary.default:443'],
    ['web-stable.default.svc.cluster.local', 'web-canary.default.svc.cluster.local'], // FQDN
    ['http://web-stable.default.svc.cluster.local:8080', 'http://web-canary.default.svc.cluster.local:8080'],
    [' web-stable ', 'web-canary'], // stray whitespace
  ])('%j → %j', (service, expected) => {
    expect(swapServiceName(service, swap)).toBe(expected)
  })

  it.each([
    // spec.service that does not address the stable Service → undefined (upstream replaced the first substring match)
    ['web-stable-v2'], // another Service whose name starts with the stable one's
    ['old-web-stable'], // another Service whose name ends with it
    ['webapp.web-stable'], // Service webapp in a namespace called web-stable
    ['web-stable.other'], // the stable Service's namesake in another namespace
    ['web'], // another Service
    ['10.0.0.7:8080'], // an address
    ['http://'], // no host
    [''], // empty
    ['web-stable:http'], // a named port is not valid here
  ])('%j → undefined', (service) => {
    expect(swapServiceName(service, swap)).toBeUndefined()
  })
})
