/**
 * The sync committee message duty (consensus-specs altair validator.md "Sync committee
 * messages"): at ⅓ of the slot fetch the head block root → consensus (one instance per slot for
 * all the cluster's sync-committee members, so every operator signs the same root) → sign
 * (DOMAIN_SYNC_COMMITTEE; not slashable) → exchange → aggregate → submit.
 */
import { bytesEqual } from "../../util/hex.js";
import type { DutyHandler } from "../duty-handler.js";
import { type DutyDefinition, DutyType, type PubkeyHex, type UnsignedData } from "../types.js";

type SyncMessageValue = Extract<UnsignedData, { kind: "sync_message" }>;

/**
 * The sync committee message's consensus validity rule for one entry (altair validator.md
 * "Prepare sync committee message"): slot = slot; block root ≠ 0; the validator index matches
 * this operator's duty when known. ({@link sameBlockRoot} is the rule over the whole value.)
 *
 * @example
 * checkSyncMessage(130, { kind: "sync_message", slot: 130, beaconBlockRoot, validatorIndex }, local)
 */
export function checkSyncMessage(
  slot: number,
  u: SyncMessageValue,
  local: DutyDefinition | undefined,
): string | true {
  if (u.slot !== slot) return "slot-mismatch";
  if (u.beaconBlockRoot.every((b) => b === 0)) return "no-block-root";
  if (local?.kind === "sync" && local.duty.validatorIndex !== u.validatorIndex) {
    return "duty-mismatch";
  }
  return true;
}

/**
 * The sync committee message's rule over a whole value: every entry signs the SAME block root
 * (all the cluster's members sign one root), else "block-root-mismatch".
 *
 * @example
 * sameBlockRoot(decoded.set) // true | "block-root-mismatch"
 */
export function sameBlockRoot(set: ReadonlyMap<PubkeyHex, UnsignedData>): string | true {
  let first: Uint8Array | undefined;
  for (const u of set.values()) {
    if (u.kind !== "sync_message") continue;
    if (!first) first = u.beaconBlockRoot;
    else if (!bytesEqual(first, u.beaconBlockRoot)) return "block-root-mismatch";
  }
  return true;
}

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
      validateSet: (_vctx, _slot, set) => sameBlockRoot(set),
      validate: (_vctx, slot, _pk, u, local) =>
        u.kind === "sync_message" ? checkSyncMessage(slot, u, local) : "kind",
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
