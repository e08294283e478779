/**
 * A cluster's signing window, as a signer gate (src/core/interfaces.ts SigningGate; issue 16, the
 * cut-over of `rpdvt cluster replace-operator`). When a cluster definition is succeeded by another
 * for the same validators from activation epoch E (the successor's `previous.activationEpoch`,
 * src/keysplit/cluster.ts), every node of the old cluster refuses duties with
 * slot ≥ E·SLOTS_PER_EPOCH and every node of the new one refuses slot < E·SLOTS_PER_EPOCH.
 *
 * Why this is enough for "old and new shares never both reach threshold in one epoch": an
 * attestation at slot s has target epoch ⌊s / SLOTS_PER_EPOCH⌋, a block's slot is its duty's
 * slot; the old cluster's honest nodes only sign targets ≤ E−1 and slots < E·32, the new one's only
 * targets ≥ E and slots ≥ E·32, so no pair of messages from the two clusters has the same target
 * epoch or block slot (the EIP-3076 double-vote / double-proposal conditions). Every threshold
 * needs t shares of ONE polynomial (old and new polynomials are independent: shares of different
 * sets do not interpolate to the key), and the old cluster's t can only be reached by old
 * operators that run the gate — a removed operator still running its old shares holds one share,
 * fewer than t, so after E nothing of the old cluster completes. Surround votes across the two are
 * caught by slashing protection: staying operators keep their DB, the new operator imports the
 * history exported by a staying one (the hand-over).
 *
 * The gate is pure and synchronous (it runs per sign request).
 */
import type { SigningGate } from "../interfaces.js";

/**
 * The window a cluster signs in, in slots: `fromSlot` inclusive, `untilSlot` exclusive; either end
 * may be open.
 *
 * @example
 * const w: SigningWindow = { untilSlot: 100 * 32, successor: "0xabc…" };
 */
export type SigningWindow = {
  /** First slot this cluster signs (its activation epoch · SLOTS_PER_EPOCH). */
  fromSlot?: number | undefined;
  /** First slot this cluster no longer signs (its successor's activation epoch · SLOTS_PER_EPOCH). */
  untilSlot?: number | undefined;
  /** Named in refusals: the definition hash of the predecessor (`fromSlot`) … */
  predecessor?: string | undefined;
  /** … and of the successor (`untilSlot`). */
  successor?: string | undefined;
};

/**
 * The window of a cluster whose definition may name a predecessor (`previous`) and which may be
 * succeeded by another definition (`successor`, the successor's own `previous` naming this one).
 *
 * @example
 * const w = signingWindowOf(32, newDef.previous, undefined); // { fromSlot: E * 32, predecessor }
 * const old = signingWindowOf(32, undefined, { hash: newDef.hash, activationEpoch: E }); // { untilSlot: E * 32 }
 */
export function signingWindowOf(
  slotsPerEpoch: number,
  previous: { hash: string; activationEpoch: number } | undefined,
  successor: { hash: string; activationEpoch: number } | undefined,
): SigningWindow {
  return {
    ...(previous
      ? { fromSlot: previous.activationEpoch * slotsPerEpoch, predecessor: previous.hash }
      : {}),
    ...(successor
      ? { untilSlot: successor.activationEpoch * slotsPerEpoch, successor: successor.hash }
      : {}),
  };
}

/**
 * The signer gate of a window: refuses (reason "signing-window") every duty outside it, for every
 * validator of the cluster (the whole cluster changes hands at once).
 *
 * @example
 * const gate = signingWindowGate({ untilSlot: 320 });
 * gate("0xab…", { slot: 320, type: DutyType.Attester }); // { reason: "signing-window", … }
 * gate("0xab…", { slot: 319, type: DutyType.Attester }); // undefined
 */
export function signingWindowGate(window: SigningWindow): SigningGate {
  const { fromSlot, untilSlot } = window;
  if (fromSlot !== undefined && untilSlot !== undefined && untilSlot < fromSlot) {
    throw new RangeError(`Signing window ends (slot ${untilSlot}) before it starts (${fromSlot})`);
  }
  return (_pubkey, duty) => {
    if (fromSlot !== undefined && duty.slot < fromSlot) {
      return {
        reason: "signing-window",
        details: `this cluster signs from slot ${fromSlot}; slot ${duty.slot} is its predecessor's${window.predecessor ? ` (${window.predecessor})` : ""}`,
      };
    }
    if (untilSlot !== undefined && duty.slot >= untilSlot) {
      return {
        reason: "signing-window",
        details: `this cluster was replaced at slot ${untilSlot}${window.successor ? ` by ${window.successor}` : ""}`,
      };
    }
    return undefined;
  };
}
