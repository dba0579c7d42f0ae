/**
 * A small seeded pseudo-random generator for the simulator: the same seed gives the same stream on
 * every platform and Node version. Not for cryptography.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [minInclusive, maxInclusive]. */
  int(minInclusive: number, maxInclusive: number): number;
  /** True with probability `p` (clamped to [0, 1]). */
  chance(p: number): boolean;
  /** A uniformly chosen element; throws `RangeError` for an empty list. */
  pick<T>(items: readonly T[]): T;
  /** An element chosen with probability proportional to its weight (weights ≥ 0, sum > 0). */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
}

/**
 * Creates an {@link Rng} (sfc32, seeded through the cyrb128 string hash). A number seed is hashed
 * as its decimal text, so `createRng(7)` and `createRng('7')` give the same stream.
 */
export function createRng(seed: number | string): Rng {
  const [a0, b0, c0, d0] = cyrb128(String(seed));
  let a = a0;
  let b = b0;
  let c = c0;
  let d = d0;
  const next32 = (): number => {
    // sfc32 (Chris Doty-Humphrey's PractRand "small fast chaotic" generator, 32-bit variant).
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs still echo the seed hash; discard them as the reference implementation advises.
  for (let i = 0; i < 15; i++) next32();

  const next = (): number => next32() / 4_294_967_296;
  const rng: Rng = {
    next,
    int(minInclusive, maxInclusive) {
      return minInclusive + Math.floor(next() * (maxInclusive - minInclusive + 1));
    },
    chance(p) {
      return next() < p;
    },
    pick(items) {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    weighted(entries) {
      let total = 0;
      for (const [, weight] of entries) total += weight;
      if (!(total > 0)) throw new RangeError('weighted needs a positive total weight');
      let r = next() * total;
      for (const [value, weight] of entries) {
        if (r < weight) return value;
        r -= weight;
      }
      // Floating-point rounding can leave r ≥ the last weight; fall back to the last positive entry.
      for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![1] > 0) return entries[i]![0];
      throw new RangeError('unreachable');
    },
  };
  return rng;
}

/** cyrb128 (bryc, public domain): four 32-bit seed words from a string. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
