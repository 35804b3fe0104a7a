/**
 * A seeded random source (mulberry32): the same seed gives the same scenario and the same fault
 * decisions, so a failed run can be replayed with `pnpm run chaos --seed S`. Timing on a real
 * cluster still varies, so a replay reproduces the choices, not every interleaving.
 */
export class Random {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let t = this.#state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  /** An independent source derived from this one's seed and `label` (so adding a draw in one place does not shift another's). */
  fork(label: string): Random {
    let h = this.#state ^ 0x9e3779b9
    for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0
    return new Random(h)
  }
}
