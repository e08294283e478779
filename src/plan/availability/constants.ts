/**
 * Beacon-chain timing and reward constants (consensus-specs, mainnet preset) and the ETH value of a
 * missed attestation / an isolated slashing derived from them.
 *
 * Sources: phase0 & altair beacon-chain.md (SECONDS_PER_SLOT 12, SLOTS_PER_EPOCH 32,
 * EFFECTIVE_BALANCE_INCREMENT 1e9 Gwei, BASE_REWARD_FACTOR 64, get_base_reward,
 * PARTICIPATION_FLAG_WEIGHTS source 14 / target 26 / head 14, WEIGHT_DENOMINATOR 64,
 * EPOCHS_PER_SLASHINGS_VECTOR 8192), electra beacon-chain.md (MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA
 * 4096, in force since the Pectra fork, 2025-05-07).
 */

/** Seconds per epoch (12 s × 32 slots). */
export const EPOCH_SECONDS = 384;
/** Epochs in a Julian year (365.25 d): 82 181.25. */
export const EPOCHS_PER_YEAR = (365.25 * 86400) / EPOCH_SECONDS;
/** Epochs a slashed validator waits before it is withdrawable (EPOCHS_PER_SLASHINGS_VECTOR). */
export const SLASHED_WITHDRAWAL_EPOCHS = 8192;
/** Electra initial slashing penalty quotient: 32 ETH / 4096 = 0.0078 ETH. */
export const MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA = 4096;
/**
 * Total staked ETH used for the default base reward: ~34 M ETH, an ILLUSTRATIVE round value of
 * mid-2025 (beaconcha.in chart "total staked"); override with your current figure.
 */
export const DEFAULT_TOTAL_STAKED_ETH = 34_000_000;

/**
 * Base reward per epoch of a 32-ETH validator in ETH: 32 × 1e9 × 64 / √(total Gwei) Gwei
 * (altair get_base_reward; the integer square root is taken as a real one).
 *
 * @example
 * baseRewardEth(34_000_000); // ≈ 1.11e-5 ETH
 */
export function baseRewardEth(totalStakedEth = DEFAULT_TOTAL_STAKED_ETH): number {
  return (32 * 64 * 1e9) / Math.sqrt(totalStakedEth * 1e9) / 1e9;
}

/**
 * ETH lost per missed attestation: the forgone source+target+head reward (54/64 of the base
 * reward, assuming it would have been timely) plus the source+target penalty (40/64).
 *
 * @example
 * missedAttestationCostEth(); // ≈ 1.63e-5 ETH
 */
export function missedAttestationCostEth(totalStakedEth = DEFAULT_TOTAL_STAKED_ETH): number {
  return ((54 + 40) / 64) * baseRewardEth(totalStakedEth);
}

/**
 * ETH lost in an isolated slashing (no correlation penalty): the Electra initial penalty 32/4096
 * plus missed-attestation losses for the 8192 epochs until withdrawable. Ignores the proportional
 * (correlated) penalty, which matters only in mass slashings, and the opportunity cost after exit.
 *
 * @example
 * isolatedSlashingCostEth(); // ≈ 0.141 ETH
 */
export function isolatedSlashingCostEth(totalStakedEth = DEFAULT_TOTAL_STAKED_ETH): number {
  return (
    32 / MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA +
    SLASHED_WITHDRAWAL_EPOCHS * missedAttestationCostEth(totalStakedEth)
  );
}
