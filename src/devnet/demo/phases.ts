/**
 * The demo's timeline, in epochs and slots of the devnet: the doppelganger watch the nodes keep
 * after their start (src/core/node.ts: from the first whole epoch after the start, refusing in the
 * partial epoch before it), then the judged phases — all operators up, one more operator down per
 * phase (the highest ids first, two epochs each), all restarted (their doppelganger watch plus one
 * epoch to reconnect and catch up) — and the operator changes one slot before each phase starts.
 * With the devnet relay, a phase right after the all-up one has the relay paused (connections
 * refused): proposals fall back to local blocks and must still land (issue 15 item 4).
 * Pure arithmetic: no clock, no I/O.
 */

/**
 * One judged phase: its operators up and its epochs (inclusive).
 *
 * @example
 * const p: Phase = { name: "all operators up", operatorsUp: 4, fromEpoch: 3, toEpoch: 4 };
 */
export type Phase = { name: string; operatorsUp: number; fromEpoch: number; toEpoch: number };

/**
 * The name of the phase with the relay paused.
 *
 * @example
 * summary.phases.find((p) => p.name === RELAY_PAUSED_PHASE)
 */
export const RELAY_PAUSED_PHASE = "relay paused (local blocks)";

/**
 * An operator change at a slot: stop one operator, or restart every stopped one; or the relay
 * paused / resumed.
 *
 * @example
 * const c: OperatorChange = { atSlot: 39, kind: "stop", operatorId: 4 };
 */
export type OperatorChange =
  | { atSlot: number; kind: "stop"; operatorId: number }
  | { atSlot: number; kind: "restart" }
  | { atSlot: number; kind: "pause-relay" | "resume-relay" };

/**
 * The demo's timeline (see {@link planDemo}).
 *
 * @example
 * const { phases, firstEpoch, lastEpoch, changes } = planDemo({ … });
 */
export type DemoPlan = {
  /** First epoch of the run (0 before genesis). */
  startEpoch: number;
  /** Last epoch the nodes watch (doppelganger protection): before {@link startEpoch}, none. */
  watchTo: number;
  /** First measured epoch (the first phase's). */
  firstEpoch: number;
  /** Last measured epoch (the last phase's). */
  lastEpoch: number;
  phases: Phase[];
  /** Operator changes, in the order they run. */
  changes: OperatorChange[];
  /** The threshold exit's slot: early in the all-up phase. */
  exitAtSlot: number;
  /** The all-up phase's slots (the added-latency window). */
  allUpSlots: { from: number; to: number };
};

/**
 * What the timeline depends on.
 *
 * @example
 * planDemo({ nowSlot: -3, slotsPerEpoch: 8, epochs: 2, stopOperators: 2, doppelgangerEpochs: 1, operatorIds: [1, 2, 3, 4] });
 */
export type DemoPlanInput = {
  /** The slot now (negative before genesis). */
  nowSlot: number;
  /**
   * The slot just before the nodes were started (default `nowSlot`): the watch is judged from
   * it, since a node started then stops watching first. Under load the squad can take an epoch
   * to start: planned from the later `nowSlot` alone, the judged watch ran into epochs the first
   * nodes already signed in (measured 13 of 32 duties included, CI at load 20).
   */
  squadStartSlot?: number;
  slotsPerEpoch: number;
  epochs: number;
  stopOperators: number;
  doppelgangerEpochs: number;
  operatorIds: readonly number[];
  /** Epochs with the relay paused after the all-up phase (0 or absent: none, e.g. no relay). */
  relayPauseEpochs?: number;
};

/**
 * The demo's phases and operator changes from the slot it starts at.
 *
 * @example
 * const plan = planDemo({ nowSlot: -3, slotsPerEpoch: 8, epochs: 2, stopOperators: 2, doppelgangerEpochs: 1, operatorIds: [1, 2, 3, 4] });
 * plan.phases.map((p) => p.name); // ["all operators up", "1 operator(s) down", "2 operator(s) down", "stopped operators restarted"]
 */
export function planDemo(input: DemoPlanInput): DemoPlan {
  const { nowSlot, slotsPerEpoch: spe, epochs, doppelgangerEpochs: dg } = input;
  const n = input.operatorIds.length;
  const squadStartSlot = Math.min(input.squadStartSlot ?? nowSlot, nowSlot);
  const startEpoch = Math.max(0, Math.floor(squadStartSlot / spe));
  // Started before genesis, the nodes watch epochs 0..dg-1; mid-epoch, that epoch and the dg after.
  // The first-started node decides when the watch ends, the last-started when all sign.
  const watchTo = squadStartSlot < 0 ? dg - 1 : startEpoch + dg;
  const firstEpoch = Math.max(0, Math.floor(nowSlot / spe)) + dg + 1;
  const phases: Phase[] = [
    {
      name: "all operators up",
      operatorsUp: n,
      fromEpoch: firstEpoch,
      toEpoch: firstEpoch + epochs - 1,
    },
  ];
  const changes: OperatorChange[] = [];
  let next = firstEpoch + epochs;
  const pause = input.relayPauseEpochs ?? 0;
  if (pause > 0) {
    changes.push({ atSlot: next * spe - 1, kind: "pause-relay" });
    phases.push({
      name: RELAY_PAUSED_PHASE,
      operatorsUp: n,
      fromEpoch: next,
      toEpoch: next + pause - 1,
    });
    next += pause;
    changes.push({ atSlot: next * spe - 1, kind: "resume-relay" });
  }
  for (let k = 0; k < input.stopOperators; k++) {
    const operatorId = input.operatorIds[n - 1 - k] as number;
    changes.push({ atSlot: next * spe - 1, kind: "stop", operatorId });
    phases.push({
      name: `${k + 1} operator(s) down`,
      operatorsUp: n - k - 1,
      fromEpoch: next,
      toEpoch: next + 1,
    });
    next += 2;
  }
  if (input.stopOperators > 0) {
    changes.push({ atSlot: next * spe - 1, kind: "restart" });
    phases.push({
      name: "stopped operators restarted",
      operatorsUp: n,
      fromEpoch: next + dg + 1,
      toEpoch: next + dg + 2,
    });
  }
  return {
    startEpoch,
    watchTo,
    firstEpoch,
    lastEpoch: (phases.at(-1) as Phase).toEpoch,
    phases,
    changes,
    exitAtSlot: firstEpoch * spe + 1,
    allUpSlots: { from: firstEpoch * spe, to: (firstEpoch + epochs) * spe - 1 },
  };
}
