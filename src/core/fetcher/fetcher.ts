/**
 * The fetcher (Charon core/fetcher): turns a scheduled duty into the unsigned data the cluster
 * must agree on, by asking this operator's beacon node (Beacon API semantics, src/core/beacon.ts):
 *
 * - attester: GET attestation_data once per committee index of the slot (phase0 validator.md
 *   "Attesting"), one entry per validator with its committee position; from Electra on once per
 *   slot (committee_index=0): the data no longer depends on the committee, `data.index = 0`
 *   (EIP-7549, electra validator.md "Construct attestation"), the committee travels in the
 *   SingleAttestation built at broadcast from the duty;
 * - proposer: GET /eth/v3/validator/blocks/{slot} with the threshold-signed randao reveal (a full
 *   block: builder_boost_factor=0, blinded answers refused by the client); with a `builder`
 *   request (MEV-Boost, the proposer handler's choice) the beacon node's produceBlockV3 answer
 *   under the caller's builder_boost_factor: a full block, or a `blinded_block` entry (the
 *   handler checks it and falls back to a local block, src/core/duties/proposer.ts). A block whose execution
 *   payload pays another fee recipient than the cluster definition's is reported through
 *   `onError` (this operator's beacon node did not take the prepare_beacon_proposer registration)
 *   and still proposed: consensus validity (./validate.ts) refuses it, so nobody signs it, and
 *   another operator's block can win a later round;
 * - aggregator: GET aggregate_attestation for the attestation data the cluster decided
 *   (phase0 validator.md "Aggregation"), wrapped in an AggregateAndProof with the
 *   threshold-signed selection proof; from Electra on the v2 aggregate of the duty's committee
 *   (an electra.Attestation with committee_bits, electra validator.md "Construct aggregate"),
 *   the entry tagged with the fork of the slot;
 * - sync message: GET /eth/v1/beacon/blocks/head/root once for the slot, one entry per sync
 *   committee member (altair validator.md "Sync committee messages": the head block root);
 * - sync contribution: GET sync_committee_contribution for the decided block root per
 *   subcommittee (altair validator.md "Aggregation selection" / "Construct
 *   SyncCommitteeContribution"), wrapped in a ContributionAndProof with the threshold-signed
 *   selection proof.
 *
 * The fork of a slot comes from the chain's fork schedule (`chain` option, else the beacon
 * node's chainInfo, read once).
 *
 * Beacon errors fail only the affected validators (returned in `failed`), never the duty.
 * One small function per fetch over a {@link FetchContext} (issue 14 item 8).
 */
import { type ForkName, isForkPostBellatrix, isForkPostElectra } from "@lodestar/params";
import { type altair, ssz } from "@lodestar/types";
import { BaseError } from "../../errors.js";
import { toHex } from "../../util/hex.js";
import type {
  AttesterDuty,
  BeaconNode,
  ChainInfo,
  ProposalRequest,
  ProposerDuty,
  SyncCommitteeDuty,
} from "../beacon.js";
import { payloadFeeRecipient } from "../block-validity.js";
import { forkAtSlot } from "../domain.js";
import type { PubkeyHex, UnsignedData, UnsignedDataSet } from "../types.js";

const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

import type { AggregationInput, ContributionInput, Fetcher, FetchResult } from "../interfaces.js";

/**
 * Options of {@link createFetcher}.
 *
 * @example
 * const o: FetcherOptions = { feeRecipients: new Map([[pk, "0x5aAe…eAed"]]), onError: log };
 */
export type FetcherOptions = {
  /** Fee recipient per validator (cluster definition), checked in produced blocks. */
  feeRecipients?: ReadonlyMap<PubkeyHex, string> | undefined;
  /** Problems worth an operator's attention that do not fail the fetch. */
  onError?: ((what: string, err: unknown) => void) | undefined;
  /** The chain (fork schedule); default: `beacon.chainInfo()`, read once. */
  chain?: ChainInfo | undefined;
};

/** What the fetch functions share: the beacon node, the options, the chain (read once). */
type FetchContext = {
  beacon: BeaconNode;
  opts: FetcherOptions;
  chain: Promise<ChainInfo> | undefined;
};

/** The fork of `slot` (the chain read once; a failed read is retried at the next duty). */
async function forkOf(c: FetchContext, slot: number): Promise<ForkName> {
  if (!c.chain) {
    const p = c.beacon.chainInfo();
    c.chain = p;
    p.catch(() => {
      if (c.chain === p) c.chain = undefined; // retry on the next duty
    });
  }
  return forkAtSlot(await c.chain, slot);
}

/** Report (not refuse) a Bellatrix+ block paying another recipient than the definition's. */
function checkFeeRecipient(c: FetchContext, duty: ProposerDuty, fork: ForkName, block: object) {
  if (!isForkPostBellatrix(fork)) return;
  const pk = toHex(duty.pubkey);
  const want = c.opts.feeRecipients?.get(pk);
  const got = payloadFeeRecipient(block);
  if (want && got && toHex(got) === want.toLowerCase()) return;
  c.opts.onError?.(
    `block for slot ${duty.slot}`,
    new BaseError(
      `The beacon node built validator ${duty.validatorIndex}'s block with fee recipient ${got ? toHex(got) : "(none)"}, the cluster definition says ${want ?? "(none)"}`,
      {
        metaMessages: [
          "No operator will sign it (consensus refuses a wrong fee recipient).",
          "Check that this beacon node accepts POST /eth/v1/validator/prepare_beacon_proposer (the node sends it every epoch) and is not configured to override fee recipients.",
        ],
      },
    ),
  );
}

/** Attestation data: one request per committee (Electra+: one per slot). */
async function fetchAttestations(
  c: FetchContext,
  slot: number,
  duties: readonly AttesterDuty[],
): Promise<FetchResult> {
  const set: UnsignedDataSet = new Map();
  const failed: FetchResult["failed"] = [];
  let electra: boolean;
  try {
    electra = isForkPostElectra(await forkOf(c, slot));
  } catch (err) {
    return { set, failed: duties.map((d) => ({ pubkey: toHex(d.pubkey), error: msg(err) })) };
  }
  // Electra+: one request for the slot (committee_index 0), the data is every committee's.
  const byCommittee = new Map<number, AttesterDuty[]>();
  for (const d of duties) {
    const ci = electra ? 0 : d.committeeIndex;
    const list = byCommittee.get(ci) ?? [];
    list.push(d);
    byCommittee.set(ci, list);
  }
  await Promise.all(
    [...byCommittee].map(async ([ci, list]) => {
      try {
        const data = await c.beacon.attestationData(slot, ci);
        for (const d of list) set.set(toHex(d.pubkey), { kind: "attestation", data, duty: d });
      } catch (err) {
        for (const d of list) failed.push({ pubkey: toHex(d.pubkey), error: msg(err) });
      }
    }),
  );
  return { set, failed };
}

/**
 * The beacon node's block with the threshold-signed randao reveal: local, or under a `builder`
 * request produceProposal's answer (a blinded one becomes a `blinded_block` entry).
 */
async function fetchBlock(
  c: FetchContext,
  duty: ProposerDuty,
  randaoReveal: Uint8Array,
  graffiti: Uint8Array,
  builder?: ProposalRequest,
): Promise<FetchResult> {
  try {
    const pk = toHex(duty.pubkey);
    const produce = c.beacon.produceProposal?.bind(c.beacon);
    if (builder && produce) {
      const p = await produce(duty.slot, randaoReveal, graffiti, builder);
      if ("blinded" in p && p.blinded) {
        const { fork, block, valueWei } = p;
        const entry = { fork, block, blinded: true as const, valueWei };
        return { set: new Map([[pk, { kind: "blinded_block", block: entry }]]), failed: [] };
      }
      checkFeeRecipient(c, duty, p.fork, p.block);
      return { set: new Map([[pk, { kind: "block", block: p }]]), failed: [] };
    }
    const block = await c.beacon.produceBlock(duty.slot, randaoReveal, graffiti);
    checkFeeRecipient(c, duty, block.fork, block.block);
    return { set: new Map([[toHex(duty.pubkey), { kind: "block", block }]]), failed: [] };
  } catch (err) {
    return { set: new Map(), failed: [{ pubkey: toHex(duty.pubkey), error: msg(err) }] };
  }
}

/**
 * `fetchOne` for every input at once: its value under the input's validator, or its error in
 * `failed` (one input's failure never drops another's value).
 */
async function fetchEach<I extends { duty: { pubkey: Uint8Array } }>(
  inputs: readonly I[],
  fetchOne: (input: I) => Promise<UnsignedData>,
): Promise<FetchResult> {
  const set: UnsignedDataSet = new Map();
  const failed: FetchResult["failed"] = [];
  await Promise.all(
    inputs.map(async (input) => {
      try {
        set.set(toHex(input.duty.pubkey), await fetchOne(input));
      } catch (err) {
        failed.push({ pubkey: toHex(input.duty.pubkey), error: msg(err) });
      }
    }),
  );
  return { set, failed };
}

/** Aggregates of the decided attestation data, wrapped with the selection proofs. */
function fetchAggregates(
  c: FetchContext,
  slot: number,
  inputs: readonly AggregationInput[],
): Promise<FetchResult> {
  return fetchEach(inputs, async ({ duty, data, selectionProof }) => {
    const fork = await forkOf(c, slot);
    const aggregate = await c.beacon.aggregateAttestation(
      slot,
      ssz.phase0.AttestationData.hashTreeRoot(data),
      duty.committeeIndex,
    );
    return {
      kind: "aggregate",
      committeeLength: duty.committeeLength,
      aggregateAndProof: { aggregatorIndex: duty.validatorIndex, aggregate, selectionProof },
      ...(isForkPostElectra(fork) ? { fork } : {}),
    };
  });
}

/** The head block root, once for the slot, for every sync committee member. */
async function fetchSyncMessages(
  c: FetchContext,
  slot: number,
  duties: readonly SyncCommitteeDuty[],
): Promise<FetchResult> {
  const set: UnsignedDataSet = new Map();
  try {
    const beaconBlockRoot = await c.beacon.beaconBlockRoot("head");
    for (const d of duties) {
      set.set(toHex(d.pubkey), {
        kind: "sync_message",
        slot,
        beaconBlockRoot,
        validatorIndex: d.validatorIndex,
      });
    }
    return { set, failed: [] };
  } catch (err) {
    return { set, failed: duties.map((d) => ({ pubkey: toHex(d.pubkey), error: msg(err) })) };
  }
}

/** Contributions per (subcommittee, root), wrapped with the selection proofs. */
function fetchContributions(
  c: FetchContext,
  slot: number,
  inputs: readonly ContributionInput[],
): Promise<FetchResult> {
  // One request per (subcommittee, root): every aggregator of it gets the same contribution.
  const cache = new Map<string, Promise<altair.SyncCommitteeContribution>>();
  return fetchEach(inputs, async ({ duty, subcommitteeIndex, beaconBlockRoot, selectionProof }) => {
    const k = `${subcommitteeIndex}/${toHex(beaconBlockRoot)}`;
    let p = cache.get(k);
    if (!p) {
      p = c.beacon.syncCommitteeContribution(slot, subcommitteeIndex, beaconBlockRoot);
      cache.set(k, p);
    }
    const contribution = await p;
    return {
      kind: "sync_contribution",
      contributionAndProof: { aggregatorIndex: duty.validatorIndex, contribution, selectionProof },
    };
  });
}

/**
 * Create a fetcher over a beacon node.
 *
 * @example
 * const fetcher = createFetcher(fallbackBeacon([bn1, bn2]), { feeRecipients, onError });
 */
export function createFetcher(beacon: BeaconNode, opts: FetcherOptions = {}): Fetcher {
  const c: FetchContext = {
    beacon,
    opts,
    chain: opts.chain ? Promise.resolve(opts.chain) : undefined,
  };
  return {
    attestations: (slot, duties) => fetchAttestations(c, slot, duties),
    block: (duty, randaoReveal, graffiti, builder) =>
      fetchBlock(c, duty, randaoReveal, graffiti, builder),
    aggregates: (slot, inputs) => fetchAggregates(c, slot, inputs),
    syncMessages: (slot, duties) => fetchSyncMessages(c, slot, duties),
    contributions: (slot, inputs) => fetchContributions(c, slot, inputs),
  };
}
