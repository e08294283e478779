/**
 * Seeded pseudo-random numbers for reproducible Monte Carlo: xoshiro128** (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", ACM TOMS 47(4), 2021; reference code
 * https://prng.di.unimi.it/xoshiro128starstar.c), state seeded from a 32-bit seed with SplitMix32
 * as the authors recommend. Not for cryptography.
 */

/** A seeded generator. */
export type Rng = {
  /** Next uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n), unbiased, 1 ≤ n ≤ 2^21. */
  int(n: number): number;
};

/**
 * Create a xoshiro128** generator from a seed (any safe integer; the same seed gives the same
 * stream on every platform).
 *
 * @example
 * const rng = createRng(42);
 * rng.int(6) + 1; // a die roll
 */
export function createRng(seed: number): Rng {
  let x = (Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32)) >>> 0;
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  return {
    nextU32,
    next: () => ((nextU32() >>> 5) * 67108864 + (nextU32() >>> 6)) / 9007199254740992,
    int(n: number): number {
      if (n <= 1) return 0;
      if (n > 2097152) {
        // Large n: plain rejection (u·n would exceed 2^53 below).
        const limit = 4294967296 - (4294967296 % n);
        let v = nextU32();
        while (v >= limit) v = nextU32();
        return v % n;
      }
      // Lemire's nearly divisionless method ("Fast random integer generation in an interval",
      // ACM TOMACS 29(1), 2019): the high 32 bits of u·n, rejecting the biased low range. Exact in
      // doubles since u·n < 2^53 for u < 2^32, n ≤ 2^21.
      let x = nextU32() * n;
      let hi = Math.floor(x * 2.3283064365386963e-10);
      let low = x - hi * 4294967296;
      if (low < n) {
        const threshold = (4294967296 - n) % n;
        while (low < threshold) {
          x = nextU32() * n;
          hi = Math.floor(x * 2.3283064365386963e-10);
          low = x - hi * 4294967296;
        }
      }
      return hi;
    },
  };
}

function rotl(v: number, k: number): number {
  return ((v << k) | (v >>> (32 - k))) >>> 0;
}
