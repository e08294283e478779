/**
 * Common-mode (shared-cause) correlation by conditioning: independent "shock" factors (a hosting
 * provider outage, a jurisdiction's crackdown) each occur with probability q_j; given which shocks
 * occurred, everything else is independent. Total probability = Σ over the 2^k shock patterns of
 * Π_j q_j^{s_j}(1−q_j)^{1−s_j} × P(event | pattern) — the law of total probability, as in the
 * beta-factor / shared-cause models of reliability engineering (NUREG/CR-5485, 1998, §5).
 */

/** Largest number of factors enumerated (2^16 patterns). */
export const MAX_COMMON_MODE_FACTORS = 16;

/**
 * Average `evaluate(active)` over all on/off patterns of independent factors with the given
 * probabilities (`active[j]` is true when factor j occurred).
 *
 * @example
 * // a 10% shock that makes failure certain, otherwise 1%:
 * mixOverFactors([0.1], ([shock]) => (shock ? 1 : 0.01)); // 0.109
 */
export function mixOverFactors(
  probabilities: readonly number[],
  evaluate: (active: boolean[]) => number,
): number {
  const k = probabilities.length;
  if (k > MAX_COMMON_MODE_FACTORS)
    throw new RangeError(`at most ${MAX_COMMON_MODE_FACTORS} common-mode factors`);
  let total = 0;
  for (let mask = 0; mask < 1 << k; mask++) {
    let w = 1;
    const active: boolean[] = [];
    for (let j = 0; j < k; j++) {
      const on = (mask & (1 << j)) !== 0;
      const q = probabilities[j] ?? 0;
      w *= on ? q : 1 - q;
      active.push(on);
    }
    if (w > 0) total += w * evaluate(active);
  }
  return total;
}
