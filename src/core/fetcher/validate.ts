/**
 * The consensus validity predicate β (QBFT `isValid`) of a duty's unsigned data set: an honest
 * operator PREPAREs a proposal only if every entry is well-formed for the instance's slot AND its
 * own slashing protection would let it sign the entry (read-only check, src/core/protection.ts)
 * — so a Byzantine leader cannot make honest operators decide slashable (or unsignable) data.
 *
 * Checks per kind (consensus-specs phase0 beacon-chain.md `process_attestation` /
 * `is_slashable_attestation_data`, validator.md; deneb `process_block_header`):
 * - attestation: data.slot = slot; source.epoch ≤ target.epoch; target.epoch = epoch(slot);
 *   beacon_block_root ≠ 0; data.index < committees_at_slot ≤ MAX_COMMITTEES_PER_SLOT;
 *   validator_committee_index < committee_length; matches this operator's own duty when known;
 *   slashing protection would accept. From Electra on (the fork of the slot, EIP-7549; electra
 *   validator.md "Construct attestation") data.index = 0 and the duty's committee index <
 *   committees_at_slot instead.
 * - block: block.slot = slot; proposer_index matches the duty when known; from Bellatrix on the
 *   execution payload's fee_recipient is the cluster definition's fee recipient of the validator
 *   (bellatrix validator.md `prepare_execution_payload` suggested_fee_recipient; a Rocket Pool
 *   validator must pay its node's fee distributor or the Smoothing Pool, else it is penalised —
 *   so no honest operator PREPAREs, hence signs, a block paying anyone else: reason
 *   "fee-recipient"); randao_reveal is a valid signature of the validator over the epoch (RANDAO
 *   domain); slashing protection would accept ({@link checkFullBlock}). A builder's blinded block
 *   (kind blinded_block, MEV-Boost) is checked by the proposer handler's `validate` only
 *   (src/core/duties/proposer.ts), which applies this rule to full blocks too.
 * - aggregate: aggregate.data.slot = slot; aggregator index matches the duty when known; selection
 *   proof verifies and `is_aggregator` holds. From Electra on (electra p2p-interface.md
 *   `beacon_aggregate_and_proof`, validator.md "Construct aggregate"): the value is of the slot's
 *   fork, data.index = 0, committee_bits has exactly one bit set — the duty's committee when
 *   known — and aggregation_bits spans exactly that committee (reason "committee"); before
 *   Electra a value tagged with a fork is refused ("fork").
 * - sync_message (altair validator.md): slot = slot; block root ≠ 0 and the SAME for every entry
 *   (all operators sign one root); validator index matches the duty when known.
 * - sync_contribution: contribution.slot = slot; subcommittee_index < SYNC_COMMITTEE_SUBNET_COUNT
 *   and is the validator's (lowest) subcommittee when its duty is known; aggregator index matches;
 *   selection proof verifies (DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF) and
 *   `is_sync_committee_aggregator` holds; block root ≠ 0.
 * - registration (builder-specs): the rule lives in its duty handler
 *   (src/core/duties/builder-registration.ts `validate`).
 * A duty type whose handler (`handlers` option) has a `validate` member is checked by it alone:
 * per-duty rules move into their handlers (issue 14 item 8); the kinds above are still here.
 * Every entry's pubkey must be a validator of the cluster.
 *
 * (The block rule and {@link payloadFeeRecipient} live in src/core/block-validity.ts.)
 *
 * Cost: the predicate runs once per distinct value per QBFT instance (consensus caches the verdict
 * by value hash). Within one value, the attestation signing root (an SSZ hash_tree_root, the
 * dominant cost per entry) is computed once per distinct AttestationData — all validators of a
 * committee at a slot attest to the same data.
 */
import {
  isForkPostElectra,
  MAX_COMMITTEES_PER_SLOT,
  SYNC_COMMITTEE_SUBNET_COUNT,
} from "@lodestar/params";
import type { electra, phase0 } from "@lodestar/types";
import { verifySignature } from "../../crypto/bls.js";
import { bytesEqual, fromHex, toHex } from "../../util/hex.js";
import type { ChainInfo } from "../beacon.js";
import { checkFullBlock, payloadFeeRecipient } from "../block-validity.js";
import { decodeUnsignedSet } from "../codec.js";
import {
  forkAtSlot,
  isAggregator,
  isSyncCommitteeAggregator,
  type SigningRoots,
  syncSubcommitteeOf,
} from "../domain.js";
import type { DutyHandler, ValidityContext } from "../duty-handler.js";
import type { ProtectionView } from "../protection.js";
import {
  type DutyDefinition,
  DutyType,
  epochOf,
  type PubkeyHex,
  type UnsignedData,
} from "../types.js";

/**
 * Options of {@link createValidityCheck}.
 *
 * @example
 * const opts: ValidityOptions = { chain, roots, view, validators, localDuty: () => undefined };
 */
export type ValidityOptions = {
  chain: ChainInfo;
  roots: SigningRoots;
  view: ProtectionView;
  /** The cluster's validator public keys. */
  validators: ReadonlySet<PubkeyHex>;
  /**
   * Fee recipient (0x-hex address) per validator, from the cluster definition. A Bellatrix+ block
   * of a validator without one here is refused.
   */
  feeRecipients?: ReadonlyMap<PubkeyHex, string> | undefined;
  /** This operator's own resolved duty for (slot, type, pubkey), if any. */
  localDuty: (slot: number, type: number, pubkey: PubkeyHex) => DutyDefinition | undefined;
  /** Called with a short reason for every rejected value (metrics). */
  onReject?: ((reason: string) => void) | undefined;
  /**
   * The node's duty handlers by type: a handler's `decides` names the value kind of its duty
   * type and its `validate`, when present, is the rule for that kind.
   */
  handlers?: ReadonlyMap<number, DutyHandler> | undefined;
};

const KIND_FOR_DUTY: Record<number, UnsignedData["kind"]> = {
  [DutyType.Attester]: "attestation",
  [DutyType.Proposer]: "block",
  [DutyType.Aggregator]: "aggregate",
  [DutyType.SyncMessage]: "sync_message",
  [DutyType.SyncContribution]: "sync_contribution",
};
const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

export { payloadFeeRecipient };

/**
 * Build the predicate for `createQbftNode({ isValid })`.
 *
 * @example
 * const isValid = createValidityCheck(opts);
 * createQbftNode({ ...cfg, isValid });
 */
export function createValidityCheck(
  opts: ValidityOptions,
): (value: Uint8Array, instance: { slot: number; dutyType: number }) => boolean {
  const spe = opts.chain.slotsPerEpoch;
  const reject = (why: string): false => {
    opts.onReject?.(why);
    return false;
  };
  const entryOk = (
    slot: number,
    type: number,
    pk: PubkeyHex,
    u: UnsignedData,
    attRoot: (data: phase0.AttestationData) => Uint8Array,
  ): string | true => {
    if (!opts.validators.has(pk)) return "unknown-validator";
    const local = opts.localDuty(slot, type, pk);
    switch (u.kind) {
      case "attestation": {
        const { data, duty } = u;
        if (data.slot !== slot) return "slot-mismatch";
        if (data.source.epoch > data.target.epoch) return "source-after-target";
        if (data.target.epoch !== epochOf(slot, spe)) return "target-epoch";
        if (data.beaconBlockRoot.every((b) => b === 0)) return "no-block-root";
        // Electra+ (EIP-7549): data.index = 0, the committee is the duty's.
        const postElectra = isForkPostElectra(forkAtSlot(opts.chain, slot));
        if (
          duty.committeesAtSlot > MAX_COMMITTEES_PER_SLOT ||
          (postElectra
            ? data.index !== 0 || duty.committeeIndex >= duty.committeesAtSlot
            : data.index >= duty.committeesAtSlot || data.index !== duty.committeeIndex) ||
          duty.validatorCommitteeIndex >= duty.committeeLength
        ) {
          return "committee";
        }
        if (local?.kind === "attester") {
          const d = local.duty;
          if (
            d.validatorIndex !== duty.validatorIndex ||
            d.committeeIndex !== duty.committeeIndex ||
            d.committeeLength !== duty.committeeLength ||
            d.validatorCommitteeIndex !== duty.validatorCommitteeIndex
          ) {
            return "duty-mismatch";
          }
        }
        const root = attRoot(data);
        if (
          !opts.view.attestationOk(pk, BigInt(data.source.epoch), BigInt(data.target.epoch), root)
        ) {
          return "slashing-protection";
        }
        return true;
      }
      case "block":
        return checkFullBlock(opts, slot, pk, u.block, local);
      case "blinded_block":
        return "kind"; // only through the proposer handler's `validate`
      case "aggregate": {
        const ap = u.aggregateAndProof;
        if (ap.aggregate.data.slot !== slot) return "slot-mismatch";
        if (local?.kind === "attester" && local.duty.validatorIndex !== ap.aggregatorIndex) {
          return "duty-mismatch";
        }
        const fork = forkAtSlot(opts.chain, slot);
        if (isForkPostElectra(fork)) {
          const agg = ap.aggregate as Partial<electra.Attestation>;
          if (u.fork !== fork || !agg.committeeBits) return "fork";
          const committees = agg.committeeBits.getTrueBitIndexes();
          if (
            ap.aggregate.data.index !== 0 ||
            committees.length !== 1 ||
            ap.aggregate.aggregationBits.bitLen !== u.committeeLength ||
            (local?.kind === "attester" &&
              (local.duty.committeeIndex !== committees[0] ||
                local.duty.committeeLength !== u.committeeLength))
          ) {
            return "committee";
          }
        } else if (u.fork !== undefined) {
          return "fork";
        }
        if (!verifySignature(fromHex(pk), opts.roots.selectionProof(slot), ap.selectionProof)) {
          return "selection-proof";
        }
        if (!isAggregator(u.committeeLength, ap.selectionProof)) return "not-aggregator";
        return true;
      }
      case "sync_message": {
        if (u.slot !== slot) return "slot-mismatch";
        if (isZero(u.beaconBlockRoot)) return "no-block-root";
        if (local?.kind === "sync" && local.duty.validatorIndex !== u.validatorIndex) {
          return "duty-mismatch";
        }
        return true;
      }
      case "registration":
        return "kind"; // only through its handler's `validate`
      case "sync_contribution": {
        const cp = u.contributionAndProof;
        const c = cp.contribution;
        if (c.slot !== slot) return "slot-mismatch";
        if (c.subcommitteeIndex >= SYNC_COMMITTEE_SUBNET_COUNT) return "subcommittee";
        if (isZero(c.beaconBlockRoot)) return "no-block-root";
        if (local?.kind === "sync") {
          if (local.duty.validatorIndex !== cp.aggregatorIndex) return "duty-mismatch";
          const sub = syncSubcommitteeOf(local.duty.validatorSyncCommitteeIndices);
          if (sub !== c.subcommitteeIndex) return "subcommittee";
        }
        const root = opts.roots.syncSelectionProof(slot, c.subcommitteeIndex);
        if (!verifySignature(fromHex(pk), root, cp.selectionProof)) return "selection-proof";
        if (!isSyncCommitteeAggregator(cp.selectionProof)) return "not-aggregator";
        return true;
      }
    }
  };
  const vctx: ValidityContext = {
    chain: opts.chain,
    roots: opts.roots,
    view: opts.view,
    feeRecipients: opts.feeRecipients,
  };
  return (value, instance) => {
    const decoded = decodeUnsignedSet(value);
    if (!decoded) return reject("malformed");
    const handler = opts.handlers?.get(instance.dutyType);
    const kind = handler ? handler.decides : KIND_FOR_DUTY[instance.dutyType];
    const also = handler?.alsoDecides?.includes(decoded.kind) === true;
    if (kind === undefined || (kind !== decoded.kind && !also)) return reject("kind");
    if (handler?.validate) {
      for (const [pk, u] of decoded.set) {
        if (!opts.validators.has(pk)) return reject("unknown-validator");
        const local = opts.localDuty(instance.slot, instance.dutyType, pk);
        const ok = handler.validate(vctx, instance.slot, pk, u, local);
        if (ok !== true) return reject(ok);
      }
      return true;
    }
    if (decoded.kind === "sync_message") {
      let first: Uint8Array | undefined;
      for (const u of decoded.set.values()) {
        if (u.kind !== "sync_message") continue;
        if (!first) first = u.beaconBlockRoot;
        else if (!bytesEqual(first, u.beaconBlockRoot)) return reject("block-root-mismatch");
      }
    }
    // Signing roots of this value's distinct AttestationData (usually one per committee).
    const attRoots = new Map<string, Uint8Array>();
    const attRoot = (d: phase0.AttestationData): Uint8Array => {
      const k = `${d.slot}/${d.index}/${toHex(d.beaconBlockRoot)}/${d.source.epoch}/${toHex(d.source.root)}/${d.target.epoch}/${toHex(d.target.root)}`;
      let r = attRoots.get(k);
      if (!r) {
        r = opts.roots.attestation(d);
        attRoots.set(k, r);
      }
      return r;
    };
    for (const [pk, u] of decoded.set) {
      const ok = entryOk(instance.slot, instance.dutyType, pk, u, attRoot);
      if (ok !== true) return reject(ok);
    }
    return true;
  };
}
