/**
 * Sensitivity sweep for the trust chart: every operator and common-mode probability is multiplied
 * by m (capped at 1) while your own risks stay fixed, showing how wrong your estimates of the other
 * operators may be before the conclusion flips (where a scenario curve crosses the solo line).
 */
import { evaluateTrust, type TrustResult } from "./evaluate.js";
import type { TrustConfig } from "./schema.js";

/** Default multipliers: 0.1× … 10×, 25 log-spaced points. */
export const DEFAULT_MULTIPLIERS: number[] = Array.from(
  { length: 25 },
  (_, i) => 10 ** (-1 + i / 12),
);

/**
 * Evaluate the configuration at every multiplier.
 *
 * @example
 * trustSweep(config).map((p) => p.result.scenarios[0].safety.pAny);
 */
export function trustSweep(
  config: TrustConfig,
  multipliers: readonly number[] = DEFAULT_MULTIPLIERS,
): Array<{ multiplier: number; result: TrustResult }> {
  return multipliers.map((m) => ({ multiplier: m, result: evaluateTrust(config, m) }));
}
