/**
 * Broadcast (Charon core/bcast): submit threshold-aggregated signed objects to the beacon node.
 *
 * - attestation: a phase0 `Attestation` with one aggregation bit set, at the validator's position
 *   in its committee (`validator_committee_index` of the attester duty; aggregation_bits length =
 *   committee length — phase0 validator.md "Construct attestation"); aggregates that become ready
 *   in the same tick are submitted in one POST with their duties, from which an Electra+ beacon
 *   client builds each `SingleAttestation` (committee_index, attester_index — EIP-7549);
 * - block: POST the signed block (with blob bundle when present);
 * - aggregate: SignedAggregateAndProof (phase0's, or from Electra on the fork's with the aggregate's
 *   committee_bits — the beacon client picks the v2 endpoint by the fork of the slot);
 *   exit: SignedVoluntaryExit;
 * - sync committee message (altair validator.md: slot, beacon_block_root, validator_index,
 *   signature; those ready in the same tick are submitted in one POST) and
 *   SignedContributionAndProof.
 * Every call resolves (true) or rejects with the beacon node's error; callers record it.
 * Every operator of the cluster broadcasts the same aggregate, so "already known" answers (the
 * beacon node got it from another operator first) count as success; a rejected batch is retried
 * item by item so one bad item never fails the others.
 */
import { BitArray } from "@chainsafe/ssz";
import type { altair, phase0 } from "@lodestar/types";
import type { AttesterDuty, BeaconNode, ProducedBlock } from "../beacon.js";
import type { AnyAggregateAndProof } from "../types.js";

/**
 * The broadcaster.
 *
 * @example
 * const bcast = createBroadcaster(beacon);
 * await bcast.attestation(data, duty, signature);
 */
export interface Broadcaster {
  attestation(
    data: phase0.AttestationData,
    duty: AttesterDuty,
    signature: Uint8Array,
  ): Promise<void>;
  block(block: ProducedBlock, signature: Uint8Array): Promise<void>;
  aggregate(message: AnyAggregateAndProof, signature: Uint8Array): Promise<void>;
  exit(message: phase0.VoluntaryExit, signature: Uint8Array): Promise<void>;
  syncMessage(message: altair.SyncCommitteeMessage): Promise<void>;
  contribution(message: altair.ContributionAndProof, signature: Uint8Array): Promise<void>;
}

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
 * Whether a beacon node's error only says it already has the object (Lodestar:
 * ATTESTATION_ERROR_ATTESTATION_ALREADY_KNOWN, BLOCK_ERROR_ALREADY_KNOWN, gossip
 * PublishError.Duplicate for a block another operator published first, …; other clients
 * "already known" / "already seen"): every error line names that, and nothing else.
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
        /ERROR_|already|rejected|error/i.test(l) &&
        !/^(Request|Details|Beacon node rejected|Multiple errors)/i.test(l) &&
        !/^https?:/.test(l),
    );
  const known =
    /ALREADY_KNOWN|already known|already seen|PRIOR_ATTESTATION_KNOWN|PublishError\.Duplicate/i;
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
 * Create a broadcaster over a beacon node.
 *
 * @example
 * const bcast = createBroadcaster(fallbackBeacon(nodes));
 */
export function createBroadcaster(beacon: BeaconNode): Broadcaster {
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
    block: (block, signature) => tolerateKnown(beacon.publishBlock({ ...block, signature })),
    aggregate: (message, signature) =>
      tolerateKnown(beacon.submitAggregateAndProofs([{ message, signature }])),
    exit: (message, signature) => tolerateKnown(beacon.submitVoluntaryExit({ message, signature })),
  };
}
