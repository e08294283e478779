/**
 * The attester duty (consensus-specs phase0 validator.md "Attesting"): at ⅓ of the slot — or, with
 * the node's `attestOnHead`, as soon as the beacon node's head event for the slot arrives (the
 * scheduler triggers it; src/core/scheduler/scheduler.ts) — fetch the
 * attestation data of the cluster's attesters → consensus (one value per slot for all of them) →
 * sign (slashing-protected: EIP-3076 source/target check-and-insert) → exchange → aggregate →
 * submit the Attestation (from Electra on a SingleAttestation, built by the broadcaster).
 */
import { isForkPostElectra, MAX_COMMITTEES_PER_SLOT } from "@lodestar/params";
import type { phase0 } from "@lodestar/types";
import { toHex } from "../../util/hex.js";
import { forkAtSlot } from "../domain.js";
import type { DutyHandler, ValidityContext } from "../duty-handler.js";
import {
  type DutyDefinition,
  DutyType,
  epochOf,
  type PubkeyHex,
  type UnsignedData,
} from "../types.js";

type AttestationValue = Extract<UnsignedData, { kind: "attestation" }>;

/**
 * The attester's consensus validity rule (consensus-specs phase0 beacon-chain.md
 * `process_attestation`, `is_slashable_attestation_data`; electra validator.md "Construct
 * attestation", EIP-7549): data.slot = slot; source.epoch ≤ target.epoch; target.epoch =
 * epoch(slot); beacon_block_root ≠ 0; data.index < committees_at_slot ≤ MAX_COMMITTEES_PER_SLOT
 * and = the duty's committee (from Electra on data.index = 0 and the duty's committee index <
 * committees_at_slot); validator_committee_index < committee_length; the duty matches this
 * operator's own when known; slashing protection would accept. The signing root is computed once
 * per distinct AttestationData of the value (`vctx.memo`).
 *
 * @example
 * checkAttestation(vctx, 130, pk, { kind: "attestation", data, duty }, local) // true | "target-epoch"
 */
export function checkAttestation(
  vctx: ValidityContext,
  slot: number,
  pk: PubkeyHex,
  u: AttestationValue,
  local: DutyDefinition | undefined,
): string | true {
  const { data, duty } = u;
  if (data.slot !== slot) return "slot-mismatch";
  if (data.source.epoch > data.target.epoch) return "source-after-target";
  if (data.target.epoch !== epochOf(slot, vctx.chain.slotsPerEpoch)) return "target-epoch";
  if (data.beaconBlockRoot.every((b) => b === 0)) return "no-block-root";
  // Electra+ (EIP-7549): data.index = 0, the committee is the duty's.
  const postElectra = isForkPostElectra(forkAtSlot(vctx.chain, slot));
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
  const root = vctx.memo(attestationKey(data), () => vctx.roots.attestation(data));
  const { source, target } = data;
  if (!vctx.view.attestationOk(pk, BigInt(source.epoch), BigInt(target.epoch), root)) {
    return "slashing-protection";
  }
  return true;
}

/** A key naming an AttestationData's content (equal data, equal key). */
function attestationKey(d: phase0.AttestationData): string {
  return `att/${d.slot}/${d.index}/${toHex(d.beaconBlockRoot)}/${d.source.epoch}/${toHex(d.source.root)}/${d.target.epoch}/${toHex(d.target.root)}`;
}

/**
 * The attester handler.
 *
 * @example
 * const [attester] = attesterHandlers();
 */
export function attesterHandlers(): DutyHandler[] {
  return [
    {
      type: DutyType.Attester,
      broadcastOnly: true,
      decides: "attestation",
      validate: (vctx, slot, pk, u, local) =>
        u.kind === "attestation" ? checkAttestation(vctx, slot, pk, u, local) : "kind",
      onDuty(ctx, duty, defs) {
        ctx.start(duty, [...defs.keys()]);
        const duties = [...defs.values()].flatMap((d) => (d.kind === "attester" ? [d.duty] : []));
        ctx.propose(duty, ctx.fetcher.attestations(duty.slot, duties));
      },
      signRequest(ctx, pubkey, u) {
        if (u.kind !== "attestation") return undefined;
        return {
          pubkey,
          signingRoot: ctx.roots.attestation(u.data),
          protect: {
            kind: "attestation",
            source: BigInt(u.data.source.epoch),
            target: BigInt(u.data.target.epoch),
          },
        };
      },
      onAggregated(ctx, duty, pubkey, signature) {
        const u = ctx.decided(duty, pubkey);
        if (u?.kind === "attestation") {
          ctx.submit(duty, pubkey, ctx.broadcaster.attestation(u.data, u.duty, signature));
        }
      },
    },
  ];
}
