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
 * Objects and domains (phase0 validator.md; altair for the sync types, not used yet):
 * attestation data → DOMAIN_BEACON_ATTESTER at data.target.epoch; block → DOMAIN_BEACON_PROPOSER at
 * epoch(slot); randao reveal → DOMAIN_RANDAO over the epoch (uint64); selection proof →
 * DOMAIN_SELECTION_PROOF over the slot (uint64); AggregateAndProof → DOMAIN_AGGREGATE_AND_PROOF
 * at epoch(aggregate.data.slot); VoluntaryExit → DOMAIN_VOLUNTARY_EXIT with the **Capella** fork
 * version whatever the current fork (EIP-7044, deneb/beacon-chain.md
 * `process_voluntary_exit`; before a chain has Capella, the version at the exit epoch).
 */
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_RANDAO,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_VOLUNTARY_EXIT,
  type ForkName,
  TARGET_AGGREGATORS_PER_COMMITTEE,
} from "@lodestar/params";
import { type BeaconBlock, type phase0, ssz, sszTypesFor } from "@lodestar/types";
import { sha256 } from "@noble/hashes/sha2.js";
import { InputError } from "../../errors.js";
import type { ChainInfo } from "../beacon.js";
import { epochOf } from "../types.js";

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
    const k = `${Buffer.from(domainType).toString("hex")}/${Buffer.from(version).toString("hex")}`;
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
    aggregateAndProof: (ap: phase0.AggregateAndProof): Uint8Array =>
      computeSigningRoot(
        ssz.phase0.AggregateAndProof.hashTreeRoot(ap),
        domains.at(DOMAIN_AGGREGATE_AND_PROOF, epochOf(ap.aggregate.data.slot, spe)),
      ),
    voluntaryExit: (exit: phase0.VoluntaryExit): Uint8Array =>
      computeSigningRoot(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), domains.exit(exit.epoch)),
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
