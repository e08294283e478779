/**
 * The interfaces the core steps offer each other, at the core root (Charon core/interfaces.go):
 * the fetcher's, the broadcaster's and the signer's request shape. Steps and duty handlers import
 * them from here, never from another step's module.
 */
import type { altair, bellatrix, phase0 } from "@lodestar/types";
import type {
  AttesterDuty,
  ProducedBlindedBlock,
  ProducedBlock,
  ProposalRequest,
  ProposerDuty,
  SyncCommitteeDuty,
} from "./beacon.js";
import type {
  AnyAggregateAndProof,
  Duty,
  FailureReason,
  PubkeyHex,
  UnsignedDataSet,
} from "./types.js";

/**
 * What a fetch produced: the set, and the validators whose data could not be fetched (with the
 * beacon error's message).
 *
 * @example
 * const { set, failed } = await fetcher.attestations(slot, duties);
 */
export type FetchResult = { set: UnsignedDataSet; failed: { pubkey: PubkeyHex; error: string }[] };

/**
 * One validator's aggregation input.
 *
 * @example
 * const item: AggregationInput = { duty, data, selectionProof };
 */
export type AggregationInput = {
  duty: AttesterDuty;
  data: phase0.AttestationData;
  selectionProof: Uint8Array;
};

/**
 * One sync-committee aggregator's input: its duty, the subcommittee, the decided block root and
 * the threshold-signed selection proof.
 *
 * @example
 * const item: ContributionInput = { duty, subcommitteeIndex: 0, beaconBlockRoot, selectionProof };
 */
export type ContributionInput = {
  duty: SyncCommitteeDuty;
  subcommitteeIndex: number;
  beaconBlockRoot: Uint8Array;
  selectionProof: Uint8Array;
};

/**
 * The fetcher component.
 *
 * @example
 * const fetcher = createFetcher(beacon);
 * const { set } = await fetcher.attestations(100, duties);
 */
export interface Fetcher {
  attestations(slot: number, duties: readonly AttesterDuty[]): Promise<FetchResult>;
  /**
   * The proposal: without `builder` the local block (builder_boost_factor=0); with it the beacon
   * node's choice under `builder` (a full block, or a `blinded_block` entry from its builder).
   */
  block(
    duty: ProposerDuty,
    randaoReveal: Uint8Array,
    graffiti: Uint8Array,
    builder?: ProposalRequest,
  ): Promise<FetchResult>;
  aggregates(slot: number, inputs: readonly AggregationInput[]): Promise<FetchResult>;
  syncMessages(slot: number, duties: readonly SyncCommitteeDuty[]): Promise<FetchResult>;
  contributions(slot: number, inputs: readonly ContributionInput[]): Promise<FetchResult>;
}

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
  /** POST the signed blinded block (the beacon node's builder reveals the payload and publishes). */
  blindedBlock(block: ProducedBlindedBlock, signature: Uint8Array): Promise<void>;
  aggregate(message: AnyAggregateAndProof, signature: Uint8Array): Promise<void>;
  exit(message: phase0.VoluntaryExit, signature: Uint8Array): Promise<void>;
  syncMessage(message: altair.SyncCommitteeMessage): Promise<void>;
  contribution(message: altair.ContributionAndProof, signature: Uint8Array): Promise<void>;
  /** Builder registrations (one POST register_validator for the batch, to every beacon node). */
  registrations(signed: readonly bellatrix.SignedValidatorRegistrationV1[]): Promise<void>;
}

/**
 * One thing to sign. `protect` says which slashing rule applies (none for non-slashable types).
 *
 * @example
 * const req: SignRequest = { pubkey, signingRoot, protect: { kind: "attestation", source: 3n, target: 4n } };
 */
export type SignRequest = {
  pubkey: PubkeyHex;
  signingRoot: Uint8Array;
  protect?:
    | { kind: "attestation"; source: bigint; target: bigint }
    | { kind: "block"; slot: bigint }
    | undefined;
};

/**
 * A signing gate's refusal: why this operator does not sign for a validator now (public data
 * only: it reaches logs, the tracker and metrics).
 *
 * @example
 * const no: GateRefusal = { reason: "key-exposed", details: "keystore found in /data/validators/lighthouse" };
 */
export type GateRefusal = { reason: FailureReason; details: string };

/**
 * A check the signer runs per request before slashing protection (src/core/signer/signer.ts step
 * 1): doppelganger protection is the first; node options add more (`signingGates`: the key
 * guard, a replaced cluster's signing window). Must be synchronous and cheap (runs per request).
 *
 * @example
 * const window: SigningGate = (pk, duty) =>
 *   duty.slot >= endSlot ? { reason: "signing-window", details: `replaced at slot ${endSlot}` } : undefined;
 */
export type SigningGate = (pubkey: PubkeyHex, duty: Duty) => GateRefusal | undefined;

/**
 * What sigagg (src/core/sigagg/sigagg.ts) calls when an aggregate signature is made: the duty,
 * validator, signing root and signature; `backup`: a deferred aggregation, late on purpose.
 *
 * @example
 * const onAggregated: AggregatedHook = (duty, pk, root, sig, backup) => submit(duty, pk, sig);
 */
export type AggregatedHook = (
  duty: Duty,
  pubkey: PubkeyHex,
  signingRoot: Uint8Array,
  signature: Uint8Array,
  backup: boolean,
) => void;
