/**
 * Rewards of a Rocket Pool node operator with and without DVT, per year, in ETH.
 *
 *  - Rocket Pool NO income per validator = APR × (bond + (32 − bond) × commission): rewards on
 *    your bond plus commission on the borrowed ETH (Rocket Pool docs, "Node operator rewards").
 *    RPL rewards are left out (they don't depend on DVT).
 *  - SSV cost per validator = (operators you pay) × operator fee + network fee, where the network
 *    fee = share × APR × 32 ETH (per 32 ETH effective balance). The NO pays it all although the
 *    validator's rewards are shared with rETH holders.
 *  - Obol cost per validator = share × the validator's whole reward (APR × 32).
 *  - Operator income = hosted validators × SSV operator fee − your extra running cost.
 */
import { parseWith } from "../../util/schema.js";
import { type RewardsConfig, rewardsConfigSchema } from "./schema.js";

/** Result of {@link evaluateRewards}. */
export type RewardsResult = {
  config: RewardsConfig;
  perValidator: {
    noIncomeEth: number;
    noYieldOnBond: number;
    dvtCostEth: number;
    dvtCostShareOfIncome: number;
  };
  fleet: {
    noIncomeEth: number;
    dvtCostEth: number;
    operatorIncomeEth: number;
    operatorCostEth: number;
    netWithDvtEth: number;
    netChangeEth: number;
    yieldOnBondSolo: number;
    yieldOnBondWithDvt: number;
  };
  /** Validators you must host as an operator to pay for DVT on your own (null: never). */
  breakEvenHostedValidators: number | null;
};

/**
 * Validate a rewards configuration (every field optional).
 *
 * @example
 * parseRewardsConfig({ validators: 20 }).bondEth; // 8
 */
export function parseRewardsConfig(input: unknown): RewardsConfig {
  return parseWith(rewardsConfigSchema, input ?? {}, "Invalid rewards input");
}

/**
 * Income of running your validators solo vs as DVT, plus operator income for hosting others.
 *
 * @example
 * evaluateRewards(parseRewardsConfig({})).perValidator.noIncomeEth; // 0.029 × (8 + 24 × 0.14)
 */
export function evaluateRewards(cfg: RewardsConfig): RewardsResult {
  const perValReward = cfg.stakingApr * 32;
  const noIncome = cfg.stakingApr * (cfg.bondEth + (32 - cfg.bondEth) * cfg.commission);
  const paidOperators = Math.max(0, cfg.clusterSize - (cfg.selfOperated ? 1 : 0));
  const dvtCost =
    cfg.protocol === "ssv"
      ? paidOperators * cfg.ssvOperatorFeeEthPerYear + cfg.ssvNetworkFeeAprShare * perValReward
      : cfg.obolRewardShare * perValReward;
  const operatorIncome =
    cfg.protocol === "ssv" ? cfg.hostedValidators * cfg.ssvOperatorFeeEthPerYear : 0;
  const operatorCost = cfg.hostedValidators > 0 ? cfg.operatorCostEthPerYear : 0;
  const fleetIncome = cfg.validators * noIncome;
  const fleetDvt = cfg.validators * dvtCost;
  const net = fleetIncome - fleetDvt + operatorIncome - operatorCost;
  const bond = cfg.validators * cfg.bondEth;
  const fee = cfg.ssvOperatorFeeEthPerYear;
  const breakEven =
    cfg.protocol === "ssv" && fee > 0
      ? Math.ceil((fleetDvt + cfg.operatorCostEthPerYear) / fee)
      : null;
  return {
    config: cfg,
    perValidator: {
      noIncomeEth: noIncome,
      noYieldOnBond: noIncome / cfg.bondEth,
      dvtCostEth: dvtCost,
      dvtCostShareOfIncome: noIncome > 0 ? dvtCost / noIncome : Number.POSITIVE_INFINITY,
    },
    fleet: {
      noIncomeEth: fleetIncome,
      dvtCostEth: fleetDvt,
      operatorIncomeEth: operatorIncome,
      operatorCostEth: operatorCost,
      netWithDvtEth: net,
      netChangeEth: net - fleetIncome,
      yieldOnBondSolo: bond > 0 ? fleetIncome / bond : 0,
      yieldOnBondWithDvt: bond > 0 ? net / bond : 0,
    },
    breakEvenHostedValidators: breakEven,
  };
}
