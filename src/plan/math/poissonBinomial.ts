/**
 * Poisson-binomial distribution: the number of successes among independent Bernoulli trials with
 * different probabilities p_i. Exact O(n²) recursion P_{i}(k) = P_{i−1}(k)(1−p_i) + P_{i−1}(k−1)p_i
 * (Barlow & Heidtmann, IEEE Trans. Reliability R-33(4), 1984; Hong, "On computing the distribution
 * function for the Poisson binomial distribution", CSDA 59, 2013, §2). Only additions of
 * non-negative terms, so tails as small as 1e-300 stay accurate.
 */

/**
 * Probability mass function: `pmf[k]` = P(exactly k of the trials succeed), k = 0..n.
 *
 * @example
 * poissonBinomialPmf([0.5, 0.5]); // [0.25, 0.5, 0.25]
 */
export function poissonBinomialPmf(probabilities: readonly number[]): number[] {
  const pmf = new Array<number>(probabilities.length + 1).fill(0);
  pmf[0] = 1;
  probabilities.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability ${p} is not in [0, 1]`);
    for (let k = i + 1; k >= 1; k--) pmf[k] = (pmf[k] ?? 0) * (1 - p) + (pmf[k - 1] ?? 0) * p;
    pmf[0] = (pmf[0] ?? 0) * (1 - p);
  });
  return pmf;
}

/**
 * P(at least `atLeast` of the trials succeed).
 *
 * @example
 * // 4 operators each failing with 5%: P(≥ 2 fail) — a 3-of-4 cluster loses liveness
 * poissonBinomialTail([0.05, 0.05, 0.05, 0.05], 2); // ≈ 0.0140
 */
export function poissonBinomialTail(probabilities: readonly number[], atLeast: number): number {
  if (atLeast <= 0) return 1;
  const pmf = poissonBinomialPmf(probabilities);
  let s = 0;
  for (let k = pmf.length - 1; k >= atLeast; k--) s += pmf[k] ?? 0;
  return Math.min(1, s);
}
