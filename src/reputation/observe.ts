/**
 * Beacon observations of a node's validators over an epoch range, for the reputation score:
 * liveness (POST /eth/v1/validator/liveness/{epoch}), attestation rewards vs ideal (POST
 * /eth/v1/beacon/rewards/attestations/{epoch}: head + target + source; `ideal_rewards` are per
 * effective balance, matched to each validator's), and proposals (proposer duties of the epoch, a
 * duty counted as made when GET /eth/v2/beacon/blocks/{slot} has a block by that validator).
 * Validator records (balance, effective balance, slashed, activation/exit) are read once at the
 * last slot of the range; a validator counts in an epoch only when activation ≤ epoch < exit.
 *
 * The raw observations are hashed (SHA-256 of their canonical JSON) so a claim commits to them and
 * a verifier re-observing the same range against a beacon node gets the same hash.
 */
import { createHash } from "node:crypto";
import { InputError } from "../errors.js";
import { canonicalJson } from "../util/canonical-json.js";
import { mapConcurrent } from "../util/concurrency.js";
import type { ReputationBeacon, ReputationValidator } from "./beacon.js";
import type { BeaconSummary } from "./score.js";

/** Slots per epoch of the mainnet preset (ethereum/consensus-specs presets/mainnet/phase0.yaml), also Hoodi's. */
export const SLOTS_PER_EPOCH = 32;
/** Most epochs one observation may cover: 7 days × 225 epochs/day (each epoch costs ≥ 3 requests). */
export const MAX_OBSERVED_EPOCHS = 1575;

/** Raw observations of one epoch. */
export type EpochObservation = {
  epoch: number;
  /** Indices of validators active in the epoch, ascending. */
  active: number[];
  /** Of those, the ones reported live. */
  live: number[];
  actualRewardGwei: number;
  idealRewardGwei: number;
  proposals: { slot: number; validatorIndex: number; proposed: boolean }[];
  /** What the beacon node could not serve for this epoch (absent when everything was served). */
  unavailable?: ("attestationRewards" | "proposerDuties")[];
};

/** Everything observed, plus its summary. */
export type BeaconObservation = {
  summary: BeaconSummary;
  validators: ReputationValidator[];
  /** Requested pubkeys the beacon does not know. */
  unknownPubkeys: string[];
  epochs: EpochObservation[];
};

/**
 * Parse "A-B" (inclusive epochs) or a single epoch "A".
 *
 * @example
 * parseEpochRange("1000-1099"); // { from: 1000, to: 1099 }
 */
export function parseEpochRange(text: string, field = "--epochs"): { from: number; to: number } {
  const m = /^\s*(\d+)\s*(?:[-:]\s*(\d+)\s*)?$/.exec(text);
  if (!m)
    throw new InputError(`${field} must be an epoch range like 1000-1099`, {
      field,
      details: `got "${text}"`,
    });
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from)
    throw new InputError(`${field}: the range end must be ≥ its start`, {
      field,
      details: `got "${text}"`,
    });
  if (to - from + 1 > MAX_OBSERVED_EPOCHS)
    throw new InputError(
      `${field}: at most ${MAX_OBSERVED_EPOCHS} epochs (7 days) per observation`,
      {
        field,
        details: `got ${to - from + 1}`,
      },
    );
  return { from, to };
}

type Rewards = Awaited<ReturnType<ReputationBeacon["attestationRewards"]>>;
type Duties = Awaited<ReturnType<ReputationBeacon["proposerDuties"]>>;

/**
 * The attestation rewards of the active validators against the ideal for each one's effective
 * balance (or the largest ideal row below it); one total per validator.
 */
function rewardTotals(
  rewards: Rewards,
  activeSet: ReadonlySet<number>,
  byIndex: ReadonlyMap<number, ReputationValidator>,
): { actual: number; ideal: number } {
  const ideal = [...(rewards?.ideal ?? [])].sort(
    (a, b) => a.effectiveBalanceGwei - b.effectiveBalanceGwei,
  );
  const seen = new Set<number>();
  const totals = { actual: 0, ideal: 0 };
  for (const t of rewards?.total ?? []) {
    if (!activeSet.has(t.validatorIndex) || seen.has(t.validatorIndex)) continue;
    seen.add(t.validatorIndex);
    const eb = (byIndex.get(t.validatorIndex) as ReputationValidator).effectiveBalanceGwei;
    let row: (typeof ideal)[number] | undefined;
    for (const r of ideal) if (r.effectiveBalanceGwei <= eb) row = r;
    if (!row) continue;
    totals.actual += t.headTargetSourceGwei;
    totals.ideal += row.headTargetSourceGwei;
  }
  return totals;
}

/** The active validators' proposer duties of the epoch, each with whether its block is there. */
async function proposalsOf(
  beacon: ReputationBeacon,
  duties: Duties,
  activeSet: ReadonlySet<number>,
): Promise<EpochObservation["proposals"]> {
  const proposals: EpochObservation["proposals"] = [];
  for (const d of (duties ?? []).filter((d) => activeSet.has(d.validatorIndex))) {
    const proposer = await beacon.blockProposer(d.slot);
    proposals.push({
      slot: d.slot,
      validatorIndex: d.validatorIndex,
      proposed: proposer === d.validatorIndex,
    });
  }
  return proposals.sort((a, b) => a.slot - b.slot);
}

/** One epoch: who was active and live, the attestation rewards, the proposals. */
async function observeEpoch(
  beacon: ReputationBeacon,
  epoch: number,
  validators: readonly ReputationValidator[],
  byIndex: ReadonlyMap<number, ReputationValidator>,
): Promise<EpochObservation> {
  const active = validators
    .filter((v) => v.activationEpoch <= epoch && epoch < v.exitEpoch)
    .map((v) => v.index);
  const obs: EpochObservation = {
    epoch,
    active,
    live: [],
    actualRewardGwei: 0,
    idealRewardGwei: 0,
    proposals: [],
  };
  if (active.length === 0) return obs;
  const activeSet = new Set(active);
  const [liveness, rewards, duties] = await Promise.all([
    beacon.liveness(epoch, active),
    beacon.attestationRewards(epoch, active),
    beacon.proposerDuties(epoch),
  ]);
  obs.live = liveness
    .filter((l) => l.isLive && activeSet.has(l.index))
    .map((l) => l.index)
    .sort((a, b) => a - b);
  const unavailable: EpochObservation["unavailable"] = [];
  if (rewards === null) unavailable.push("attestationRewards");
  if (duties === null) unavailable.push("proposerDuties");
  if (unavailable.length > 0) obs.unavailable = unavailable;
  const totals = rewardTotals(rewards, activeSet, byIndex);
  obs.actualRewardGwei = totals.actual;
  obs.idealRewardGwei = totals.ideal;
  obs.proposals = await proposalsOf(beacon, duties, activeSet);
  return obs;
}

/** The summary of an observation, with the SHA-256 of its raw data (canonical JSON). */
function summarize(
  range: { from: number; to: number },
  stateId: string,
  validators: readonly ReputationValidator[],
  epochs: readonly EpochObservation[],
): BeaconSummary {
  const sum = (f: (e: EpochObservation) => number) => epochs.reduce((a, e) => a + f(e), 0);
  const proposed = sum((e) => e.proposals.filter((p) => p.proposed).length);
  const raw = { stateId, validators, epochs };
  return {
    fromEpoch: range.from,
    toEpoch: range.to,
    stateId,
    validators: validators.length,
    live: sum((e) => e.live.length),
    liveDuties: sum((e) => e.active.length),
    actualRewardGwei: sum((e) => e.actualRewardGwei),
    idealRewardGwei: sum((e) => e.idealRewardGwei),
    proposed,
    missedProposals: sum((e) => e.proposals.length) - proposed,
    slashed: validators.filter((v) => v.slashed).length,
    balanceGwei: validators.reduce((a, v) => a + v.balanceGwei, 0),
    sha256: `0x${createHash("sha256")
      .update(canonicalJson(jsonSafe(raw)))
      .digest("hex")}`,
  };
}

/**
 * Observe `pubkeys` over epochs `from`…`to` (inclusive).
 *
 * @example
 * const obs = await observeBeacon(beacon, ["0xab…"], { from: 300000, to: 300099 });
 * obs.summary.live / obs.summary.liveDuties;
 */
export async function observeBeacon(
  beacon: ReputationBeacon,
  pubkeys: readonly string[],
  range: { from: number; to: number },
  opts: {
    concurrency?: number;
    onEpoch?: () => void;
    /** Slots per epoch of the chain (default {@link SLOTS_PER_EPOCH}; 8 on minimal-preset devnets). */
    slotsPerEpoch?: number;
  } = {},
): Promise<BeaconObservation> {
  const stateId = String((range.to + 1) * (opts.slotsPerEpoch ?? SLOTS_PER_EPOCH) - 1);
  const wanted = [...new Set(pubkeys.map((p) => `0x${p.replace(/^0x/, "").toLowerCase()}`))].sort();
  const validators = (await beacon.validators(stateId, wanted)).sort((a, b) => a.index - b.index);
  const known = new Set(validators.map((v) => v.pubkey));
  const byIndex = new Map(validators.map((v) => [v.index, v]));
  const epochNumbers = Array.from({ length: range.to - range.from + 1 }, (_, i) => range.from + i);
  const epochs = await mapConcurrent(epochNumbers, opts.concurrency ?? 4, async (epoch) => {
    const obs = await observeEpoch(beacon, epoch, validators, byIndex);
    opts.onEpoch?.();
    return obs;
  });
  return {
    summary: summarize(range, stateId, validators, epochs),
    validators,
    unknownPubkeys: wanted.filter((p) => !known.has(p)),
    epochs,
  };
}

/** Infinity (FAR_FUTURE_EPOCH) → the string the API uses, so the raw data is canonical-JSON-able. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (v === Number.POSITIVE_INFINITY ? "18446744073709551615" : v)),
  );
}
