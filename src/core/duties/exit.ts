/**
 * The voluntary exit duty (consensus-specs phase0 validator.md "Voluntary exits", EIP-7044: the
 * Capella domain forever): started by an operator request, not the scheduler (each operator must
 * consent; t requests with the same epoch make the signature). The duty is the first slot of the
 * exit epoch, so every consenting operator derives the same duty. Sign VoluntaryExit (no
 * consensus: the message is given; not slashable) → exchange → aggregate → submit. Deadline: two
 * epochs after the request (operators consent minutes apart, not within a slot).
 */
import type { phase0 } from "@lodestar/types";
import type { DutyHandler } from "../duty-handler.js";
import { DutyType, dutyKey } from "../types.js";

/**
 * The exit handler. Its `onDuty` takes `exit` definitions (wire.ts `requestExit` builds them).
 *
 * @example
 * const [exit] = exitHandlers();
 */
export function exitHandlers(): DutyHandler[] {
  // `${dutyKey}/${pk}` → the message to submit. Not pruned by slot: an exit's epoch may be far
  // behind or ahead of the current slot, and entries are one per operator request.
  const messages = new Map<string, phase0.VoluntaryExit>();
  return [
    {
      type: DutyType.Exit,
      broadcastOnly: true,
      deadline: (ctx) => ctx.now() + 2 * ctx.slotsPerEpoch * ctx.slotMs,
      onDuty(ctx, duty, defs) {
        for (const [pk, def] of defs) {
          if (def.kind !== "exit") continue;
          const message: phase0.VoluntaryExit = {
            epoch: def.epoch,
            validatorIndex: def.validatorIndex,
          };
          messages.set(`${dutyKey(duty)}/${pk}`, message);
          ctx.start(duty, [pk], pk);
          ctx.sign(duty, [[pk, ctx.roots.voluntaryExit(message)]]);
        }
      },
      onAggregated(ctx, duty, pubkey, signature) {
        const message = messages.get(`${dutyKey(duty)}/${pubkey}`);
        if (message) ctx.submit(duty, pubkey, ctx.broadcaster.exit(message, signature));
      },
    },
  ];
}
