/**
 * The demo's threshold-exit follow-up (src/devnet/demo/exit.ts): the exit epoch is read once per
 * slot until the beacon state shows it (FAR_FUTURE_EPOCH is "not yet"), duties after it are
 * counted once per epoch (a refusal counts none), and the summary says "dropped" only when the
 * beacon status is exited/withdrawal, neither the beacon nor the nodes asked duties of it, and the
 * node's gauge counts it exited.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { BeaconClient, BeaconValidator } from "../../../../src/beacon/index.js";
import { createExitWatch, type ExitState, exitResult } from "../../../../src/devnet/demo/exit.js";

const FAR_FUTURE = 2 ** 64 - 1;
const target = {
  index: 63,
  pubkey: new Uint8Array(48).fill(0xab),
  status: "active_ongoing",
  exitEpoch: FAR_FUTURE,
} as unknown as BeaconValidator;

/** A beacon whose validator shows `exitEpochs` in turn, with `duties` attester duties per epoch. */
function fakeBeacon(exitEpochs: number[], duties: (epoch: number) => number | "refuse") {
  const calls = { validators: 0, attesterDuties: [] as number[] };
  const beacon = {
    async validators() {
      calls.validators++;
      return [{ ...target, exitEpoch: exitEpochs.shift() ?? FAR_FUTURE }];
    },
    async attesterDuties(epoch: number) {
      calls.attesterDuties.push(epoch);
      const n = duties(epoch);
      if (n === "refuse") throw new Error("validator not active");
      return Array.from({ length: n }, () => ({ slot: epoch * 8 }));
    },
  } as unknown as BeaconClient;
  return { beacon, calls };
}

test("the exit epoch is not read before the request, read once per slot, and kept once shown", async () => {
  const { beacon, calls } = fakeBeacon([FAR_FUTURE, 9], () => 0);
  const w = createExitWatch(beacon, target);
  assert.equal(await w.checkExitEpoch(20), undefined);
  assert.equal(calls.validators, 0, "no read before the exit was requested");
  w.state.requestedEpoch = 2;
  assert.equal(await w.checkExitEpoch(20), undefined, "FAR_FUTURE_EPOCH is not an exit epoch");
  assert.equal(await w.checkExitEpoch(20), undefined);
  assert.equal(calls.validators, 1, "once per slot");
  assert.equal(await w.checkExitEpoch(21), 9);
  assert.equal(w.state.exitEpoch, 9);
  assert.equal(await w.checkExitEpoch(22), undefined, "reported once");
  assert.equal(calls.validators, 2);
});

test("duties after the exit epoch: counted once per epoch from the exit epoch, a refusal counts none", async () => {
  const { beacon, calls } = fakeBeacon([], (e) => (e === 10 ? "refuse" : e === 11 ? 1 : 0));
  const w = createExitWatch(beacon, target);
  await w.checkDutiesAfterExit(9);
  assert.deepEqual(calls.attesterDuties, [], "no exit epoch yet");
  w.state.exitEpoch = 9;
  await w.checkDutiesAfterExit(8);
  for (const e of [9, 9, 10, 11, 11]) await w.checkDutiesAfterExit(e);
  assert.deepEqual(calls.attesterDuties, [9, 10, 11]);
  assert.deepEqual([...w.state.epochsChecked], [9, 10, 11]);
  assert.equal(w.state.beaconDutiesAfterExit, 1);
});

const state = (over: Partial<ExitState> = {}): ExitState => ({
  requestedEpoch: 2,
  consented: 4,
  exitEpoch: 9,
  beaconDutiesAfterExit: 0,
  epochsChecked: new Set([9, 10]),
  ...over,
});
const none = { success: 0, watching: 0, failed: 0 };

test("exitResult: dropped only with an exited status, no beacon or node duty after it, and the node counting it exited", () => {
  const r = exitResult(target, state(), "exited_unslashed", none, { active: 15, exited: 1 });
  assert.deepEqual(r, {
    validatorIndex: 63,
    pubkey: `0x${"ab".repeat(48)}`,
    requestedEpoch: 2,
    consented: 4,
    exitEpoch: 9,
    statusAtEnd: "exited_unslashed",
    epochsAfterExit: 2,
    beaconDutiesAfterExit: 0,
    nodeReportsAfterExit: none,
    nodeExitedValidators: 1,
    dropped: true,
  });
  assert.equal(exitResult(target, state(), "withdrawal_possible", none, null).dropped, true);
  assert.equal(exitResult(target, state(), "active_exiting", none, null).dropped, false);
  assert.equal(
    exitResult(target, state({ beaconDutiesAfterExit: 1 }), "exited_unslashed", none, null).dropped,
    false,
  );
  assert.equal(
    exitResult(target, state(), "exited_unslashed", { ...none, failed: 1 }, null).dropped,
    false,
  );
  assert.equal(
    exitResult(target, state(), "exited_unslashed", none, { active: 16 }).dropped,
    false,
  );
});

test("exitResult before the exit epoch was reached: nulls, not zeros, and not dropped", () => {
  const r = exitResult(
    target,
    state({ exitEpoch: undefined, epochsChecked: new Set() }),
    "active_exiting",
    null,
    null,
  );
  assert.equal(r.exitEpoch, null);
  assert.equal(r.beaconDutiesAfterExit, null);
  assert.equal(r.nodeReportsAfterExit, null);
  assert.equal(r.nodeExitedValidators, null);
  assert.equal(r.dropped, false);
});
