/**
 * Normal-approximation 95% confidence interval of a mean from independent replications
 * (central limit theorem; sample standard deviation with Bessel's correction). Used for Monte Carlo
 * estimates that are averages over independent simulated years.
 */
import { Z95 } from "./wilson.js";

/** Mean, sample standard deviation and its 95% interval. */
export type MeanEstimate = { mean: number; sd: number; ci95: [number, number]; n: number };

/**
 * Mean of `samples` with a 95% normal-approximation confidence interval.
 *
 * @example
 * meanInterval([1, 2, 3, 4]).mean; // 2.5
 */
export function meanInterval(samples: ArrayLike<number>): MeanEstimate {
  const n = samples.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += samples[i] ?? 0;
  const mean = n > 0 ? sum / n : Number.NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((samples[i] ?? 0) - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const half = n > 0 ? (Z95 * sd) / Math.sqrt(n) : Number.NaN;
  return { mean, sd, ci95: [mean - half, mean + half], n };
}
