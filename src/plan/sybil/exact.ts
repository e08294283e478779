/**
 * Exact Sybil analysis of permissionless grouping. A pool of N = a + b shares (a attacker, b
 * honest) is partitioned uniformly at random into m = ⌊N/g⌋ groups of g (the N mod g leftover
 * shares stay unassigned). Each group is a uniform g-subset of the pool, so the attacker's count X
 * in a group is Hypergeometric(N, a, g) (Feller vol. 1 §II.6):
 *  - full control (can sign anything, including slashable messages): X ≥ t;
 *  - blocking / hostage (honest shares alone cannot reach t): X ≥ g − t + 1;
 *  - expected number of controlled groups = m·P(X ≥ t) (linearity of expectation; the groups are
 *    dependent but expectation does not care).
 * Everything is exact bigint arithmetic, rounded to doubles at the end.
 */

import { bigRatioToNumber } from "../math/bigRatio.js";
import { hypergeometricWeights, tailSum } from "../math/hypergeometric.js";
import { probabilityAnyGroupReaches } from "./anyGroup.js";
import { parseSybilParams, type ResolvedSybilParams, type SybilParams } from "./params.js";

/** Result of {@link sybilExact}. */
export type SybilExact = ResolvedSybilParams & {
  /** Groups formed, ⌊N/g⌋. */
  groups: number;
  /** Shares left over (not in any group), N mod g. */
  leftoverShares: number;
  /** Shares the attacker needs in a group to block it, g − t + 1. */
  blockingShares: number;
  /** P(attacker holds ≥ t shares of a given group). */
  pControl: number;
  /** P(attacker holds ≥ g − t + 1 shares of a given group). */
  pBlock: number;
  /** m·pControl. */
  expectedControlledGroups: number;
  /** m·pBlock. */
  expectedBlockedGroups: number;
  /** P(at least one of the m groups is controlled); null when too large to compute exactly. */
  pAnyControlled: number | null;
  /** P(at least one of the m groups is blocked); null when too large to compute exactly. */
  pAnyBlocked: number | null;
  /** P(X = i), i = 0..g, for a given group. */
  pmf: number[];
};

/**
 * Exact probabilities that a randomly formed group is controlled or blocked by the attacker.
 *
 * @example
 * // the forum example: 100 attacker shares, 30 honest, groups of 8, t = 6
 * const r = sybilExact({ attackerShares: 100, honestShares: 30, groupSize: 8, threshold: 6 });
 * r.pControl; // ≈ 0.7295
 */
export function sybilExact(input: SybilParams): SybilExact {
  const p = parseSybilParams(input);
  const { attackerShares: a, honestShares: b, groupSize: g, threshold: t } = p;
  const N = a + b;
  const groups = Math.floor(N / g);
  const { weights, total } = hypergeometricWeights(N, a, g);
  const pControl = bigRatioToNumber(tailSum(weights, t), total);
  const blockingShares = g - t + 1;
  const pBlock = bigRatioToNumber(tailSum(weights, blockingShares), total);
  return {
    ...p,
    groups,
    leftoverShares: N - groups * g,
    blockingShares,
    pControl,
    pBlock,
    expectedControlledGroups: groups * pControl,
    expectedBlockedGroups: groups * pBlock,
    pAnyControlled: probabilityAnyGroupReaches(a, b, g, t),
    pAnyBlocked: probabilityAnyGroupReaches(a, b, g, blockingShares),
    pmf: weights.map((w) => bigRatioToNumber(w, total)),
  };
}
