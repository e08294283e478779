/**
 * The proposer duty (consensus-specs phase0 validator.md "Block proposal"), in two phases:
 * 1. `randao`: threshold-sign the RANDAO reveal of the epoch (no consensus: the value is
 *    deterministic; not slashable);
 * 2. `proposer`: with the aggregated reveal fetch the beacon node's block → consensus → sign
 *    (slashing-protected: EIP-3076 block slot check-and-insert) → exchange → aggregate → publish.
 * The proposer definitions of phase 1 are kept for phase 2 (per slot and validator).
 */
import type { DutyContext, DutyHandler } from "../duty-handler.js";
import { type DutyDefinition, DutyType, epochOf, type PubkeyHex } from "../types.js";

/**
 * The proposer and randao handlers (sharing the slot's proposer definitions).
 *
 * @example
 * const [proposer, randao] = proposerHandlers();
 */
export function proposerHandlers(): DutyHandler[] {
  const definitions = new Map<string, { slot: number; def: DutyDefinition }>(); // `${slot}/${pk}`

  const fetchBlock = (ctx: DutyContext, slot: number, pk: PubkeyHex, randao: Uint8Array): void => {
    const def = definitions.get(`${slot}/${pk}`)?.def;
    if (def?.kind !== "proposer") return;
    const duty = { slot, type: DutyType.Proposer };
    ctx.propose(duty, ctx.fetcher.block(def.duty, randao, ctx.graffiti), pk);
  };

  const proposer: DutyHandler = {
    type: DutyType.Proposer,
    broadcastOnly: true,
    decides: "block",
    onDuty(ctx, duty, defs) {
      const randaoDuty = { slot: duty.slot, type: DutyType.Randao };
      const pubkeys = [...defs.keys()];
      ctx.start(duty, pubkeys);
      ctx.track(randaoDuty, pubkeys);
      const root = ctx.roots.randao(epochOf(duty.slot, ctx.slotsPerEpoch));
      for (const [pk, def] of defs) {
        definitions.set(`${duty.slot}/${pk}`, { slot: duty.slot, def });
        // Aggregated before the duty started (peers ahead): randao's onAggregated found no definition.
        const done = ctx.aggregated(randaoDuty, pk);
        if (done) fetchBlock(ctx, duty.slot, pk, done);
      }
      ctx.sign(
        randaoDuty,
        pubkeys.map((pk) => [pk, root]),
      );
    },
    signRequest(ctx, pubkey, u) {
      if (u.kind !== "block") return undefined;
      return {
        pubkey,
        signingRoot: ctx.roots.block(u.block.fork, u.block.block),
        protect: { kind: "block", slot: BigInt(u.block.block.slot) },
      };
    },
    onAggregated(ctx, duty, pubkey, signature) {
      const u = ctx.decided(duty, pubkey);
      if (u?.kind === "block") ctx.submit(duty, pubkey, ctx.broadcaster.block(u.block, signature));
    },
    prune(minSlot) {
      for (const [k, v] of definitions) if (v.slot < minSlot) definitions.delete(k);
    },
  };

  const randao: DutyHandler = {
    type: DutyType.Randao,
    broadcastOnly: false,
    // Started by the proposer handler (the scheduler triggers the proposer duty only).
    onAggregated(ctx, duty, pubkey, signature) {
      ctx.used(duty, pubkey);
      fetchBlock(ctx, duty.slot, pubkey, signature);
    },
  };

  return [proposer, randao];
}
