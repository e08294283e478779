/**
 * The DV node's view of a beacon node: the subset of the standard Beacon API
 * (ethereum/beacon-APIs) the duty workflow needs, as typed values (@lodestar/types). Two
 * implementations: src/beacon/ (REST client with fallback over several beacon nodes, used against
 * Lodestar's dev chain and real networks) and the simulated beacon in test/simnet (tests).
 *
 * Values use @lodestar/types' TS types (`phase0.AttestationData`, …) so SSZ hashing and signing
 * roots come from Lodestar's own type definitions. Each method names the endpoint whose semantics
 * it has. Attestations and aggregates are typed with the phase0 containers; from Electra on
 * (EIP-7549) their values are the fork's own (an electra `Attestation` adds `committee_bits`,
 * which the phase0 type does not name), and the `duties` argument of
 * {@link BeaconNode.submitAttestations} carries what an Electra+ client needs to build a
 * `SingleAttestation` (committee_index, attester_index) for POST /eth/v2/beacon/pool/attestations.
 */
import type { ForkName } from "@lodestar/params";
import type { altair, BeaconBlock, BlindedBeaconBlock, bellatrix, phase0 } from "@lodestar/types";
import { BaseError } from "../errors.js";

/**
 * Chain parameters a DV node needs (from GET /eth/v1/config/spec and /eth/v1/beacon/genesis).
 *
 * @example
 * const { slotsPerEpoch, genesisValidatorsRoot } = await beacon.chainInfo();
 */
export type ChainInfo = {
  genesisTime: number;
  genesisValidatorsRoot: Uint8Array;
  secondsPerSlot: number;
  slotsPerEpoch: number;
  /** Fork schedule ascending by epoch: version (4 bytes) active from `epoch`. */
  forks: { name: string; epoch: number; version: Uint8Array }[];
};

/**
 * The wall clock's epoch from the genesis time (0 before genesis).
 *
 * @example
 * currentEpoch(chain, Date.now())
 */
export function currentEpoch(
  chain: { genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number },
  nowMs: number,
): number {
  const slot = Math.floor((nowMs / 1000 - chain.genesisTime) / chain.secondsPerSlot);
  return Math.max(0, Math.floor(slot / chain.slotsPerEpoch));
}

/**
 * GET /eth/v1/beacon/states/head/validators entry (the fields the node uses).
 *
 * @example
 * const [v] = await beacon.validators([pubkey]); // { index, pubkey, status: "active_ongoing", … }
 */
export type ValidatorInfo = {
  index: number;
  pubkey: Uint8Array;
  status: string;
  balanceGwei: bigint;
  /** Registry activation / exit epochs (FAR_FUTURE_EPOCH = Infinity when unset), when known. */
  activationEpoch?: number | undefined;
  exitEpoch?: number | undefined;
};

/**
 * POST /eth/v1/validator/duties/attester/{epoch} entry.
 *
 * @example
 * const duties = await beacon.attesterDuties(epoch, [index]);
 */
export type AttesterDuty = {
  pubkey: Uint8Array;
  validatorIndex: number;
  committeeIndex: number;
  committeeLength: number;
  committeesAtSlot: number;
  validatorCommitteeIndex: number;
  slot: number;
};

/**
 * GET /eth/v1/validator/duties/proposer/{epoch} entry.
 *
 * @example
 * const proposers = await beacon.proposerDuties(epoch);
 */
export type ProposerDuty = { pubkey: Uint8Array; validatorIndex: number; slot: number };

/**
 * POST /eth/v1/validator/duties/sync/{epoch} entry: the validator's positions in the current sync
 * committee (altair validator.md "Sync committee"; valid for the whole sync committee period).
 *
 * @example
 * const [d] = await beacon.syncCommitteeDuties(epoch, [index]); d?.validatorSyncCommitteeIndices;
 */
export type SyncCommitteeDuty = {
  pubkey: Uint8Array;
  validatorIndex: number;
  validatorSyncCommitteeIndices: number[];
};

/**
 * GET /eth/v3/validator/blocks/{slot} response (full, non-blinded block): the block of the fork
 * active at the slot, and for Deneb+ the blob bundle that POST /eth/v2/beacon/blocks needs with it
 * (`BlockContents`: kzg_proofs, blobs).
 *
 * @example
 * const { fork, block } = await beacon.produceBlock(slot, randaoReveal, graffiti);
 */
export type ProducedBlock = {
  fork: ForkName;
  block: BeaconBlock;
  kzgProofs?: Uint8Array[] | undefined;
  blobs?: Uint8Array[] | undefined;
};

/**
 * A blinded block (MEV-Boost, builder-specs): the beacon node's builder bid as a
 * BlindedBeaconBlock of the fork (its body carries the execution payload HEADER), with the value
 * the beacon node reported (`execution_payload_value` of produceBlockV3; absent from Lodestar
 * 1.5.1's GET /eth/v1/validator/blinded_blocks). hash_tree_root of a blinded block equals the full
 * block's (the header's root is the payload's), so its signature signs the full block too.
 *
 * @example
 * const b: ProducedBlindedBlock = { fork: "capella", block, blinded: true, valueWei: 10n ** 16n };
 */
export type ProducedBlindedBlock = {
  fork: ForkName;
  block: BlindedBeaconBlock;
  blinded: true;
  valueWei?: bigint | undefined;
};

/**
 * How the proposer asks for a block: `builderBoostFactor` (produceBlockV3's
 * builder_boost_factor, percent: 0 = never the builder, 100 = compare values as they are;
 * undefined = omitted, the beacon node's choice), `blinded` (ask the builder only: Lodestar
 * 1.5.1's GET /eth/v1/validator/blinded_blocks, where v3 is missing).
 *
 * @example
 * await beacon.produceProposal?.(slot, randao, graffiti, { builderBoostFactor: 100n });
 */
export type ProposalRequest = { builderBoostFactor?: bigint | undefined; blinded?: boolean };

/**
 * POST /eth/v2/beacon/blinded_blocks body: a blinded block with its (threshold) signature.
 *
 * @example
 * await beacon.publishBlindedBlock?.({ ...produced, signature });
 */
export type SignedProducedBlindedBlock = ProducedBlindedBlock & { signature: Uint8Array };

/**
 * POST /eth/v2/beacon/blocks body: the produced block with its (threshold) signature.
 *
 * @example
 * await beacon.publishBlock({ ...produced, signature });
 */
export type SignedProducedBlock = ProducedBlock & { signature: Uint8Array };

/**
 * POST /eth/v1/validator/beacon_committee_subscriptions entry: the beacon node joins the
 * attestation subnet of (slot, committee) and, with `isAggregator`, pools the attestations it
 * receives for it so GET aggregate_attestation can answer.
 *
 * @example
 * await beacon.subscribeToCommittees([{ validatorIndex: 48, committeeIndex: 0, committeesAtSlot: 1, slot: 9, isAggregator: true }]);
 */
export type CommitteeSubscription = {
  validatorIndex: number;
  committeeIndex: number;
  committeesAtSlot: number;
  slot: number;
  isAggregator: boolean;
};

/**
 * POST /eth/v1/validator/prepare_beacon_proposer entry: the execution-layer address a validator's
 * block proposals must pay (beacon-APIs `ProposerPreparationData`; Lodestar's API types it the
 * same way, the address as a 0x-hex string). A beacon node keeps it for a few epochs only
 * (Lodestar: 2), so validator clients send it every epoch.
 *
 * @example
 * await beacon.prepareBeaconProposer([{ validatorIndex: 48, feeRecipient: "0x5aAe…eAed" }]);
 */
export type ProposerPreparation = { validatorIndex: number; feeRecipient: string };

/**
 * A beacon node's new head block (beacon-APIs eventstream `head`: slot and block root).
 *
 * @example
 * const unsubscribe = beacon.subscribeHead?.((h: HeadNotice) => console.log(h.slot));
 */
export type HeadNotice = { slot: number; block: Uint8Array };

/**
 * What the duty workflow calls on a beacon node. Every method may throw (network, 4xx/5xx);
 * callers treat that as a failed step for that duty, never as fatal.
 *
 * @example
 * const data = await beacon.attestationData(slot, 0);
 */
export interface BeaconNode {
  /** GET /eth/v1/config/spec, /eth/v1/beacon/genesis, /eth/v1/config/fork_schedule. */
  chainInfo(): Promise<ChainInfo>;
  /** GET|POST /eth/v1/beacon/states/head/validators (id = pubkeys). Unknown pubkeys are omitted. */
  validators(pubkeys: readonly Uint8Array[]): Promise<ValidatorInfo[]>;
  /** POST /eth/v1/validator/duties/attester/{epoch}. */
  attesterDuties(epoch: number, indices: readonly number[]): Promise<AttesterDuty[]>;
  /** GET /eth/v1/validator/duties/proposer/{epoch} (all proposers of the epoch). */
  proposerDuties(epoch: number): Promise<ProposerDuty[]>;
  /**
   * GET /eth/v1/events?topics=head, followed until the returned function is called: `listener`
   * gets every new head (the scheduler starts the attester duty on it, `attestOnHead`). Optional:
   * without it the attester duty starts at ⅓ of the slot.
   */
  subscribeHead?(listener: (head: HeadNotice) => void): () => void;
  /** GET /eth/v1/validator/attestation_data?slot&committee_index. */
  attestationData(slot: number, committeeIndex: number): Promise<phase0.AttestationData>;
  /**
   * POST /eth/v1/beacon/pool/attestations (phase0 `Attestation`, one aggregation bit each).
   * `duties[i]` (when given) is the duty of `attestations[i]`, for Electra+ `SingleAttestation`.
   */
  submitAttestations(
    attestations: phase0.Attestation[],
    duties?: readonly AttesterDuty[],
  ): Promise<void>;
  /** POST /eth/v1/validator/liveness/{epoch}: liveness of validators in `epoch` (doppelganger). */
  liveness(epoch: number, indices: readonly number[]): Promise<Map<number, boolean>>;
  /**
   * POST /eth/v1/validator/prepare_beacon_proposer: the fee recipient of each validator's next
   * proposals. Sent to every beacon node (any of them may end up producing the block).
   */
  prepareBeaconProposer(entries: readonly ProposerPreparation[]): Promise<void>;
  /**
   * POST /eth/v1/validator/register_validator: builder-specs SignedValidatorRegistrationV1s, which
   * the beacon node forwards to its builder (MEV-Boost / relays). Sent to every beacon node (any
   * of them may end up asking its builder for a header).
   */
  registerValidators(signed: readonly bellatrix.SignedValidatorRegistrationV1[]): Promise<void>;
  /**
   * POST /eth/v1/validator/beacon_committee_subscriptions, to every beacon node (whichever one
   * receives an attestation must pool it for the aggregators).
   */
  subscribeToCommittees(subs: readonly CommitteeSubscription[]): Promise<void>;
  /** GET /eth/v3/validator/blocks/{slot}?randao_reveal&graffiti (non-blinded). */
  produceBlock(
    slot: number,
    randaoReveal: Uint8Array,
    graffiti: Uint8Array,
  ): Promise<ProducedBlock>;
  /** POST /eth/v2/beacon/blocks (broadcast_validation=gossip). */
  publishBlock(signed: SignedProducedBlock): Promise<void>;
  /**
   * GET /eth/v3/validator/blocks/{slot} with builder_boost_factor (full or blinded answer), or
   * with `blinded` GET /eth/v1/validator/blinded_blocks/{slot}. Optional: a beacon node without it
   * has no builder path (the proposer then uses {@link BeaconNode.produceBlock}).
   */
  produceProposal?(
    slot: number,
    randaoReveal: Uint8Array,
    graffiti: Uint8Array,
    request: ProposalRequest,
  ): Promise<ProducedBlock | ProducedBlindedBlock>;
  /** POST /eth/v2/beacon/blinded_blocks (v1 where v2 is missing: Lodestar 1.5.1). */
  publishBlindedBlock?(signed: SignedProducedBlindedBlock): Promise<void>;
  /**
   * GET /eth/v1/validator/aggregate_attestation?slot&attestation_data_root (Electra+: v2 with
   * committee_index).
   */
  aggregateAttestation(
    slot: number,
    attestationDataRoot: Uint8Array,
    committeeIndex: number,
  ): Promise<phase0.Attestation>;
  /** POST /eth/v1/validator/aggregate_and_proofs. */
  submitAggregateAndProofs(signed: phase0.SignedAggregateAndProof[]): Promise<void>;
  /** POST /eth/v1/beacon/pool/voluntary_exits. */
  submitVoluntaryExit(signed: phase0.SignedVoluntaryExit): Promise<void>;
  /** POST /eth/v1/validator/duties/sync/{epoch} (Altair+). */
  syncCommitteeDuties(epoch: number, indices: readonly number[]): Promise<SyncCommitteeDuty[]>;
  /** GET /eth/v1/beacon/blocks/{block_id}/root ("head" or a slot). */
  beaconBlockRoot(blockId: "head" | number): Promise<Uint8Array>;
  /** POST /eth/v1/beacon/pool/sync_committees. */
  submitSyncCommitteeMessages(messages: altair.SyncCommitteeMessage[]): Promise<void>;
  /** GET /eth/v1/validator/sync_committee_contribution?slot&subcommittee_index&beacon_block_root. */
  syncCommitteeContribution(
    slot: number,
    subcommitteeIndex: number,
    beaconBlockRoot: Uint8Array,
  ): Promise<altair.SyncCommitteeContribution>;
  /** POST /eth/v1/validator/contribution_and_proofs. */
  submitContributionAndProofs(signed: altair.SignedContributionAndProof[]): Promise<void>;
}

/**
 * A {@link BeaconNode} over several: each call tries the nodes in order and returns the first
 * success (Charon's eth2wrap fallback, simplified: no latency-based ordering). Throws the last
 * error when every node failed. Exceptions: `prepareBeaconProposer`, `subscribeToCommittees` and
 * `registerValidators` go to EVERY node (as Lodestar's validator client and Charon do —
 * whichever node produces the block must know the recipient, whichever receives an attestation
 * must pool it) and throw, after all were tried, if any of them failed.
 *
 * @example
 * const beacon = fallbackBeacon([primary, secondary]);
 */
export function fallbackBeacon(nodes: readonly BeaconNode[]): BeaconNode {
  if (nodes.length === 0) throw new BaseError("fallbackBeacon needs at least one beacon node");
  if (nodes.length === 1) return nodes[0] as BeaconNode;
  const each = async (what: string, fn: (b: BeaconNode) => Promise<void>): Promise<void> => {
    const results = await Promise.allSettled(nodes.map(fn));
    const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    if (failed.length) {
      throw new BaseError(`${failed.length} of ${nodes.length} beacon nodes refused the ${what}`, {
        cause: failed[0],
        details: failed.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"),
      });
    }
  };
  const call = async <T>(fn: (b: BeaconNode) => Promise<T>): Promise<T> => {
    let last: unknown;
    for (const b of nodes) {
      try {
        return await fn(b);
      } catch (err) {
        last = err;
      }
    }
    throw new BaseError(`All ${nodes.length} beacon nodes failed`, { cause: last });
  };
  const heads = nodes.flatMap((b) => (b.subscribeHead ? [b.subscribeHead.bind(b)] : []));
  return {
    // Every node's head events (the scheduler uses the first one per slot).
    ...(heads.length > 0 && {
      subscribeHead: (listener: (head: HeadNotice) => void) => {
        const stops = heads.map((subscribe) => subscribe(listener));
        return () => {
          for (const stop of stops) stop();
        };
      },
    }),
    chainInfo: () => call((b) => b.chainInfo()),
    validators: (p) => call((b) => b.validators(p)),
    attesterDuties: (e, i) => call((b) => b.attesterDuties(e, i)),
    proposerDuties: (e) => call((b) => b.proposerDuties(e)),
    attestationData: (s, c) => call((b) => b.attestationData(s, c)),
    submitAttestations: (a, d) => call((b) => b.submitAttestations(a, d)),
    liveness: (e, i) => call((b) => b.liveness(e, i)),
    prepareBeaconProposer: async (entries) => {
      const results = await Promise.allSettled(nodes.map((b) => b.prepareBeaconProposer(entries)));
      const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      if (failed.length) {
        throw new BaseError(
          `${failed.length} of ${nodes.length} beacon nodes refused the fee recipients`,
          {
            cause: failed[0],
            details: failed.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"),
          },
        );
      }
    },
    subscribeToCommittees: (subs) =>
      each("committee subscriptions", (b) => b.subscribeToCommittees(subs)),
    registerValidators: (signed) =>
      each("builder registrations", (b) => b.registerValidators(signed)),
    produceBlock: (s, r, g) => call((b) => b.produceBlock(s, r, g)),
    publishBlock: (s) => call((b) => b.publishBlock(s)),
    ...(nodes.every((b) => b.produceProposal && b.publishBlindedBlock) && {
      produceProposal: (s: number, r: Uint8Array, g: Uint8Array, q: ProposalRequest) =>
        call((b) => (b.produceProposal as NonNullable<BeaconNode["produceProposal"]>)(s, r, g, q)),
      publishBlindedBlock: (s: SignedProducedBlindedBlock) =>
        call((b) => (b.publishBlindedBlock as NonNullable<BeaconNode["publishBlindedBlock"]>)(s)),
    }),
    aggregateAttestation: (s, r, c) => call((b) => b.aggregateAttestation(s, r, c)),
    submitAggregateAndProofs: (s) => call((b) => b.submitAggregateAndProofs(s)),
    submitVoluntaryExit: (s) => call((b) => b.submitVoluntaryExit(s)),
    syncCommitteeDuties: (e, i) => call((b) => b.syncCommitteeDuties(e, i)),
    beaconBlockRoot: (id) => call((b) => b.beaconBlockRoot(id)),
    submitSyncCommitteeMessages: (m) => call((b) => b.submitSyncCommitteeMessages(m)),
    syncCommitteeContribution: (s, i, r) => call((b) => b.syncCommitteeContribution(s, i, r)),
    submitContributionAndProofs: (s) => call((b) => b.submitContributionAndProofs(s)),
  };
}
