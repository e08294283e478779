/**
 * The sync committee message duty (consensus-specs altair validator.md "Sync committee
 * messages"): at ⅓ of the slot fetch the head block root → consensus (one instance per slot for
 * all the cluster's sync-committee members, so every operator signs the same root) → sign
 * (DOMAIN_SYNC_COMMITTEE; not slashable) → exchange → aggregate → submit.
 */
import type { DutyHandler } from "../duty-handler.js";
import { DutyType } from "../types.js";

/**
 * The sync committee message handler.
 *
 * @example
 * const [syncMessage] = syncMessageHandlers();
 */
export function syncMessageHandlers(): DutyHandler[] {
  return [
    {
      type: DutyType.SyncMessage,
      broadcastOnly: true,
      decides: "sync_message",
      onDuty(ctx, duty, defs) {
        ctx.start(duty, [...defs.keys()]);
        const duties = [...defs.values()].flatMap((d) => (d.kind === "sync" ? [d.duty] : []));
        ctx.propose(duty, ctx.fetcher.syncMessages(duty.slot, duties));
      },
      signRequest(ctx, pubkey, u) {
        if (u.kind !== "sync_message") return undefined;
        return { pubkey, signingRoot: ctx.roots.syncCommitteeMessage(u.slot, u.beaconBlockRoot) };
      },
      onAggregated(ctx, duty, pubkey, signature) {
        const u = ctx.decided(duty, pubkey);
        if (u?.kind !== "sync_message") return;
        const { slot, beaconBlockRoot, validatorIndex } = u;
        ctx.submit(
          duty,
          pubkey,
          ctx.broadcaster.syncMessage({ slot, beaconBlockRoot, validatorIndex, signature }),
        );
      },
    },
  ];
}
