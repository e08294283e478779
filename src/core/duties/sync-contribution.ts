/**
 * The sync committee contribution duty (consensus-specs altair validator.md "Sync committee
 * contributions"), in two phases:
 * 1. `prepare_sync_contribution`: threshold-sign the selection proof for the validator's (lowest)
 *    subcommittee (no consensus: deterministic; not slashable); `is_sync_committee_aggregator`
 *    on the aggregate selects the validator;
 * 2. `sync_contribution`: at ⅔ of the slot fetch the contribution for the block root the cluster
 *    decided for its sync messages (dutydb) → consensus → sign ContributionAndProof → exchange →
 *    aggregate → submit.
 * The selections of phase 1 are kept for phase 2 (per slot and validator).
 */

import { SYNC_COMMITTEE_SUBNET_COUNT } from "@lodestar/params";
import { verifySignature } from "../../crypto/bls.js";
import { fromHex } from "../../util/hex.js";
import { isSyncCommitteeAggregator, syncSubcommitteeOf } from "../domain.js";
import type { DutyHandler, ValidityContext } from "../duty-handler.js";
import type { ContributionInput } from "../interfaces.js";
import { type DutyDefinition, DutyType, type PubkeyHex, type UnsignedData } from "../types.js";
import { proposeSelected, pruneSelections, type Selection, selectionKey } from "./selections.js";

type ContributionValue = Extract<UnsignedData, { kind: "sync_contribution" }>;

/**
 * The sync contribution's consensus validity rule (altair validator.md "Sync committee
 * contributions"): contribution.slot = slot; subcommittee_index < SYNC_COMMITTEE_SUBNET_COUNT
 * and, when this operator knows the duty, the validator's (lowest) subcommittee; the aggregator
 * index matches; block root ≠ 0; the selection proof verifies
 * (DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF) and `is_sync_committee_aggregator` holds.
 *
 * @example
 * checkContribution(vctx, 130, pk, { kind: "sync_contribution", contributionAndProof }, local)
 */
export function checkContribution(
  vctx: ValidityContext,
  slot: number,
  pk: PubkeyHex,
  u: ContributionValue,
  local: DutyDefinition | undefined,
): string | true {
  const cp = u.contributionAndProof;
  const c = cp.contribution;
  if (c.slot !== slot) return "slot-mismatch";
  if (c.subcommitteeIndex >= SYNC_COMMITTEE_SUBNET_COUNT) return "subcommittee";
  if (c.beaconBlockRoot.every((b) => b === 0)) return "no-block-root";
  if (local?.kind === "sync") {
    if (local.duty.validatorIndex !== cp.aggregatorIndex) return "duty-mismatch";
    const sub = syncSubcommitteeOf(local.duty.validatorSyncCommitteeIndices);
    if (sub !== c.subcommitteeIndex) return "subcommittee";
  }
  const root = vctx.roots.syncSelectionProof(slot, c.subcommitteeIndex);
  if (!verifySignature(fromHex(pk), root, cp.selectionProof)) return "selection-proof";
  if (!isSyncCommitteeAggregator(cp.selectionProof)) return "not-aggregator";
  return true;
}

type SyncSelection = Selection<{ subcommitteeIndex: number }>;

/**
 * The prepare-sync-contribution and sync-contribution handlers (sharing the slot's selections).
 *
 * @example
 * const [prepare, contribution] = syncContributionHandlers();
 */
export function syncContributionHandlers(): DutyHandler[] {
  const selections = new Map<string, SyncSelection>(); // selectionKey(slot, pk)
  return [prepareHandler(selections), contributionHandler(selections)];
}

/** Phase 1: the selection proofs; an aggregator's is kept in `selections` for phase 2. */
function prepareHandler(selections: Map<string, SyncSelection>): DutyHandler {
  return {
    type: DutyType.PrepareSyncContribution,
    broadcastOnly: false,
    onDuty(ctx, duty, defs) {
      const expected: [PubkeyHex, Uint8Array][] = [];
      for (const [pk, def] of defs) {
        if (def.kind !== "sync") continue;
        const sub = syncSubcommitteeOf(def.duty.validatorSyncCommitteeIndices);
        if (sub === undefined) continue;
        expected.push([pk, ctx.roots.syncSelectionProof(duty.slot, sub)]);
      }
      if (!expected.length) return;
      ctx.start(
        duty,
        expected.map(([pk]) => pk),
      );
      ctx.sign(duty, expected);
    },
    onAggregated(ctx, duty, pubkey, signature) {
      ctx.used(duty, pubkey);
      const def = ctx.definition(duty.slot, DutyType.SyncContribution, pubkey);
      const sub =
        def?.kind === "sync"
          ? syncSubcommitteeOf(def.duty.validatorSyncCommitteeIndices)
          : undefined;
      if (def && sub !== undefined && isSyncCommitteeAggregator(signature)) {
        selections.set(selectionKey(duty.slot, pubkey), {
          slot: duty.slot,
          def,
          subcommitteeIndex: sub,
          proof: signature,
        });
      }
    },
    prune: (minSlot) => pruneSelections(selections, minSlot),
  };
}

/** Phase 2: the contribution of the selected aggregators (module header). */
function contributionHandler(selections: Map<string, SyncSelection>): DutyHandler {
  return {
    type: DutyType.SyncContribution,
    broadcastOnly: true,
    decides: "sync_contribution",
    validate: (vctx, slot, pk, u, local) =>
      u.kind === "sync_contribution" ? checkContribution(vctx, slot, pk, u, local) : "kind",
    onDuty(ctx, duty, defs) {
      const input = (
        sel: SyncSelection,
        m: UnsignedData | undefined,
      ): ContributionInput | undefined =>
        sel.def.kind === "sync" && m?.kind === "sync_message"
          ? {
              duty: sel.def.duty,
              subcommitteeIndex: sel.subcommitteeIndex,
              beaconBlockRoot: m.beaconBlockRoot,
              selectionProof: sel.proof,
            }
          : undefined;
      proposeSelected(ctx, duty, defs, selections, DutyType.SyncMessage, input, (inputs) =>
        ctx.fetcher.contributions(duty.slot, inputs),
      );
    },
    signRequest(ctx, pubkey, u) {
      if (u.kind !== "sync_contribution") return undefined;
      return { pubkey, signingRoot: ctx.roots.contributionAndProof(u.contributionAndProof) };
    },
    onAggregated(ctx, duty, pubkey, signature) {
      const u = ctx.decided(duty, pubkey);
      if (u?.kind === "sync_contribution") {
        ctx.submit(duty, pubkey, ctx.broadcaster.contribution(u.contributionAndProof, signature));
      }
    },
  };
}
