/**
 * The aggregator duty (consensus-specs phase0 validator.md "Attestation aggregation"; electra
 * validator.md "Construct aggregate"), in two phases:
 * 1. `prepare_aggregator`: threshold-sign the slot's selection proof (no consensus:
 *    deterministic; not slashable); `is_aggregator` on the aggregate selects the validator;
 * 2. `aggregator`: at ⅔ of the slot fetch the aggregate of the attestation data the cluster decided
 *    (dutydb) → consensus → sign AggregateAndProof (not slashable) → exchange → aggregate → submit.
 * The selections of phase 1 are kept for phase 2 (per slot and validator).
 */

import { isAggregator } from "../domain.js";
import type { DutyHandler } from "../duty-handler.js";
import type { AggregationInput } from "../interfaces.js";
import { type DutyDefinition, DutyType, type PubkeyHex } from "../types.js";

type Selection = { slot: number; def: DutyDefinition; proof: Uint8Array };

/**
 * The prepare-aggregator and aggregator handlers (sharing the slot's selections).
 *
 * @example
 * const [prepare, aggregator] = aggregatorHandlers();
 */
export function aggregatorHandlers(): DutyHandler[] {
  const selections = new Map<string, Selection>(); // `${slot}/${pk}`

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
        selections.set(`${duty.slot}/${pubkey}`, { slot: duty.slot, def, proof: signature });
      }
    },
    prune(minSlot) {
      for (const [k, v] of selections) if (v.slot < minSlot) selections.delete(k);
    },
  };

  const aggregator: DutyHandler = {
    type: DutyType.Aggregator,
    broadcastOnly: true,
    decides: "aggregate",
    onDuty(ctx, duty, defs) {
      const inputs: AggregationInput[] = [];
      const selected: PubkeyHex[] = [];
      const attesterDuty = { slot: duty.slot, type: DutyType.Attester };
      for (const pk of defs.keys()) {
        const sel = selections.get(`${duty.slot}/${pk}`);
        const att = ctx.decided(attesterDuty, pk);
        if (sel?.def.kind !== "attester" || att?.kind !== "attestation") continue;
        inputs.push({ duty: sel.def.duty, data: att.data, selectionProof: sel.proof });
        selected.push(pk);
      }
      if (!inputs.length) return;
      ctx.start(duty, selected);
      ctx.propose(duty, ctx.fetcher.aggregates(duty.slot, inputs));
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
