/**
 * The demo's timeline (src/devnet/demo/phases.ts), pinned to what `rpdvt demo` ran before the
 * orchestration left src/cli/demo.ts: the doppelganger watch (before genesis: epochs 0..dg-1;
 * mid-epoch: that epoch and the dg after it), the judged phases (all up, one more operator down
 * per phase, two epochs each, then all restarted after their watch), the operator changes one
 * slot before each phase, the exit's slot and the added-latency window. n = 4 and n = 7.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { planDemo, RELAY_PAUSED_PHASE } from "../../../../src/devnet/demo/phases.js";

test("n = 4, started before genesis, 2 operators stopped: watch 0..dg-1, four phases, changes one slot before them", () => {
  const plan = planDemo({
    nowSlot: -3,
    slotsPerEpoch: 8,
    epochs: 2,
    stopOperators: 2,
    doppelgangerEpochs: 1,
    operatorIds: [1, 2, 3, 4],
  });
  assert.equal(plan.startEpoch, 0);
  assert.equal(plan.watchTo, 0);
  assert.equal(plan.firstEpoch, 2);
  assert.deepEqual(plan.phases, [
    { name: "all operators up", operatorsUp: 4, fromEpoch: 2, toEpoch: 3 },
    { name: "1 operator(s) down", operatorsUp: 3, fromEpoch: 4, toEpoch: 5 },
    { name: "2 operator(s) down", operatorsUp: 2, fromEpoch: 6, toEpoch: 7 },
    // restart before epoch 8, then the restarted nodes' 1-epoch watch and one to catch up
    { name: "stopped operators restarted", operatorsUp: 4, fromEpoch: 10, toEpoch: 11 },
  ]);
  assert.equal(plan.lastEpoch, 11);
  assert.deepEqual(plan.changes, [
    { atSlot: 31, kind: "stop", operatorId: 4 },
    { atSlot: 47, kind: "stop", operatorId: 3 },
    { atSlot: 63, kind: "restart" },
  ]);
  assert.equal(plan.exitAtSlot, 17);
  assert.deepEqual(plan.allUpSlots, { from: 16, to: 31 });
});

test("mid-epoch start, no operator stopped: the watch covers this epoch and the dg after it, one phase, no changes", () => {
  const plan = planDemo({
    nowSlot: 13,
    slotsPerEpoch: 8,
    epochs: 3,
    stopOperators: 0,
    doppelgangerEpochs: 2,
    operatorIds: [1, 2, 3, 4],
  });
  assert.equal(plan.startEpoch, 1);
  assert.equal(plan.watchTo, 3);
  assert.equal(plan.firstEpoch, 4);
  assert.deepEqual(plan.phases, [
    { name: "all operators up", operatorsUp: 4, fromEpoch: 4, toEpoch: 6 },
  ]);
  assert.equal(plan.lastEpoch, 6);
  assert.deepEqual(plan.changes, []);
  assert.deepEqual(plan.allUpSlots, { from: 32, to: 55 });
});

test("no doppelganger watch before genesis: the watch span is empty (watchTo < startEpoch)", () => {
  const plan = planDemo({
    nowSlot: -1,
    slotsPerEpoch: 32,
    epochs: 1,
    stopOperators: 1,
    doppelgangerEpochs: 0,
    operatorIds: [1, 2, 3, 4],
  });
  assert.ok(plan.watchTo < plan.startEpoch);
  assert.equal(plan.firstEpoch, 1);
  assert.deepEqual(
    plan.phases.map((p) => [p.operatorsUp, p.fromEpoch, p.toEpoch]),
    [
      [4, 1, 1],
      [3, 2, 3],
      [4, 5, 6],
    ],
  );
  assert.deepEqual(plan.changes, [
    { atSlot: 63, kind: "stop", operatorId: 4 },
    { atSlot: 127, kind: "restart" },
  ]);
});

test("n = 7 squad: the highest ids stop first and each phase counts the operators up out of 7", () => {
  const plan = planDemo({
    nowSlot: 40,
    slotsPerEpoch: 8,
    epochs: 2,
    stopOperators: 2,
    doppelgangerEpochs: 1,
    operatorIds: [3, 5, 8, 13, 21, 34, 55],
  });
  assert.equal(plan.startEpoch, 5);
  assert.equal(plan.watchTo, 6);
  assert.deepEqual(
    plan.phases.map((p) => p.operatorsUp),
    [7, 6, 5, 7],
  );
  assert.deepEqual(
    plan.changes.map((c) => (c.kind === "stop" ? c.operatorId : "restart")),
    [55, 34, "restart"],
  );
  assert.equal(plan.changes[0]?.atSlot, 9 * 8 - 1);
});

test("with the relay: a relay-paused phase (all up) right after the all-up one, paused and resumed one slot before its bounds; n = 4 and n = 7", () => {
  for (const operatorIds of [
    [1, 2, 3, 4],
    [1, 2, 3, 4, 5, 6, 7],
  ]) {
    const n = operatorIds.length;
    const plan = planDemo({
      nowSlot: -3,
      slotsPerEpoch: 8,
      epochs: 2,
      stopOperators: 1,
      doppelgangerEpochs: 1,
      operatorIds,
      relayPauseEpochs: 2,
    });
    assert.deepEqual(plan.phases, [
      { name: "all operators up", operatorsUp: n, fromEpoch: 2, toEpoch: 3 },
      { name: RELAY_PAUSED_PHASE, operatorsUp: n, fromEpoch: 4, toEpoch: 5 },
      { name: "1 operator(s) down", operatorsUp: n - 1, fromEpoch: 6, toEpoch: 7 },
      { name: "stopped operators restarted", operatorsUp: n, fromEpoch: 10, toEpoch: 11 },
    ]);
    assert.deepEqual(plan.changes, [
      { atSlot: 31, kind: "pause-relay" },
      { atSlot: 47, kind: "resume-relay" },
      { atSlot: 47, kind: "stop", operatorId: n },
      { atSlot: 63, kind: "restart" },
    ]);
    // the all-up window and the exit are unchanged by the pause
    assert.deepEqual(plan.allUpSlots, { from: 16, to: 31 });
    assert.equal(plan.exitAtSlot, 17);
  }
  // without a relay (or 0 epochs): no such phase
  const none = planDemo({
    nowSlot: -3,
    slotsPerEpoch: 8,
    epochs: 2,
    stopOperators: 0,
    doppelgangerEpochs: 1,
    operatorIds: [1, 2, 3, 4],
    relayPauseEpochs: 0,
  });
  assert.deepEqual(
    none.phases.map((p) => p.name),
    ["all operators up"],
  );
  assert.deepEqual(none.changes, []);
});

test("a squad that took an epoch to start: the watch is judged from the slot before the nodes started, the phases from now", () => {
  // CI at load 20: the nodes started in epoch 1, the plan was made in epoch 2. A node started in
  // epoch 1 watches epoch 2 (dg 1) and signs from epoch 3 — the judged watch must end at 2.
  const input = {
    nowSlot: 20,
    slotsPerEpoch: 8,
    epochs: 2,
    stopOperators: 0,
    doppelgangerEpochs: 1,
    operatorIds: [1, 2, 3, 4, 5, 6, 7],
  };
  const late = planDemo({ ...input, squadStartSlot: 11 });
  assert.equal(late.startEpoch, 1);
  assert.equal(late.watchTo, 2);
  // every node (the last started in epoch 2) signs from epoch 4
  assert.equal(late.firstEpoch, 4);
  const same = planDemo(input);
  assert.equal(same.watchTo, 3, "without squadStartSlot: planned from now");
  // a start slot after now is not believed (the plan cannot predate the nodes)
  assert.equal(planDemo({ ...input, squadStartSlot: 40 }).watchTo, 3);
  // started before genesis, planned after it: the genesis watch 0..dg-1
  const genesis = planDemo({ ...input, squadStartSlot: -2 });
  assert.equal(genesis.startEpoch, 0);
  assert.equal(genesis.watchTo, 0);
  assert.equal(genesis.firstEpoch, 4);
});
