/**
 * Signing roots of the objects a validator signs.
 *
 * consensus-specs phase0 beacon-chain.md, "Helper functions":
 * - `compute_fork_data_root(current_version, genesis_validators_root)` =
 *   hash_tree_root(ForkData(current_version, genesis_validators_root));
 * - `compute_domain(domain_type, fork_version, genesis_validators_root)` =
 *   domain_type (4 bytes) ‖ fork_data_root[:28];
 * - `compute_signing_root(ssz_object, domain)` =
 *   hash_tree_root(SigningData(object_root = hash_tree_root(ssz_object), domain));
 * - `get_domain(state, domain_type, epoch)`: the fork version active at `epoch` (here: the last
 *   entry of the fork schedule with `epoch <= epoch`).
 *
 * Objects and domains (phase0 validator.md; altair validator.md for the sync-committee types):
 * attestation data → DOMAIN_BEACON_ATTESTER at data.target.epoch; block → DOMAIN_BEACON_PROPOSER at
 * epoch(slot); randao reveal → DOMAIN_RANDAO over the epoch (uint64); selection proof →
 * DOMAIN_SELECTION_PROOF over the slot (uint64); AggregateAndProof → DOMAIN_AGGREGATE_AND_PROOF
 * at epoch(aggregate.data.slot), hashed as the AggregateAndProof container of the fork active at
 * that slot (phase0's up to Deneb; from Electra on Electra's, whose aggregate carries
 * committee_bits — EIP-7549, electra validator.md "Aggregate signature"); VoluntaryExit → DOMAIN_VOLUNTARY_EXIT with the **Capella** fork
 * version whatever the current fork (EIP-7044, deneb/beacon-chain.md
 * `process_voluntary_exit`; before a chain has Capella, the version at the exit epoch); sync
 * committee message → the beacon block root (Root) under DOMAIN_SYNC_COMMITTEE at epoch(slot);
 * sync selection proof → SyncAggregatorSelectionData(slot, subcommittee_index) under
 * DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF at epoch(slot); ContributionAndProof →
 * DOMAIN_CONTRIBUTION_AND_PROOF at epoch(contribution.slot).
 */
import "../util/ssz-hasher.js";
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_CONTRIBUTION_AND_PROOF,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
  DOMAIN_VOLUNTARY_EXIT,
  ForkName,
  isForkPostElectra,
  SYNC_COMMITTEE_SIZE,
  SYNC_COMMITTEE_SUBNET_COUNT,
  TARGET_AGGREGATORS_PER_COMMITTEE,
  TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
} from "@lodestar/params";
import { type altair, type BeaconBlock, type phase0, ssz, sszTypesFor } from "@lodestar/types";
import { sha256 } from "@noble/hashes/sha2.js";
import { InputError } from "../errors.js";
import { toHex } from "../util/hex.js";
import type { ChainInfo } from "./beacon.js";
import { type AnyAggregateAndProof, epochOf } from "./types.js";

const FORK_NAMES = new Set<string>(Object.values(ForkName));

/**
 * The fork active at `slot` on `chain`: the last entry of the fork schedule (ascending) with
 * epoch ≤ epoch(slot) whose name is a fork Lodestar knows (consensus-specs: the fork whose
 * containers and rules apply to a message of that slot). phase0 when none is.
 *
 * @example
 * forkAtSlot(chain, 64) // "electra" on a chain with ELECTRA_FORK_EPOCH ≤ 64 / SLOTS_PER_EPOCH
 */
export function forkAtSlot(chain: ChainInfo, slot: number): ForkName {
  const epoch = epochOf(slot, chain.slotsPerEpoch);
  let fork: ForkName = ForkName.phase0;
  for (const f of chain.forks)
    if (f.epoch <= epoch && FORK_NAMES.has(f.name)) fork = f.name as ForkName;
  return fork;
}

/**
 * The SSZ type of the AggregateAndProof container at `fork` (phase0's before Electra).
 *
 * @example
 * aggregateAndProofType(ForkName.electra).hashTreeRoot(ap)
 */
export function aggregateAndProofType(fork: ForkName): {
  hashTreeRoot(v: AnyAggregateAndProof): Uint8Array;
  serialize(v: AnyAggregateAndProof): Uint8Array;
  deserialize(b: Uint8Array): AnyAggregateAndProof;
} {
  return (isForkPostElectra(fork)
    ? sszTypesFor(fork).AggregateAndProof
    : ssz.phase0.AggregateAndProof) as unknown as ReturnType<typeof aggregateAndProofType>;
}

/**
 * The fork version active at `epoch` (consensus-specs `get_domain`'s version choice).
 *
 * @example
 * forkVersionAt(chain, 10) // Uint8Array [4, 0, 0, 0] on a chain at Deneb
 */
export function forkVersionAt(chain: ChainInfo, epoch: number): Uint8Array {
  let v: Uint8Array | undefined;
  for (const f of chain.forks) if (f.epoch <= epoch) v = f.version;
  if (!v) {
    throw new InputError(`No fork is active at epoch ${epoch}`, {
      field: "chainInfo.forks",
      metaMessages: ["The fork schedule must start at epoch 0 (phase0 / genesis fork)."],
    });
  }
  return v;
}

/**
 * consensus-specs `compute_domain`.
 *
 * @example
 * const domain = computeDomain(DOMAIN_BEACON_ATTESTER, forkVersion, genesisValidatorsRoot);
 */
export function computeDomain(
  domainType: Uint8Array,
  forkVersion: Uint8Array,
  genesisValidatorsRoot: Uint8Array,
): Uint8Array {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({
    currentVersion: forkVersion,
    genesisValidatorsRoot,
  });
  const out = new Uint8Array(32);
  out.set(domainType.subarray(0, 4), 0);
  out.set(forkDataRoot.subarray(0, 28), 4);
  return out;
}

/**
 * consensus-specs `compute_signing_root`, given the object's hash_tree_root.
 *
 * @example
 * const root = computeSigningRoot(ssz.phase0.AttestationData.hashTreeRoot(data), domain);
 */
export function computeSigningRoot(objectRoot: Uint8Array, domain: Uint8Array): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain });
}

/**
 * Domain of `domainType` at `epoch` on `chain` (consensus-specs `get_domain`), cached per
 * (type, version) since it only changes at forks.
 *
 * @example
 * const domains = createDomains(chain);
 * domains.at(DOMAIN_RANDAO, 12);
 */
export function createDomains(chain: ChainInfo): {
  at(domainType: Uint8Array, epoch: number): Uint8Array;
  exit(epoch: number): Uint8Array;
} {
  const cache = new Map<string, Uint8Array>();
  const get = (domainType: Uint8Array, version: Uint8Array): Uint8Array => {
    const k = `${toHex(domainType, false)}/${toHex(version, false)}`;
    let d = cache.get(k);
    if (!d) {
      d = computeDomain(domainType, version, chain.genesisValidatorsRoot);
      cache.set(k, d);
    }
    return d;
  };
  const capella = chain.forks.find((f) => f.name === "capella");
  return {
    at: (domainType, epoch) => get(domainType, forkVersionAt(chain, epoch)),
    // EIP-7044: exits are always signed for the Capella fork version once Capella exists.
    exit: (epoch) =>
      get(DOMAIN_VOLUNTARY_EXIT, capella ? capella.version : forkVersionAt(chain, epoch)),
  };
}

/**
 * Signing roots of every object type the workflow signs, for one chain.
 *
 * @example
 * const roots = createSigningRoots(chain);
 * const r = roots.attestation(data);
 */
export type SigningRoots = ReturnType<typeof createSigningRoots>;

/**
 * Build the {@link SigningRoots} of a chain.
 *
 * @example
 * const roots = createSigningRoots(await beacon.chainInfo());
 * roots.randao(epoch);
 */
export function createSigningRoots(chain: ChainInfo) {
  const domains = createDomains(chain);
  const spe = chain.slotsPerEpoch;
  return {
    domains,
    attestation: (data: phase0.AttestationData): Uint8Array =>
      computeSigningRoot(
        ssz.phase0.AttestationData.hashTreeRoot(data),
        domains.at(DOMAIN_BEACON_ATTESTER, data.target.epoch),
      ),
    block: (fork: ForkName, block: BeaconBlock): Uint8Array =>
      computeSigningRoot(
        (
          sszTypesFor(fork).BeaconBlock as { hashTreeRoot(v: BeaconBlock): Uint8Array }
        ).hashTreeRoot(block),
        domains.at(DOMAIN_BEACON_PROPOSER, epochOf(block.slot, spe)),
      ),
    randao: (epoch: number): Uint8Array =>
      computeSigningRoot(ssz.Epoch.hashTreeRoot(epoch), domains.at(DOMAIN_RANDAO, epoch)),
    selectionProof: (slot: number): Uint8Array =>
      computeSigningRoot(
        ssz.Slot.hashTreeRoot(slot),
        domains.at(DOMAIN_SELECTION_PROOF, epochOf(slot, spe)),
      ),
    aggregateAndProof: (ap: AnyAggregateAndProof): Uint8Array =>
      computeSigningRoot(
        aggregateAndProofType(forkAtSlot(chain, ap.aggregate.data.slot)).hashTreeRoot(ap),
        domains.at(DOMAIN_AGGREGATE_AND_PROOF, epochOf(ap.aggregate.data.slot, spe)),
      ),
    voluntaryExit: (exit: phase0.VoluntaryExit): Uint8Array =>
      computeSigningRoot(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), domains.exit(exit.epoch)),
    syncCommitteeMessage: (slot: number, beaconBlockRoot: Uint8Array): Uint8Array =>
      computeSigningRoot(
        ssz.Root.hashTreeRoot(beaconBlockRoot),
        domains.at(DOMAIN_SYNC_COMMITTEE, epochOf(slot, spe)),
      ),
    syncSelectionProof: (slot: number, subcommitteeIndex: number): Uint8Array =>
      computeSigningRoot(
        ssz.altair.SyncAggregatorSelectionData.hashTreeRoot({ slot, subcommitteeIndex }),
        domains.at(DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, epochOf(slot, spe)),
      ),
    contributionAndProof: (cp: altair.ContributionAndProof): Uint8Array =>
      computeSigningRoot(
        ssz.altair.ContributionAndProof.hashTreeRoot(cp),
        domains.at(DOMAIN_CONTRIBUTION_AND_PROOF, epochOf(cp.contribution.slot, spe)),
      ),
  };
}

/**
 * consensus-specs phase0 validator.md `is_aggregator`: modulo = max(1, committee_length //
 * TARGET_AGGREGATORS_PER_COMMITTEE); aggregator iff bytes_to_uint64(hash(slot_signature)[0:8]) %
 * modulo == 0 (little-endian).
 *
 * @example
 * if (isAggregator(duty.committeeLength, selectionProof)) scheduleAggregation();
 */
export function isAggregator(committeeLength: number, selectionProof: Uint8Array): boolean {
  const modulo = Math.max(1, Math.floor(committeeLength / TARGET_AGGREGATORS_PER_COMMITTEE));
  const h = sha256(selectionProof);
  const v = Buffer.from(h.buffer, h.byteOffset, 8).readBigUInt64LE(0);
  return v % BigInt(modulo) === 0n;
}

/**
 * Validators per sync subcommittee: SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT of the
 * preset this process loaded (mainnet 128, minimal 8).
 *
 * @example
 * const subcommittee = Math.floor(position / SYNC_SUBCOMMITTEE_SIZE);
 */
export const SYNC_SUBCOMMITTEE_SIZE = Math.floor(SYNC_COMMITTEE_SIZE / SYNC_COMMITTEE_SUBNET_COUNT);

/**
 * consensus-specs altair validator.md `is_sync_committee_aggregator`: modulo = max(1,
 * SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT // TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE);
 * aggregator iff bytes_to_uint64(hash(signature)[0:8]) % modulo == 0 (mainnet modulo 8,
 * minimal 1: every member aggregates).
 *
 * @example
 * if (isSyncCommitteeAggregator(selectionProof)) scheduleContribution();
 */
export function isSyncCommitteeAggregator(selectionProof: Uint8Array): boolean {
  const modulo = Math.max(
    1,
    Math.floor(SYNC_SUBCOMMITTEE_SIZE / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE),
  );
  const h = sha256(selectionProof);
  const v = Buffer.from(h.buffer, h.byteOffset, 8).readBigUInt64LE(0);
  return v % BigInt(modulo) === 0n;
}

/**
 * The sync subcommittee a DV validator aggregates for: the lowest one among its positions
 * (altair validator.md `compute_subnets_for_sync_committee`: position // subcommittee size). One
 * per validator and slot, because a duty's partial signatures are keyed by validator (parsigex,
 * sigagg); `undefined` without positions.
 *
 * @example
 * syncSubcommitteeOf([130, 5]) // 0 on mainnet (5 // 128)
 */
export function syncSubcommitteeOf(positions: readonly number[]): number | undefined {
  let best: number | undefined;
  for (const p of positions) {
    const s = Math.floor(p / SYNC_SUBCOMMITTEE_SIZE);
    if (best === undefined || s < best) best = s;
  }
  return best;
}
