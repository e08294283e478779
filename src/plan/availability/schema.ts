/**
 * Availability & cost model input, validated with zod. Every default is an ILLUSTRATIVE value
 * (rpdvt authors, 2026-11; no public data set gives home-staker MTBF/MTTR or split-brain rates) —
 * override them with your own history (e.g. from your monitoring).
 */
import { z } from "zod";
import { DEFAULT_TOTAL_STAKED_ETH } from "./constants.js";

const prob = z.number().min(0).max(1);
const reliability = z.object({
  /** Mean time between unplanned outages, days. */
  mtbfDays: z.number().positive(),
  /** Mean outage length, hours. */
  mttrHours: z.number().positive(),
});

/** Availability configuration. */
export const availabilityConfigSchema = z.object({
  /** One machine (EL+CL+VC box): ~6 outages/year of ~4 h (illustrative). */
  machine: reliability.default({ mtbfDays: 60, mttrHours: 4 }),
  /** One site (home power/ISP, or a cloud region): ~4 outages/year of ~3 h (illustrative). */
  site: reliability.default({ mtbfDays: 90, mttrHours: 3 }),
  /** Total staked ETH, for the reward value of an attestation (default ~34 M, mid-2025). */
  totalStakedEth: z.number().positive().default(DEFAULT_TOTAL_STAKED_ETH),
  /** Override the isolated-slashing cost in ETH (default derived from the spec, ≈ 0.14 ETH). */
  slashingCostEth: z.number().nonnegative().optional(),
  /** Annual P(you slash yourself by mistake, e.g. a key running twice during a migration). */
  operatorErrorSlashing: prob.default(0.002),
  activePassive: z
    .object({
      /** Epochs before the standby takes over (detection + doppelganger wait): 4 ≈ 26 min. */
      delayEpochs: z.number().int().min(0).max(200).default(4),
      /** Standby in the same site as the primary (typical at home). */
      sameSite: z.boolean().default(true),
      /** P(a real failover ends with both signing, e.g. the primary comes back unfenced). */
      doubleSignPerFailover: prob.default(0.005),
      /** Failovers per year while the primary was actually fine (monitor lost sight of it). */
      falseFailoversPerYear: z.number().nonnegative().default(0.2),
      /** P(a false failover double-signs before anyone notices; doppelganger helps). */
      doubleSignPerFalseFailover: prob.default(0.1),
    })
    .default({
      delayEpochs: 4,
      sameSite: true,
      doubleSignPerFailover: 0.005,
      falseFailoversPerYear: 0.2,
      doubleSignPerFalseFailover: 0.1,
    }),
  vouchDirk: z
    .object({
      machines: z.number().int().min(1).max(12).default(3),
      vouchInstances: z.number().int().min(1).max(12).default(1),
      beaconNodes: z.number().int().min(1).max(12).default(3),
      dirkInstances: z.number().int().min(1).max(12).default(3),
      dirkThreshold: z.number().int().min(1).max(12).default(2),
      sameSite: z.boolean().default(true),
      /** Annual P(one Dirk instance signs something it should not: compromise, restored old DB). */
      instanceError: prob.default(0.005),
      /** Annual P(one admin mistake hits every Dirk instance at once). */
      sharedAdminError: prob.default(0.001),
    })
    .default({
      machines: 3,
      vouchInstances: 1,
      beaconNodes: 3,
      dirkInstances: 3,
      dirkThreshold: 2,
      sameSite: true,
      instanceError: 0.005,
      sharedAdminError: 0.001,
    }),
  dvt: z
    .object({
      operators: z.number().int().min(1).max(16).default(4),
      /** Threshold (default ⌈2n/3⌉). */
      threshold: z.number().int().min(1).optional(),
      /** How many of the operators share one site (same cloud region): correlated failures. */
      sharedSite: z.number().int().min(0).max(16).default(0),
      /** Annual P(one operator is malicious or compromised). */
      pMalicious: prob.default(0.01),
      /** Extra fraction of epochs missed by DV consensus overhead (0 = parity with solo). */
      consensusOverhead: prob.default(0),
    })
    .default({ operators: 4, sharedSite: 0, pMalicious: 0.01, consensusOverhead: 0 }),
});

/** Parsed availability configuration. */
export type AvailabilityConfig = z.output<typeof availabilityConfigSchema>;
/** Availability configuration as written (defaults optional). */
export type AvailabilityConfigInput = z.input<typeof availabilityConfigSchema>;
