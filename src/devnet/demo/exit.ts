/**
 * The demo's threshold exit of one squad validator (src/ops/exit/cluster.ts: every node is asked
 * to consent over its dashboard API; t = 3 of 4 suffice), and what follows from the beacon node's
 * view: the exit epoch in the beacon state (read once per slot until it shows), then, for every
 * epoch from that exit epoch on, the attester duties the beacon node still gives it (none
 * expected). The summary puts this next to the nodes' own duty reports and life-cycle gauge: no
 * duty from either and the node counting it exited mean the cluster dropped it.
 */
import type { BeaconClient, BeaconValidator } from "../../beacon/index.js";
import { requestClusterExit } from "../../ops/exit/cluster.js";
import { toHex } from "../../util/hex.js";
import type { NodeDutyCounts } from "./node-reports.js";

/**
 * The exit's summary in the demo's JSON (`exit`).
 *
 * @example
 * summary.exit?.dropped // true
 */
export type ExitSummary = {
  validatorIndex: number;
  pubkey: string;
  requestedEpoch: number | null;
  consented: number;
  exitEpoch: number | null;
  statusAtEnd: string;
  epochsAfterExit: number;
  beaconDutiesAfterExit: number | null;
  nodeReportsAfterExit: NodeDutyCounts | null;
  /** The node's own count of exited (dropped) validators, when it exports one. */
  nodeExitedValidators: number | null;
  dropped: boolean;
};

/**
 * What the watch has seen so far.
 *
 * @example
 * const s: ExitState = { requestedEpoch: 3, consented: 4, exitEpoch: 8, beaconDutiesAfterExit: 0, epochsChecked: new Set([8, 9]) };
 */
export type ExitState = {
  requestedEpoch: number | undefined;
  consented: number;
  exitEpoch: number | undefined;
  /** Attester duties the beacon node gave it, epochs ≥ its exit epoch (checked each). */
  beaconDutiesAfterExit: number;
  epochsChecked: Set<number>;
};

/**
 * Request and follow the threshold exit of `target`.
 *
 * @example
 * const w = createExitWatch(beacon, target);
 * await w.request(urls, token, epoch); // the nodes' consents
 * const found = await w.checkExitEpoch(slot); // once per slot: the exit epoch when it first shows
 * await w.checkDutiesAfterExit(epoch);
 */
export function createExitWatch(beacon: BeaconClient, target: BeaconValidator) {
  const state: ExitState = {
    requestedEpoch: undefined,
    consented: 0,
    exitEpoch: undefined,
    beaconDutiesAfterExit: 0,
    epochsChecked: new Set<number>(),
  };
  let lastCheckSlot = -1;
  return {
    target,
    state,
    /** Ask every node (dashboard URLs) to consent to the exit at `epoch`; returns the consents. */
    async request(urls: readonly string[], token: string, epoch: number): Promise<number> {
      const res = await requestClusterExit(urls, token, {
        pubkey: toHex(target.pubkey),
        epoch,
        validatorIndex: target.index,
      });
      state.requestedEpoch = epoch;
      state.consented = res.results.filter((r) => r.accepted).length;
      return state.consented;
    },
    /** Once per slot after the request: the exit epoch, returned when the state first shows it. */
    async checkExitEpoch(slot: number): Promise<number | undefined> {
      if (state.requestedEpoch === undefined || state.exitEpoch !== undefined) return undefined;
      if (slot === lastCheckSlot) return undefined;
      lastCheckSlot = slot;
      const e = (await beacon.validators([target.index]))[0]?.exitEpoch;
      if (e === undefined || e >= Number.MAX_SAFE_INTEGER) return undefined;
      state.exitEpoch = e;
      return e;
    },
    /** From the exit epoch on, once per epoch: the attester duties the beacon still gives it. */
    async checkDutiesAfterExit(epoch: number): Promise<void> {
      if (state.exitEpoch === undefined || epoch < state.exitEpoch) return;
      if (state.epochsChecked.has(epoch)) return;
      state.epochsChecked.add(epoch);
      // Lodestar may refuse duties of an index that is no longer active: none either way.
      const duties = await beacon.attesterDuties(epoch, [target.index]).catch(() => []);
      state.beaconDutiesAfterExit += duties.length;
    },
  };
}

/** What {@link createExitWatch} returns. */
export type ExitWatch = ReturnType<typeof createExitWatch>;

/**
 * The exit's summary: who consented, the exit epoch and status the beacon state shows, and the
 * duties asked of the validator after its exit epoch — by the beacon node (attester duties) and by
 * the nodes (their duty reports), and the node's own life-cycle gauge: no duty from either and
 * the node counting it exited mean the cluster dropped it.
 *
 * @example
 * exitResult(target, watch.state, "exited_unslashed", { success: 0, watching: 0, failed: 0 }, { exited: 1 }).dropped // true
 */
export function exitResult(
  target: BeaconValidator,
  exit: ExitState,
  statusAtEnd: string,
  nodeReportsAfterExit: NodeDutyCounts | null,
  nodeStates: Record<string, number> | null,
): ExitSummary {
  const nodeDuties = nodeReportsAfterExit
    ? nodeReportsAfterExit.success + nodeReportsAfterExit.watching + nodeReportsAfterExit.failed
    : null;
  const beaconDuties = exit.epochsChecked.size > 0 ? exit.beaconDutiesAfterExit : null;
  return {
    validatorIndex: target.index,
    pubkey: toHex(target.pubkey),
    requestedEpoch: exit.requestedEpoch ?? null,
    consented: exit.consented,
    exitEpoch: exit.exitEpoch ?? null,
    statusAtEnd,
    epochsAfterExit: exit.epochsChecked.size,
    beaconDutiesAfterExit: beaconDuties,
    nodeReportsAfterExit,
    nodeExitedValidators: nodeStates?.exited ?? null,
    dropped:
      /^(exited|withdrawal)/.test(statusAtEnd) &&
      beaconDuties === 0 &&
      nodeDuties === 0 &&
      (nodeStates === null || (nodeStates.exited ?? 0) >= 1),
  };
}
