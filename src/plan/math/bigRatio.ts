/**
 * Exact rational → double: num/den for non-negative bigints, correctly scaled so that huge
 * numerators and denominators (binomial coefficients of large pools) never overflow or lose the
 * leading bits. Relative error ≤ 2^-52 (one rounding of a 64-bit quotient).
 */

/**
 * Convert the exact fraction `num / den` (bigints, den > 0) to the nearest-ish double.
 *
 * @example
 * bigRatioToNumber(1n, 3n); // 0.3333333333333333
 */
export function bigRatioToNumber(num: bigint, den: bigint): number {
  if (den <= 0n) throw new RangeError("denominator must be positive");
  if (num === 0n) return 0;
  const neg = num < 0n;
  const a = neg ? -num : num;
  // Scale so the integer quotient has ~64 significant bits.
  const shift = bitLength(den) - bitLength(a) + 64;
  const q = shift >= 0 ? (a << BigInt(shift)) / den : a / den / (1n << BigInt(-shift));
  let v = Number(q);
  let s = shift;
  // 2 ** -s underflows to 0 for s > 1074 even when the product is representable: scale in steps.
  while (s > 1000) {
    v *= 2 ** -1000;
    s -= 1000;
  }
  v *= 2 ** -s;
  return neg ? -v : v;
}

/**
 * Number of bits of a non-negative bigint (0 for 0).
 *
 * @example
 * bitLength(255n); // 8
 */
export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}
