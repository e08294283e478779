/**
 * Broadcast (Charon core/bcast): submit threshold-aggregated signed objects to the beacon node.
 *
 * - attestation: a phase0 `Attestation` with one aggregation bit set, at the validator's position
 *   in its committee (`validator_committee_index` of the attester duty; aggregation_bits length =
 *   committee length — phase0 validator.md "Construct attestation"); aggregates that become ready
 *   in the same tick are submitted in one POST with their duties, from which an Electra+ beacon
 *   client builds each `SingleAttestation` (committee_index, attester_index — EIP-7549);
 * - block: POST the signed block (with blob bundle when present); a blinded block (MEV-Boost): POST
 *   /eth/v2/beacon/blinded_blocks (the beacon node's builder reveals the payload and publishes);
 * - aggregate: SignedAggregateAndProof (phase0's, or from Electra on the fork's with the aggregate's
 *   committee_bits — the beacon client picks the v2 endpoint by the fork of the slot);
 *   exit: SignedVoluntaryExit;
 * - sync committee message (altair validator.md: slot, beacon_block_root, validator_index,
 *   signature; those ready in the same tick are submitted in one POST) and
 *   SignedContributionAndProof.
 * Every call resolves (true) or rejects with the beacon node's error; callers record it.
 * Every operator of the cluster broadcasts the same aggregate, so "already known" answers (the
 * beacon node got it from another operator first) count as success ({@link isAlreadyKnown}); a
 * rejected batch is retried item by item so one bad item never fails the others. A block whose
 * publication failed otherwise is looked up before the failure is reported: if the canonical
 * block at its slot has its root (GET /eth/v1/beacon/blocks/{slot}/root, retried for a moment —
 * another operator's publication may still be importing), the proposal landed and succeeded.
 */
import { BitArray } from "@chainsafe/ssz";
import type { altair, phase0 } from "@lodestar/types";
import { sszTypesFor } from "@lodestar/types";
import { BaseError } from "../../errors.js";
import { toHex } from "../../util/hex.js";
import type { AttesterDuty, BeaconNode, ProducedBlindedBlock, ProducedBlock } from "../beacon.js";
import type { Broadcaster } from "../interfaces.js";

/**
 * Build the phase0 Attestation of one validator (one bit set).
 *
 * @example
 * const att = buildAttestation(data, duty, signature);
 */
export function buildAttestation(
  data: phase0.AttestationData,
  duty: AttesterDuty,
  signature: Uint8Array,
): phase0.Attestation {
  return {
    aggregationBits: BitArray.fromSingleBit(duty.committeeLength, duty.validatorCommitteeIndex),
    data,
    signature,
  };
}

/**
 * Whether a beacon node's error only says it already has the object: every error line names that,
 * and nothing else. What the clients answer when another operator's copy arrived first:
 * - Lodestar: `*_ALREADY_KNOWN` codes (ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN,
 *   BLOCK_ERROR_ALREADY_KNOWN, …), PRIOR_ATTESTATION_KNOWN, gossip `PublishError.Duplicate`, and
 *   from Fulu (v1.39, measured on a squad) HTTP 500 "Cannot addColumn to BlockInputColumns with
 *   duplicate column index" for the 2nd and 3rd publication of one block;
 * - Lighthouse: answers a duplicate block publication with success since sigp/lighthouse#5574
 *   ("Lenient duplicate checks on HTTP API for block publication"; 202 when already imported);
 *   its gossip layer reports "Duplicate" (Lighthouse FAQ "could not publish message … duplicate"),
 *   block errors DuplicateFullyImported / DuplicateImportStatusUnknown;
 * - Prysm: returns early (success) for a block already in fork choice (OffchainLabs/prysm#13089);
 *   pool messages "already seen" / "already exists";
 * - Teku: a known block is not re-imported and answers success (Consensys teku#1214); "already
 *   imported";
 * - Nimbus: routing a duplicate block is not an error (status-im/nimbus-eth2#4904); "already seen".
 *
 * @example
 * isAlreadyKnown(new Error("Multiple errors\nATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN")) // true
 */
export function isAlreadyKnown(err: unknown): boolean {
  const text = [
    err instanceof Error ? err.message : String(err),
    (err as { details?: unknown })?.details,
  ]
    .filter((x): x is string => typeof x === "string")
    .join("\n");
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(
      (l) =>
        /ERROR_|already|rejected|error|duplicate|invalid|item \d+:/i.test(l) &&
        !/^(Request|Details|Beacon node rejected|Multiple errors)/i.test(l) &&
        !/^https?:/.test(l),
    );
  const known =
    /ALREADY_KNOWN|already (known|seen|exists|imported)|PRIOR_ATTESTATION_KNOWN|PublishError\.Duplicate|duplicate/i;
  return known.test(text) && lines.every((l) => known.test(l));
}

const tolerateKnown = (p: Promise<void>): Promise<void> =>
  p.catch((err: unknown) => {
    if (!isAlreadyKnown(err)) throw err;
  });

/**
 * Batch items submitted in the same tick into one call of `submit`. "Already known" for the whole
 * batch counts as success; any other failure resubmits item by item so each gets its own answer.
 *
 * @example
 * const add = tickBatcher((msgs: altair.SyncCommitteeMessage[]) => beacon.submitSyncCommitteeMessages(msgs));
 * await add(msg);
 */
function tickBatcher<T>(submit: (items: T[]) => Promise<void>): (item: T) => Promise<void> {
  let queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const flush = (): void => {
    const batch = queue;
    queue = [];
    submit(batch.map((b) => b.item)).then(
      () => {
        for (const b of batch) b.resolve();
      },
      (err) => {
        if (isAlreadyKnown(err)) {
          for (const b of batch) b.resolve();
          return;
        }
        for (const b of batch) tolerateKnown(submit([b.item])).then(b.resolve, b.reject);
      },
    );
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      if (queue.length === 0) queueMicrotask(flush);
      queue.push({ item, resolve, reject });
    });
}

/**
 * Options of {@link createBroadcaster}.
 *
 * @example
 * createBroadcaster(beacon, { sleep: (ms) => new Promise((r) => clock.setTimeout(r, ms)) });
 */
export type BroadcasterOptions = {
  /** Wait `ms` (the node's clock; default: real time). */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /**
   * Waits before each on-chain lookup of a block whose publication failed (default 0, 500, 1500
   * ms: an import by another operator's publication takes a moment).
   */
  landedChecksMs?: readonly number[] | undefined;
};

/** Default waits before the on-chain lookups of a failed block publication (ms). */
const LANDED_CHECKS_MS = [0, 500, 1500] as const;

/**
 * Create a broadcaster over a beacon node.
 *
 * @example
 * const bcast = createBroadcaster(fallbackBeacon(nodes));
 */
export function createBroadcaster(beacon: BeaconNode, opts: BroadcasterOptions = {}): Broadcaster {
  const sleep =
    opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref?.()));
  /**
   * Is `block` the canonical block at its slot (the proposal landed anyway)? A blinded block's
   * root is the full block's (the header commits to the payload root), so it is compared as is.
   */
  const landed = async (produced: ProducedBlock | ProducedBlindedBlock): Promise<boolean> => {
    const types = sszTypesFor(produced.fork) as unknown as Record<
      "BeaconBlock" | "BlindedBeaconBlock",
      { hashTreeRoot(b: unknown): Uint8Array }
    >;
    const type = "blinded" in produced ? types.BlindedBeaconBlock : types.BeaconBlock;
    const root = toHex(type.hashTreeRoot(produced.block));
    for (const ms of opts.landedChecksMs ?? LANDED_CHECKS_MS) {
      if (ms > 0) await sleep(ms);
      try {
        const got = await beacon.beaconBlockRoot(produced.block.slot);
        if (toHex(got) === root) return true;
      } catch {
        // not (yet) on chain, or the node does not answer: look again
      }
    }
    return false;
  };
  const attestation = tickBatcher((items: { att: phase0.Attestation; duty: AttesterDuty }[]) =>
    beacon.submitAttestations(
      items.map((i) => i.att),
      items.map((i) => i.duty),
    ),
  );
  const syncMessage = tickBatcher((msgs: altair.SyncCommitteeMessage[]) =>
    beacon.submitSyncCommitteeMessages(msgs),
  );
  return {
    syncMessage,
    contribution: (message, signature) =>
      tolerateKnown(beacon.submitContributionAndProofs([{ message, signature }])),
    attestation: (data, duty, signature) =>
      attestation({ att: buildAttestation(data, duty, signature), duty }),
    block: async (block, signature) => {
      try {
        await tolerateKnown(beacon.publishBlock({ ...block, signature }));
      } catch (err) {
        if (!(await landed(block))) throw err;
      }
    },
    blindedBlock: async (block, signature) => {
      if (!beacon.publishBlindedBlock) {
        throw new BaseError("This beacon client cannot publish blinded blocks", {
          metaMessages: ["Use the rpdvt Beacon client (src/beacon/client.ts) or omit the builder."],
        });
      }
      try {
        await tolerateKnown(beacon.publishBlindedBlock({ ...block, signature }));
      } catch (err) {
        if (!(await landed(block))) throw err;
      }
    },
    aggregate: (message, signature) =>
      tolerateKnown(beacon.submitAggregateAndProofs([{ message, signature }])),
    exit: (message, signature) => tolerateKnown(beacon.submitVoluntaryExit({ message, signature })),
    registrations: (signed) => beacon.registerValidators(signed),
  };
}
