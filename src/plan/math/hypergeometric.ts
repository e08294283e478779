/**
 * Exact hypergeometric distribution with bigint arithmetic: drawing `draws` items without
 * replacement from `population` items of which `successes` are marked, the number X of marked
 * items drawn has P(X = i) = C(K, i)·C(N−K, n−i) / C(N, n) (e.g. Feller, "An Introduction to
 * Probability Theory and Its Applications" vol. 1, 3rd ed., §II.6). All binomials are exact
 * bigints, so large pools (10^6 shares) neither overflow nor lose precision; only the final ratio
 * is rounded to a double.
 */
import { bigRatioToNumber } from "./bigRatio.js";

/** Exact weights: `weights[i]` = C(K, i)·C(N−K, n−i) for i = 0..n, summing to `total` = C(N, n). */
export type HypergeometricWeights = { weights: bigint[]; total: bigint };

/**
 * Exact hypergeometric weights (numerators) and their total C(N, n).
 *
 * @example
 * hypergeometricWeights(5, 2, 2); // { weights: [3n, 6n, 1n], total: 10n }
 */
export function hypergeometricWeights(
  population: number,
  successes: number,
  draws: number,
): HypergeometricWeights {
  assertCounts(population, successes, draws);
  const a = binomialRow(successes, draws);
  const b = binomialRow(population - successes, draws);
  const weights: bigint[] = [];
  let total = 0n;
  for (let i = 0; i <= draws; i++) {
    const w = (a[i] ?? 0n) * (b[draws - i] ?? 0n);
    weights.push(w);
    total += w;
  }
  return { weights, total };
}

/**
 * P(X ≥ atLeast) for X ~ Hypergeometric(population N, successes K, draws n), exact up to the
 * final rounding to a double.
 *
 * @example
 * // 100 attacker shares, 30 honest, groups of 8: P(attacker holds ≥ 6 of a group)
 * hypergeometricTail(130, 100, 8, 6);
 */
export function hypergeometricTail(
  population: number,
  successes: number,
  draws: number,
  atLeast: number,
): number {
  const { weights, total } = hypergeometricWeights(population, successes, draws);
  return bigRatioToNumber(tailSum(weights, atLeast), total);
}

/** Σ weights[i] for i ≥ atLeast (exact). */
export function tailSum(weights: readonly bigint[], atLeast: number): bigint {
  let s = 0n;
  for (let i = Math.max(0, Math.ceil(atLeast)); i < weights.length; i++) s += weights[i] ?? 0n;
  return s;
}

/** C(m, j) for j = 0..upTo as exact bigints (0 when j > m), by C(m, j+1) = C(m, j)(m−j)/(j+1). */
function binomialRow(m: number, upTo: number): bigint[] {
  const row: bigint[] = [1n];
  let c = 1n;
  const M = BigInt(m);
  for (let j = 0; j < upTo; j++) {
    c = (c * (M - BigInt(j))) / BigInt(j + 1);
    row.push(c);
  }
  return row;
}

function assertCounts(population: number, successes: number, draws: number): void {
  for (const [name, v] of [
    ["population", population],
    ["successes", successes],
    ["draws", draws],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be an integer ≥ 0`);
  }
  if (successes > population || draws > population)
    throw new RangeError("successes and draws must not exceed population");
}
