import { describe, expect, it } from 'vitest'
import { parseQuantity } from './quantity.ts'

describe('parseQuantity', () => {
  it.each([
    // input → value
    [20, 20], // a number, as v1alpha2/v1alpha3 and hand-written v1alpha1 splits hold it
    ['20', 20], // a string, as Go clients (and Sluice) write v1alpha1 weights
    ['0', 0], // the canary at rest
    [' 80 ', 80], // stray whitespace
    ['500m', 0.5], // milli: the relative weights of the SMI spec's examples
    ['1500m', 1.5],
    ['1k', 1000], // decimal SI suffix
    ['1Ki', 1024], // binary suffix
    ['2e2', 200], // exponent
    ['1.5', 1.5], // decimal point
    ['.5', 0.5],
  ] as const)('%j → %d', (input, value) => {
    expect(parseQuantity(input)).toBe(value)
  })

  it.each([
    ['ten'], // not a number
    [''], // empty
    ['20%'], // a percentage is not a quantity
    ['1KB'], // unknown suffix
    [Number.NaN], // not finite
    [null], // absent
    [{ value: 20 }], // not a scalar
  ])('%j → undefined', (input) => {
    expect(parseQuantity(input)).toBeUndefined()
  })
})
