/**
 * Generate realistic Rocket Pool minipool performance files for tests and demos, in the exact form
 * the Smartnode writes (`MinipoolPerformanceFile_v2`, rewardsFileVersion 3, serialised like Go's
 * `json.MarshalIndent(f, "", "\t")` = SerializeHuman: struct fields in declaration order, map keys
 * sorted, lowercase `0x` minipool addresses as keys, `pubkey` without `0x`, big integers as quoted
 * decimals). Sources: ./performance-file.ts.
 *
 * Each interval is 6300 epochs (28 days, the mainnet interval); an active minipool has one
 * attestation duty per epoch. `missed = round(missRate · duties)` exactly (so tests can compute the
 * expected score by hand); which slots were missed is drawn from a seeded PRNG, listed in random
 * order as Go's map iteration leaves them. `attestationScore = successful · minipoolScore` with the
 * rewards spec's `minipoolScore = (1e18 − fee)·bond/32e18 + fee`; `ethEarned` is that score times a
 * fixed illustrative Smoothing Pool rate.
 */
import { createHash } from "node:crypto";
import { createRng } from "../plan/math/rng.js";
import { WEI_PER_ETH } from "./performance-file.js";

/** Epochs per rewards interval on mainnet: 28 days × 225 epochs/day (RocketRewardsPool interval time). */
export const EPOCHS_PER_INTERVAL = 6300;
/** Mainnet beacon genesis time (ethereum/consensus-specs configs/mainnet.yaml MIN_GENESIS_TIME + GENESIS_DELAY). */
export const MAINNET_GENESIS_TIME = 1606824023;
/** Epoch at which the fixture's interval 0 starts (an arbitrary, realistic post-merge epoch). */
export const FIXTURE_INTERVAL0_EPOCH = 160_000;
/** Illustrative Smoothing Pool payout per unit of attestation score (wei per 1e18 score). */
const ETH_PER_SCORE_PPM = 22n;

/** One minipool in the fixture. */
export type FixtureMinipool = {
  /** Validator pubkey, `0x` hex (48 bytes). */
  pubkey: string;
  /** Minipool address; default derived from the pubkey. */
  address?: string;
  /** Node bond in ETH (8 or 16). */
  bondEth?: number;
  /** Node fee (commission) as a fraction, e.g. 0.14. */
  fee?: number;
  /** Fraction of duties missed: one number, or one per interval (by position in `intervals`). */
  missRate: number | number[];
  /** Intervals (by position) in which the minipool is not active (no duties, left out of the file). */
  inactive?: number[];
};

/** Fixture spec: several intervals of one network. */
export type PerformanceFixtureSpec = {
  network?: string;
  /** Interval indices, e.g. [20, 21, 22]. */
  intervals: number[];
  minipools: FixtureMinipool[];
  seed?: number;
};

/** A deterministic pseudo-address for a pubkey (fixtures only). */
export function fixtureMinipoolAddress(pubkey: string): string {
  return `0x${createHash("sha256").update(`minipool:${pubkey.toLowerCase()}`).digest("hex").slice(0, 40)}`;
}

/**
 * A deterministic pseudo validator pubkey (48 bytes hex; not a curve point — fixtures only).
 *
 * @example
 * fixturePubkey("solid", 0); // "0x…" (96 hex digits)
 */
export function fixturePubkey(label: string, i: number): string {
  const h = (s: string) => createHash("sha256").update(s).digest("hex");
  return `0x${(h(`pk:${label}:${i}`) + h(`pk2:${label}:${i}`)).slice(0, 96)}`;
}

/**
 * Per-attestation minipool score in wei-scaled units (rewards spec):
 * (1e18 − fee)·bond/32e18 + fee.
 *
 * @example
 * minipoolScore(8, 0.14); // 355000000000000000n
 */
export function minipoolScore(bondEth: number, fee: number): bigint {
  const feeWei = BigInt(Math.round(fee * 1e6)) * 10n ** 12n;
  const bondWei = BigInt(Math.round(bondEth * 1e6)) * 10n ** 12n;
  return ((WEI_PER_ETH - feeWei) * bondWei) / (32n * WEI_PER_ETH) + feeWei;
}

/**
 * Generate the files: `{ name, text }` per interval, `name` = rp-minipool-performance-<net>-<i>.json.
 *
 * @example
 * const files = generatePerformanceFiles({ intervals: [20, 21], minipools: [{ pubkey, missRate: 0.002 }] });
 */
export function generatePerformanceFiles(
  spec: PerformanceFixtureSpec,
): { name: string; text: string }[] {
  const network = spec.network ?? "mainnet";
  const rng = createRng(spec.seed ?? 1);
  return spec.intervals.map((interval, pos) => {
    const startEpoch = FIXTURE_INTERVAL0_EPOCH + interval * EPOCHS_PER_INTERVAL;
    const endEpoch = startEpoch + EPOCHS_PER_INTERVAL - 1;
    const slotTime = (slot: number) =>
      new Date((MAINNET_GENESIS_TIME + slot * 12) * 1000).toISOString().replace(".000Z", "Z");
    const records: Record<string, unknown> = {};
    for (const mp of spec.minipools) {
      if (mp.inactive?.includes(pos)) continue;
      const rate = Array.isArray(mp.missRate) ? (mp.missRate[pos] ?? 0) : mp.missRate;
      const duties = EPOCHS_PER_INTERVAL;
      const missed = Math.round(rate * duties);
      const successful = duties - missed;
      // Distinct missed epochs (partial Fisher–Yates over the interval's epochs), one slot in each.
      const epochs = Array.from({ length: duties }, (_, i) => startEpoch + i);
      for (let i = 0; i < missed; i++) {
        const j = i + rng.int(duties - i);
        [epochs[i], epochs[j]] = [epochs[j] as number, epochs[i] as number];
      }
      const slots = epochs.slice(0, missed).map((e) => e * 32 + rng.int(32));
      const score = BigInt(successful) * minipoolScore(mp.bondEth ?? 8, mp.fee ?? 0.14);
      const address = (mp.address ?? fixtureMinipoolAddress(mp.pubkey)).toLowerCase();
      records[address] = {
        pubkey: mp.pubkey.replace(/^0x/, "").toLowerCase(),
        successfulAttestations: successful,
        missedAttestations: missed,
        attestationScore: score.toString(),
        missingAttestationSlots: slots,
        ethEarned: ((score * ETH_PER_SCORE_PPM) / 1_000_000n).toString(),
      };
    }
    const sorted = Object.fromEntries(Object.entries(records).sort(([a], [b]) => (a < b ? -1 : 1)));
    const startSlot = startEpoch * 32;
    const endSlot = endEpoch * 32 + 31;
    // EL block ≈ slot − merge slot 4700013 + merge block 15537394, less ~1% missed slots.
    const elBlock = (slot: number) => Math.round((slot - 4_700_013) * 0.99) + 15_537_394;
    const file = {
      rewardsFileVersion: 3,
      rulesetVersion: 10,
      index: interval,
      network,
      startTime: slotTime(startSlot),
      endTime: slotTime(endSlot + 1),
      consensusStartBlock: startSlot,
      consensusEndBlock: endSlot,
      executionStartBlock: elBlock(startSlot),
      executionEndBlock: elBlock(endSlot),
      minipoolPerformance: sorted,
    };
    return {
      name: `rp-minipool-performance-${network}-${interval}.json`,
      text: JSON.stringify(file, null, "\t"),
    };
  });
}
