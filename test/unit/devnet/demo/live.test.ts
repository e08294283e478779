/**
 * The demo's live line (src/devnet/demo/live.ts): each operator's cell from its /status (peers,
 * attester duties ok / watching / failed), "down" for a stopped process and "no answer" for a
 * running one that does not answer; every polled report lands in the run's collector.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DutyReport } from "../../../../src/core/tracker/tracker.js";
import { pollOperators, statusCell } from "../../../../src/devnet/demo/live.js";
import { createReportCollector } from "../../../../src/devnet/demo/node-reports.js";
import type { Squad } from "../../../../src/devnet/squad.js";

const status = (
  peers: number,
  success: number,
  dg: number,
  failed: number,
  recent: DutyReport[] = [],
) => ({
  connectedPeers: Array.from({ length: peers }, (_, i) => i),
  summary: { attester: { success, "failed:doppelganger": dg, "failed:no-quorum": failed } },
  recent,
});

test("statusCell: counts from the tracker summary; down vs no answer", () => {
  assert.equal(statusCell(1, status(3, 40, 8, 1), true), "op1: 3 peers, 40 ok/8 watching/1 failed");
  assert.equal(statusCell(4, undefined, false), "op4: down");
  assert.equal(statusCell(2, undefined, true), "op2: no answer");
});

test("pollOperators: one cell per operator in id order, and their reports collected", async () => {
  const report = (slot: number): DutyReport =>
    ({
      slot,
      type: "attester",
      pubkey: `0x${"11".repeat(48)}`,
      outcome: "success",
    }) as DutyReport;
  const squad = {
    async status(id: number) {
      return id === 4 ? undefined : id === 3 ? undefined : status(3, id, 0, 0, [report(40 + id)]);
    },
    running: (id: number) => id === 3,
  } as unknown as Squad;
  const reports = createReportCollector();
  const cells = await pollOperators(squad, reports);
  assert.deepEqual(cells, [
    "op1: 3 peers, 1 ok/0 watching/0 failed",
    "op2: 3 peers, 2 ok/0 watching/0 failed",
    "op3: no answer",
    "op4: down",
  ]);
  assert.equal(reports.size(), 2);
  assert.deepEqual(reports.count({ fromSlot: 0, toSlot: 100 }), {
    success: 2,
    watching: 0,
    failed: 0,
  });
});
