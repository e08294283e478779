/**
 * Broadcast (Charon core/bcast): submit threshold-aggregated signed objects to the beacon node.
 *
 * - attestation: a phase0 `Attestation` with one aggregation bit set, at the validator's position
 *   in its committee (`validator_committee_index` of the attester duty; aggregation_bits length =
 *   committee length — phase0 validator.md "Construct attestation"); aggregates that become ready
 *   in the same tick are submitted in one POST (with their duties, for Electra+ clients);
 * - block: POST the signed block (with blob bundle when present);
 * - aggregate: SignedAggregateAndProof; exit: SignedVoluntaryExit.
 * Every call resolves (true) or rejects with the beacon node's error; callers record it.
 */
import { BitArray } from "@chainsafe/ssz";
import type { phase0 } from "@lodestar/types";
import type { AttesterDuty, BeaconNode, ProducedBlock } from "../beacon.js";

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
  aggregate(message: phase0.AggregateAndProof, signature: Uint8Array): Promise<void>;
  exit(message: phase0.VoluntaryExit, signature: Uint8Array): Promise<void>;
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
 * Create a broadcaster over a beacon node.
 *
 * @example
 * const bcast = createBroadcaster(fallbackBeacon(nodes));
 */
export function createBroadcaster(beacon: BeaconNode): Broadcaster {
  let queue: {
    att: phase0.Attestation;
    duty: AttesterDuty;
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];
  const flush = (): void => {
    const batch = queue;
    queue = [];
    beacon
      .submitAttestations(
        batch.map((b) => b.att),
        batch.map((b) => b.duty),
      )
      .then(
        () => {
          for (const b of batch) b.resolve();
        },
        (err) => {
          for (const b of batch) b.reject(err);
        },
      );
  };
  return {
    attestation(data, duty, signature) {
      return new Promise<void>((resolve, reject) => {
        if (queue.length === 0) queueMicrotask(flush);
        queue.push({ att: buildAttestation(data, duty, signature), duty, resolve, reject });
      });
    },
    block: (block, signature) => beacon.publishBlock({ ...block, signature }),
    aggregate: (message, signature) => beacon.submitAggregateAndProofs([{ message, signature }]),
    exit: (message, signature) => beacon.submitVoluntaryExit({ message, signature }),
  };
}
