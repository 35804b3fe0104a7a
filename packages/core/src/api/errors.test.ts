import { describe, expect, it } from 'vitest'
import type * as errors from './errors.ts'
import { AdapterError, isTerminal, TerminalError } from './errors.ts'
import type * as types from './kube-object.ts'
import { isConflict, isNotFound, KubeApiError } from './kube-object.ts'

// A second copy of the module, as an app with two installed versions of @sluice/core has: the query
// string makes vite load and evaluate the file again, so its classes are distinct objects.
// The specifiers are variables so that TypeScript does not try to resolve them.
const errorsCopy = './errors.ts?second-copy'
const typesCopy = './kube-object.ts?second-copy'
const second = (await import(errorsCopy)) as typeof errors
const secondTypes = (await import(typesCopy)) as typeof types

describe('errors across copies of @sluice/core', () => {
  it('loads a distinct second copy (the premise of the other cases)', () => {
    expect(second.TerminalError).not.toBe(TerminalError)
    expect(Object.getPrototypeOf(new second.TerminalError('x'))).not.toBe(TerminalError.prototype)
  })

  it.each([
    // [what, error, terminal?]
    ['a TerminalError of this copy', new TerminalError('foreign object'), true],
    ['a TerminalError of the second copy', new second.TerminalError('foreign object'), true],
    ['a terminal AdapterError of the second copy', new second.AdapterError('istio', 'VirtualService a/b', 'no route', { terminal: true }), true],
    ['a transient AdapterError of the second copy', new second.AdapterError('istio', 'VirtualService a/b', 'timeout'), false],
    ['an object carrying the brand, made without any class', { [Symbol.for('@sluice/core.error')]: 'TerminalError', message: 'x' }, true],
    ['a branded AdapterError shape with terminal: true', { [Symbol.for('@sluice/core.error')]: 'AdapterError', terminal: true }, true],
    ['a branded AdapterError shape with terminal: "yes" (not a boolean)', { [Symbol.for('@sluice/core.error')]: 'AdapterError', terminal: 'yes' }, false],
    ['a plain Error named TerminalError (names are not brands)', Object.assign(new Error('x'), { name: 'TerminalError' }), false],
    ['a KubeApiError (branded, but not terminal)', new KubeApiError(409, 'Conflict', 'x'), false],
    ['undefined', undefined, false],
    ['a string', 'TerminalError', false],
  ])('isTerminal(%s) is %s', (_what, error, terminal) => {
    expect(isTerminal(error)).toBe(terminal)
    expect(second.isTerminal(error)).toBe(terminal)
  })

  it('instanceof recognises the other copy’s instances, both ways', () => {
    expect(new second.TerminalError('x')).toBeInstanceOf(TerminalError)
    expect(new TerminalError('x')).toBeInstanceOf(second.TerminalError)
    expect(new second.AdapterError('nginx', 'Ingress a/b', 'x')).toBeInstanceOf(AdapterError)
    expect(new second.TerminalError('x')).not.toBeInstanceOf(AdapterError)
    expect(new Error('x')).not.toBeInstanceOf(TerminalError)
    // Still an ordinary Error for everyone else.
    expect(new second.TerminalError('x')).toBeInstanceOf(Error)
  })

  it('a subclass keeps the prototype-chain meaning of instanceof and its parent’s brand', () => {
    class ForeignObjectError extends TerminalError {}
    expect(new ForeignObjectError('x')).toBeInstanceOf(TerminalError)
    expect(new TerminalError('x')).not.toBeInstanceOf(ForeignObjectError)
    expect(isTerminal(new ForeignObjectError('x'))).toBe(true)
  })

  it('isNotFound and isConflict read a KubeApiError of the second copy', () => {
    expect(isNotFound(new secondTypes.KubeApiError(404, 'NotFound', 'x'))).toBe(true)
    expect(isConflict(new secondTypes.KubeApiError(409, 'Conflict', 'x'))).toBe(true)
    expect(isConflict(new secondTypes.KubeApiError(404, 'NotFound', 'x'))).toBe(false)
    expect(new secondTypes.KubeApiError(500, 'InternalError', 'x')).toBeInstanceOf(KubeApiError)
  })

  it('the brand is not enumerable: errors print and serialise as before', () => {
    const error = new TerminalError('x')
    expect(Object.getOwnPropertySymbols(error)).toEqual([])
    expect(JSON.stringify({ ...error })).toBe('{"name":"TerminalError"}')
  })
})
