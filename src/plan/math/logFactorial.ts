/**
 * ln(n!) in double precision: exact summation for n < 256, Stirling's series beyond
 * (ln Γ(n+1) = n ln n − n + ½ ln(2πn) + 1/(12n) − 1/(360n³) + 1/(1260n⁵) − 1/(1680n⁷);
 * Abramowitz & Stegun 6.1.41). Used for log-space cross-checks of the exact bigint results.
 */

const TABLE: number[] = [0];
for (let i = 1; i < 256; i++) TABLE.push((TABLE[i - 1] ?? 0) + Math.log(i));

/**
 * ln(n!) for an integer n ≥ 0.
 *
 * @example
 * Math.exp(logFactorial(5)); // ≈ 120
 */
export function logFactorial(n: number): number {
  if (n < 256) return TABLE[n] ?? Number.NaN;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return (
    n * Math.log(n) -
    n +
    0.5 * Math.log(2 * Math.PI * n) +
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
  );
}

/**
 * ln C(n, k) (−Infinity when k < 0 or k > n).
 *
 * @example
 * Math.exp(logBinomial(10, 3)); // ≈ 120
 */
export function logBinomial(n: number, k: number): number {
  if (k < 0 || k > n) return Number.NEGATIVE_INFINITY;
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}
