/**
 * Wilson score interval for a binomial proportion (E. B. Wilson, "Probable inference, the law of
 * succession, and statistical inference", JASA 22(158), 1927; see also Brown, Cai & DasGupta,
 * "Interval estimation for a binomial proportion", Statistical Science 16(2), 2001). Behaves well
 * near 0 and 1, unlike the Wald interval.
 */

/** Two-sided 95% standard normal quantile, Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval [lo, hi] for `successes` out of `trials` (default 95%).
 *
 * @example
 * wilsonInterval(50, 100); // ≈ [0.404, 0.596]
 */
export function wilsonInterval(successes: number, trials: number, z = Z95): [number, number] {
  if (trials <= 0) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const denom = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
