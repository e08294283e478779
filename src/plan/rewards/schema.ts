/**
 * Rewards model inputs with ILLUSTRATIVE defaults — every rate is an input; check current values
 * before deciding. Sources and dates of the defaults:
 *  - stakingApr 0.029: Ethereum staking APR incl. execution rewards, ~2.8–3.0% through 2025
 *    (beaconcha.in / rated.network dashboards, 2025);
 *  - bondEth 8, commission 0.14: Rocket Pool LEB8 minipool (Atlas, 2023) with the 14% commission
 *    in force since Houston (2024); Saturn (2025–26) brings 4-ETH bonds and a different split —
 *    override for megapools;
 *  - ssvOperatorFeeEthPerYear 0.0028: the fee floor proposed for public SSV operators in
 *    ETH-denominated clusters (SSV DAO proposal after DIP-50, 2025);
 *  - ssvNetworkFeeAprShare 0.01: "set by DAO to be 1% of Ethereum APR" per validator
 *    (docs.ssv.network/learn/tokenomics/fees, 2025), i.e. 0.01 × APR × 32 ETH per year;
 *  - obolRewardShare 0.01: Obol's 1% of staking rewards to retroactive funding (Obol docs, 2024–25);
 *  - operatorCostEthPerYear 0.03: extra cost of running an SSV/Obol node beside your existing
 *    Rocket Pool node (RAM/CPU/bandwidth share, a little admin time) — a guess.
 */
import { z } from "zod";

/** Rewards configuration. */
export const rewardsConfigSchema = z.object({
  /** Your validators (minipools). */
  validators: z.number().int().min(0).default(10),
  stakingApr: z.number().min(0).max(1).default(0.029),
  bondEth: z.number().positive().max(32).default(8),
  commission: z.number().min(0).max(1).default(0.14),
  /** DVT protocol for your own validators. */
  protocol: z.enum(["ssv", "obol"]).default("ssv"),
  clusterSize: z.number().int().min(1).max(16).default(4),
  /** You run one of the shares yourself (you don't pay yourself an operator fee). */
  selfOperated: z.boolean().default(true),
  ssvOperatorFeeEthPerYear: z.number().min(0).default(0.0028),
  ssvNetworkFeeAprShare: z.number().min(0).max(1).default(0.01),
  obolRewardShare: z.number().min(0).max(1).default(0.01),
  /** Validators of other people you host as an operator (earning the operator fee). */
  hostedValidators: z.number().int().min(0).default(0),
  operatorCostEthPerYear: z.number().min(0).default(0.03),
});

/** Parsed rewards configuration. */
export type RewardsConfig = z.output<typeof rewardsConfigSchema>;
/** Rewards configuration as written (all optional). */
export type RewardsConfigInput = z.input<typeof rewardsConfigSchema>;
