/**
 * Hypergeometric upper tail in log space (log-sum-exp over ln C(K,i) + ln C(N−K,n−i) − ln C(N,n)),
 * an independent double-precision route to the exact bigint result in ./hypergeometric.ts: used
 * to cross-check it and for pools too large for bigint work to be pleasant (relative error
 * ~1e-12 from the Stirling series and cancellation in ln n!).
 */
import { logBinomial } from "./logFactorial.js";

/**
 * P(X ≥ atLeast) for X ~ Hypergeometric(N, K, n), computed in log space.
 *
 * @example
 * hypergeometricTailLog(130, 100, 8, 6); // same as hypergeometricTail(130, 100, 8, 6) to ~1e-12
 */
export function hypergeometricTailLog(
  population: number,
  successes: number,
  draws: number,
  atLeast: number,
): number {
  const logTotal = logBinomial(population, draws);
  const lo = Math.max(atLeast, 0, draws - (population - successes));
  const hi = Math.min(successes, draws);
  const terms: number[] = [];
  for (let i = lo; i <= hi; i++) {
    terms.push(
      logBinomial(successes, i) + logBinomial(population - successes, draws - i) - logTotal,
    );
  }
  if (terms.length === 0) return 0;
  const m = Math.max(...terms);
  let s = 0;
  for (const t of terms) s += Math.exp(t - m);
  return Math.min(1, Math.exp(m) * s);
}
