/**
 * Core types of the DV node's duty workflow (scheduler → fetcher → consensus → dutydb → signer →
 * parsigex → sigagg → broadcast), after Obol Charon's core/types.go: a {@link Duty} is
 * (slot, type); data moves between steps as sets keyed by validator public key (0x-hex), so one
 * consensus instance per (slot, duty type) covers every validator of the cluster.
 *
 * Duty type numbers follow Charon core.DutyType (core/types.go) so logs and metrics line up with
 * Charon's; they are also the QBFT `InstanceId.dutyType`.
 */
import type { ForkName } from "@lodestar/params";
import type { altair, bellatrix, electra, phase0 } from "@lodestar/types";
import type {
  AttesterDuty,
  ProducedBlindedBlock,
  ProducedBlock,
  ProposerDuty,
  SyncCommitteeDuty,
} from "./beacon.js";

/**
 * Duty types (Charon core/types.go numbering; never renumber — they are on the wire).
 *
 * @example
 * const duty: Duty = { slot: 123, type: DutyType.Attester };
 */
export const DutyType = {
  Proposer: 1,
  Attester: 2,
  Exit: 4,
  /** builder-specs validator registration (MEV-boost), once per epoch (src/core/duties/builder-registration.ts). */
  BuilderRegistration: 6,
  Randao: 7,
  PrepareAggregator: 8,
  Aggregator: 9,
  SyncMessage: 10,
  PrepareSyncContribution: 11,
  SyncContribution: 12,
} as const;

/**
 * One of the {@link DutyType} numbers.
 *
 * @example
 * const t: DutyType = DutyType.Aggregator;
 */
export type DutyType = (typeof DutyType)[keyof typeof DutyType];

/**
 * Human-readable name of a duty type (logs, metrics labels, tracker).
 *
 * @example
 * dutyTypeName(DutyType.Attester) // "attester"
 */
export function dutyTypeName(t: number): string {
  return (
    (
      {
        1: "proposer",
        2: "attester",
        4: "exit",
        6: "builder_registration",
        7: "randao",
        8: "prepare_aggregator",
        9: "aggregator",
        10: "sync_message",
        11: "prepare_sync_contribution",
        12: "sync_contribution",
      } as Record<number, string>
    )[t] ?? `unknown_${t}`
  );
}

/**
 * A duty: what the cluster must do at `slot`. Exits use the first slot of the exit epoch, so every
 * operator that consents to the same exit derives the same duty.
 *
 * @example
 * const d: Duty = { slot: 64, type: DutyType.Exit };
 */
export type Duty = { slot: number; type: DutyType };

/**
 * Map key of a duty, "slot/type".
 *
 * @example
 * dutyKey({ slot: 5, type: DutyType.Attester }) // "5/2"
 */
export function dutyKey(d: Duty): string {
  return `${d.slot}/${d.type}`;
}

/**
 * A validator public key as lowercase 0x-hex (48 bytes) — the key of every per-duty set.
 *
 * @example
 * const pk: PubkeyHex = "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c";
 */
export type PubkeyHex = string;

/**
 * What the scheduler resolved for one validator of a duty.
 *
 * @example
 * const def: DutyDefinition = { kind: "attester", duty: attesterDuty };
 */
export type DutyDefinition =
  | { kind: "attester"; duty: AttesterDuty }
  | { kind: "proposer"; duty: ProposerDuty }
  | { kind: "sync"; duty: SyncCommitteeDuty }
  | { kind: "exit"; validatorIndex: number; epoch: number }
  /** A builder registration: the validator's Rocket Pool fee recipient (cluster definition). */
  | { kind: "registration"; feeRecipient: string };

/**
 * Unsigned data of one validator for a consensus duty (what the cluster agrees on).
 *
 * - attestation: the AttestationData plus the validator's committee position (Charon's
 *   `core.AttestationData{Data, Duty}`), so any operator can build the Attestation.
 * - block: the beacon node's proposal for the slot.
 * - blinded_block: the beacon node's builder proposal (MEV-Boost BlindedBeaconBlock + the value it
 *   reported), decided by the proposer duty instead of a full block (src/core/duties/proposer.ts).
 * - aggregate: the AggregateAndProof to sign (selection proof already threshold-signed). Up to
 *   Deneb the phase0 container and no `fork`; from Electra on (EIP-7549) `fork` names the fork of
 *   the slot and the value is that fork's AggregateAndProof (electra.Attestation aggregate with
 *   `committee_bits`; electra validator.md "Construct aggregate").
 * - sync_message: the beacon block root a sync-committee member signs at `slot` (altair
 *   validator.md "Sync committee messages"; one root for the whole set).
 * - sync_contribution: the ContributionAndProof to sign (selection proof already threshold-signed).
 * - registration: a builder-specs ValidatorRegistrationV1; `signature`, when present, is the
 *   aggregate an earlier decision of the same message produced (public, verified by every
 *   operator), so an operator that lacks it (restarted) adopts it instead of re-signing.
 *
 * @example
 * const u: UnsignedData = { kind: "attestation", data, duty };
 */
export type UnsignedData =
  | { kind: "attestation"; data: phase0.AttestationData; duty: AttesterDuty }
  | { kind: "block"; block: ProducedBlock }
  /** A builder's (MEV-Boost) blinded block with the value the proposing beacon node reported. */
  | { kind: "blinded_block"; block: ProducedBlindedBlock }
  | {
      kind: "aggregate";
      aggregateAndProof: AnyAggregateAndProof;
      committeeLength: number;
      /** The (Electra or later) fork of the slot; absent before Electra. */
      fork?: ForkName | undefined;
    }
  | { kind: "sync_message"; slot: number; beaconBlockRoot: Uint8Array; validatorIndex: number }
  | { kind: "sync_contribution"; contributionAndProof: altair.ContributionAndProof }
  | {
      kind: "registration";
      registration: bellatrix.ValidatorRegistrationV1;
      signature?: Uint8Array | undefined;
    };

/**
 * An AggregateAndProof of any fork: phase0's up to Deneb, Electra's (its aggregate carries
 * `committee_bits`, consensus-specs electra beacon-chain.md "Attestation") from Electra on.
 *
 * @example
 * const hasBits = "committeeBits" in (ap as AnyAggregateAndProof).aggregate;
 */
export type AnyAggregateAndProof = phase0.AggregateAndProof | electra.AggregateAndProof;

/**
 * A set of unsigned data keyed by validator public key.
 *
 * @example
 * const set: UnsignedDataSet = new Map([[pubkey, { kind: "attestation", data, duty }]]);
 */
export type UnsignedDataSet = Map<PubkeyHex, UnsignedData>;

/**
 * One partial (share) signature: by operator `shareIdx` (the operator id = Shamir x-coordinate)
 * of `signingRoot` for validator `pubkey`.
 *
 * @example
 * const p: ParSig = { pubkey, signingRoot, signature, shareIdx: 2 };
 */
export type ParSig = {
  pubkey: PubkeyHex;
  signingRoot: Uint8Array;
  signature: Uint8Array;
  shareIdx: number;
};

/**
 * Why a duty failed for a validator (Charon core/tracker reasons, condensed). `late` = the
 * aggregate reached the beacon node after the duty deadline.
 *
 * @example
 * const r: FailureReason = "no-quorum";
 */
export type FailureReason =
  | "no-quorum"
  | "consensus-timeout"
  | "slashing-protection"
  | "insufficient-partials"
  | "beacon-error"
  | "late"
  | "doppelganger"
  /** The validator's full key was found outside the cluster (issue 16 key guard). */
  | "key-exposed"
  /** The duty lies outside this cluster definition's signing window (operator replacement). */
  | "signing-window";

/**
 * Epoch of a slot (consensus-specs phase0 `compute_epoch_at_slot`).
 *
 * @example
 * epochOf(65, 32) // 2
 */
export function epochOf(slot: number, slotsPerEpoch: number): number {
  return Math.floor(slot / slotsPerEpoch);
}
