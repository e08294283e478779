/**
 * The attester duty (consensus-specs phase0 validator.md "Attesting"): at ⅓ of the slot — or, with
 * the node's `attestOnHead`, as soon as the beacon node's head event for the slot arrives (the
 * scheduler triggers it; src/core/scheduler/scheduler.ts) — fetch the
 * attestation data of the cluster's attesters → consensus (one value per slot for all of them) →
 * sign (slashing-protected: EIP-3076 source/target check-and-insert) → exchange → aggregate →
 * submit the Attestation (from Electra on a SingleAttestation, built by the broadcaster).
 */
import type { DutyHandler } from "../duty-handler.js";
import { DutyType } from "../types.js";

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
