/**
 * The aggregator duty (consensus-specs phase0 validator.md "Attestation aggregation"; electra
 * validator.md "Construct aggregate"), in two phases:
 * 1. `prepare_aggregator`: threshold-sign the slot's selection proof (no consensus:
 *    deterministic; not slashable); `is_aggregator` on the aggregate selects the validator;
 * 2. `aggregator`: at ⅔ of the slot fetch the aggregate of the attestation data the cluster decided
 *    (dutydb) → consensus → sign AggregateAndProof (not slashable) → exchange → aggregate → submit.
 * The selections of phase 1 are kept for phase 2 (per slot and validator).
 */

import { isForkPostElectra } from "@lodestar/params";
import type { electra } from "@lodestar/types";
import { verifySignature } from "../../crypto/bls.js";
import { fromHex } from "../../util/hex.js";
import { forkAtSlot, isAggregator } from "../domain.js";
import type { DutyHandler, ValidityContext } from "../duty-handler.js";
import type { AggregationInput } from "../interfaces.js";
import { type DutyDefinition, DutyType, type PubkeyHex, type UnsignedData } from "../types.js";
import { proposeSelected, pruneSelections, type Selection, selectionKey } from "./selections.js";

type AggregateValue = Extract<UnsignedData, { kind: "aggregate" }>;

/**
 * The aggregator's consensus validity rule (phase0 validator.md "Aggregation selection",
 * "Construct aggregate"): aggregate.data.slot = slot; the aggregator index matches this
 * operator's duty when known; the selection proof verifies and `is_aggregator` holds. From Electra
 * on (electra p2p-interface.md `beacon_aggregate_and_proof`, validator.md "Construct aggregate"):
 * the value is of the slot's fork, data.index = 0, committee_bits has exactly one bit set — the
 * duty's committee when known — and aggregation_bits spans exactly that committee ("committee");
 * before Electra a value tagged with a fork is refused ("fork").
 *
 * @example
 * checkAggregate(vctx, 130, pk, { kind: "aggregate", aggregateAndProof, committeeLength }, local)
 */
export function checkAggregate(
  vctx: ValidityContext,
  slot: number,
  pk: PubkeyHex,
  u: AggregateValue,
  local: DutyDefinition | undefined,
): string | true {
  const ap = u.aggregateAndProof;
  if (ap.aggregate.data.slot !== slot) return "slot-mismatch";
  if (local?.kind === "attester" && local.duty.validatorIndex !== ap.aggregatorIndex) {
    return "duty-mismatch";
  }
  const fork = forkAtSlot(vctx.chain, slot);
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
  if (!verifySignature(fromHex(pk), vctx.roots.selectionProof(slot), ap.selectionProof)) {
    return "selection-proof";
  }
  if (!isAggregator(u.committeeLength, ap.selectionProof)) return "not-aggregator";
  return true;
}

/**
 * The prepare-aggregator and aggregator handlers (sharing the slot's selections).
 *
 * @example
 * const [prepare, aggregator] = aggregatorHandlers();
 */
export function aggregatorHandlers(): DutyHandler[] {
  const selections = new Map<string, Selection>(); // selectionKey(slot, pk)

  const prepare: DutyHandler = {
    type: DutyType.PrepareAggregator,
    broadcastOnly: false,
    onDuty(ctx, duty, defs) {
      const pubkeys = [...defs.keys()];
      ctx.start(duty, pubkeys);
      const root = ctx.roots.selectionProof(duty.slot);
      ctx.sign(
        duty,
        pubkeys.map((pk) => [pk, root]),
      );
    },
    onAggregated(ctx, duty, pubkey, signature) {
      ctx.used(duty, pubkey);
      const def = ctx.definition(duty.slot, DutyType.Attester, pubkey);
      if (def?.kind === "attester" && isAggregator(def.duty.committeeLength, signature)) {
        selections.set(selectionKey(duty.slot, pubkey), { slot: duty.slot, def, proof: signature });
      }
    },
    prune: (minSlot) => pruneSelections(selections, minSlot),
  };

  const aggregator: DutyHandler = {
    type: DutyType.Aggregator,
    broadcastOnly: true,
    decides: "aggregate",
    validate: (vctx, slot, pk, u, local) =>
      u.kind === "aggregate" ? checkAggregate(vctx, slot, pk, u, local) : "kind",
    onDuty(ctx, duty, defs) {
      const input = (
        sel: Selection,
        att: UnsignedData | undefined,
      ): AggregationInput | undefined =>
        sel.def.kind === "attester" && att?.kind === "attestation"
          ? { duty: sel.def.duty, data: att.data, selectionProof: sel.proof }
          : undefined;
      proposeSelected(ctx, duty, defs, selections, DutyType.Attester, input, (inputs) =>
        ctx.fetcher.aggregates(duty.slot, inputs),
      );
    },
    signRequest(ctx, pubkey, u) {
      if (u.kind !== "aggregate") return undefined;
      return { pubkey, signingRoot: ctx.roots.aggregateAndProof(u.aggregateAndProof) };
    },
    onAggregated(ctx, duty, pubkey, signature) {
      const u = ctx.decided(duty, pubkey);
      if (u?.kind === "aggregate") {
        ctx.submit(duty, pubkey, ctx.broadcaster.aggregate(u.aggregateAndProof, signature));
      }
    },
  };

  return [prepare, aggregator];
}
