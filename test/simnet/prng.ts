/**
 * Seeded PRNG for the simulated network: sfc32 (Chris Doty-Humphrey's "Small Fast Counting"
 * generator, PractRand-clean, 128-bit state) seeded through splitmix32 so nearby seeds give
 * unrelated streams. Deterministic across platforms (32-bit integer arithmetic only).
 */

/**
 * A deterministic random stream.
 *
 * @example
 * const rng = createPrng(42);
 * rng.next(); // float in [0, 1)
 * rng.int(6); // 0..5
 */
export type Prng = {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, max). */
  int(max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** `len` random bytes. */
  bytes(len: number): Uint8Array;
  /** An independent stream derived from this one (for per-component randomness). */
  fork(): Prng;
};

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * sfc32 seeded from a 32-bit seed.
 *
 * @example
 * const a = createPrng(7), b = createPrng(7);
 * a.next() === b.next(); // true
 */
export function createPrng(seed: number): Prng {
  const sm = splitmix32(seed);
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  return {
    next,
    int: (max) => Math.floor(next() * max),
    chance: (p) => p > 0 && next() < p,
    bytes(len) {
      const out = new Uint8Array(len);
      for (let i = 0; i < len; i++) out[i] = u32() & 0xff;
      return out;
    },
    fork: () => createPrng(u32()),
  };
}
