/**
 * Availability & cost per setup: expected missed attestations per year (exact stationary value,
 * ./exact.ts, plus an optional Monte Carlo check, ./monteCarlo.ts), their ETH cost, and the annual
 * slashing probability with its expected ETH cost:
 *  - solo: your own operational-error rate;
 *  - active-passive: operational error + split brain, 1 − exp(−(F·p_f + F_false·p_false)) with F
 *    the exact failover rate — BOTH machines hold the full key, so any moment both are active can
 *    double-sign;
 *  - Vouch + Dirk: P(≥ t Dirk instances sign wrongly) (binomial) or one admin error hitting all;
 *  - DVT t-of-n: P(≥ t of n operators malicious) (binomial). No split brain: each operator holds one
 *    share and its own slashing DB, so a duplicated node still contributes one share; a slashable
 *    signature needs t colluding operators.
 */
import { parseWith } from "../../util/schema.js";
import { poissonBinomialTail } from "../math/poissonBinomial.js";
import { defaultThreshold } from "../threshold.js";
import { EPOCHS_PER_YEAR, isolatedSlashingCostEth, missedAttestationCostEth } from "./constants.js";
import { availabilityExact } from "./exact.js";
import {
  type AvailabilityMc,
  type AvailabilityMcOptions,
  availabilityMonteCarlo,
} from "./monteCarlo.js";
import { type AvailabilityConfig, availabilityConfigSchema } from "./schema.js";
import { buildSetups } from "./setups.js";

/** One setup's result. */
export type SetupResult = {
  name: string;
  missedFraction: number;
  missedPerYear: number;
  missedCostEthPerYear: number;
  failoversPerYear: number;
  pSlashingPerYear: number;
  slashingNote: string;
  expectedSlashingCostEthPerYear: number;
  expectedTotalCostEthPerYear: number;
  monteCarlo: AvailabilityMc | null;
};

/** Result of {@link evaluateAvailability}. */
export type AvailabilityResult = {
  missedAttestationCostEth: number;
  slashingCostEth: number;
  setups: SetupResult[];
};

/**
 * Validate an availability configuration (all fields optional).
 *
 * @example
 * parseAvailabilityConfig({ dvt: { operators: 7 } }).dvt.operators; // 7
 */
export function parseAvailabilityConfig(input: unknown, file?: string): AvailabilityConfig {
  return parseWith(
    availabilityConfigSchema,
    input ?? {},
    "Invalid availability configuration",
    file,
  );
}

/**
 * Evaluate all setups; with `monteCarlo` options also simulate each one.
 *
 * @example
 * evaluateAvailability(parseAvailabilityConfig({}), { replications: 100 }).setups[0].missedPerYear;
 */
export function evaluateAvailability(
  cfg: AvailabilityConfig,
  monteCarlo?: AvailabilityMcOptions,
): AvailabilityResult {
  const missCost = missedAttestationCostEth(cfg.totalStakedEth);
  const slashCost = cfg.slashingCostEth ?? isolatedSlashingCostEth(cfg.totalStakedEth);
  const setups = buildSetups(cfg).map((sys, idx): SetupResult => {
    const ex = availabilityExact(sys);
    const isDvt = sys.name.startsWith("dvt");
    const missedFraction = isDvt
      ? 1 - (1 - ex.missedFraction) * (1 - cfg.dvt.consensusOverhead)
      : ex.missedFraction;
    const failoversPerYear = ex.failoversPerEpoch * EPOCHS_PER_YEAR;
    const { p, note } = slashing(cfg, idx, failoversPerYear);
    const missedPerYear = missedFraction * EPOCHS_PER_YEAR;
    const mc = monteCarlo ? availabilityMonteCarlo(sys, monteCarlo) : null;
    return {
      name: sys.name,
      missedFraction,
      missedPerYear,
      missedCostEthPerYear: missedPerYear * missCost,
      failoversPerYear,
      pSlashingPerYear: p,
      slashingNote: note,
      expectedSlashingCostEthPerYear: p * slashCost,
      expectedTotalCostEthPerYear: missedPerYear * missCost + p * slashCost,
      monteCarlo: mc,
    };
  });
  return { missedAttestationCostEth: missCost, slashingCostEth: slashCost, setups };
}

function slashing(
  cfg: AvailabilityConfig,
  idx: number,
  failoversPerYear: number,
): { p: number; note: string } {
  const err = cfg.operatorErrorSlashing;
  switch (idx) {
    case 0:
      return { p: err, note: "your own operational errors only" };
    case 1: {
      const ap = cfg.activePassive;
      const rate =
        failoversPerYear * ap.doubleSignPerFailover +
        ap.falseFailoversPerYear * ap.doubleSignPerFalseFailover;
      return {
        p: 1 - (1 - err) * Math.exp(-rate),
        note: "both machines hold the full key: split brain (both active) double-signs",
      };
    }
    case 2: {
      const vd = cfg.vouchDirk;
      const tail = poissonBinomialTail(
        new Array<number>(vd.dirkInstances).fill(vd.instanceError),
        vd.dirkThreshold,
      );
      return {
        p: 1 - (1 - vd.sharedAdminError) * (1 - tail),
        note: `needs ≥ ${vd.dirkThreshold} Dirk instances to sign wrongly (same admin: correlated)`,
      };
    }
    default: {
      const n = cfg.dvt.operators;
      const t = cfg.dvt.threshold ?? defaultThreshold(n);
      return {
        p: poissonBinomialTail(new Array<number>(n).fill(cfg.dvt.pMalicious), t),
        note: `needs ≥ ${t} of ${n} operators malicious; no split-brain risk`,
      };
    }
  }
}
