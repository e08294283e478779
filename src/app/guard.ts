/**
 * The key guard in the operator node (issue 16 part 2; the guard itself: src/ops/guard/guard.ts).
 * The node's signer needs the guard's gate when it is created (createDvNode `signingGates`,
 * src/core/interfaces.ts SigningGate), and the guard needs the node's doppelganger protection and
 * metrics: {@link nodeKeyGuard} hands out the gate first and attaches the node after. `start`
 * looks once before the node's first duty, then at the start of every slot and on a change in the
 * watched Smartnode folders (src/ops/guard/schedule.ts); the keymanager API is asked at most once
 * per slot.
 */
import type { SigningGate } from "../core/interfaces.js";
import type { DvNode } from "../core/node.js";
import { createKeyGuard, type KeyGuard } from "../ops/guard/guard.js";
import { type GuardClock, guardEpoch, oncePerSlot, startKeyGuard } from "../ops/guard/schedule.js";
import type { KeySource } from "../ops/guard/smartnode.js";
import type { NodeLog } from "./log.js";

/**
 * The node's key guard, in two steps.
 *
 * @example
 * const kg = nodeKeyGuard(sources, pubkeys, log);
 * const dv = createDvNode({ ..., options: { signingGates: [kg.gate] } });
 * await kg.start(dv, chain); // … kg.stop();
 */
export type NodeKeyGuard = {
  readonly gate: SigningGate;
  /** The guard, once started (for /status and the dashboard). */
  guard(): KeyGuard | undefined;
  /** Attach the node, look once (awaited), then every slot and on a watched change. */
  start(
    dv: DvNode,
    chain: { genesisTime: number; secondsPerSlot: number; slotsPerEpoch: number },
  ): Promise<void>;
  stop(): void;
};

/**
 * Build the node's key guard over `sources` for the cluster's `pubkeys`.
 *
 * @example
 * const kg = nodeKeyGuard([createSmartnodeSource(dataDir)], clusterPubkeys, log);
 */
export function nodeKeyGuard(
  sources: readonly KeySource[],
  pubkeys: readonly string[],
  log: NodeLog,
): NodeKeyGuard {
  let guard: KeyGuard | undefined;
  let stopTimer: (() => void) | undefined;
  return {
    // Until its first look, the guard refuses: nothing is signed before it has looked.
    gate: (pk, duty) =>
      guard ? guard.gate(pk, duty) : { reason: "key-exposed", details: "key guard not started" },
    guard: () => guard,
    async start(dv, chain) {
      const clock: GuardClock = {
        genesisMs: chain.genesisTime * 1000,
        slotMs: chain.secondsPerSlot * 1000,
        slotsPerEpoch: chain.slotsPerEpoch,
      };
      const paced = sources.map((s) => (s.watch ? s : oncePerSlot(s, clock)));
      guard = createKeyGuard({
        pubkeys,
        sources: paced,
        liveness: {
          rearm: (pk, epoch) => dv.rearmDoppelganger(pk, epoch),
          status: (pk) => dv.doppelgangerStatus(pk),
        },
        gauge: dv.metrics.keyExposed,
        log,
      });
      const first = await guard.check(guardEpoch(clock));
      log("key-guard", {
        sources: sources.map((s) => s.name),
        validators: pubkeys.length,
        exposed: first.fired.length,
        scanMs: Math.round(first.ms * 10) / 10,
        action:
          "looking for the cluster's keys outside the cluster at every slot and on a change in the watched folders",
      });
      stopTimer = startKeyGuard(guard, paced, clock);
    },
    stop() {
      stopTimer?.();
      stopTimer = undefined;
    },
  };
}
