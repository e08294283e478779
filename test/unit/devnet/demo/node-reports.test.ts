/**
 * The demo's count of the nodes' own duty reports (src/devnet/demo/node-reports.ts): a duty the
 * signer refused under doppelganger protection is "watching" (not signing on purpose), never a
 * failure; reports seen in several /status polls count once; slot ranges, duty types and one
 * validator can be counted apart (phases, the exited validator).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DutyReport } from "../../../../src/core/tracker/tracker.js";
import {
  classifyReport,
  createReportCollector,
  summaryCounts,
} from "../../../../src/devnet/demo/node-reports.js";

const PK = (i: number) => `0x${i.toString(16).padStart(96, "0")}`;
const report = (
  slot: number,
  pk: number,
  outcome: DutyReport["outcome"],
  reason?: DutyReport["reason"],
  type = "attester",
): DutyReport => ({
  slot,
  dutyType: type === "attester" ? 1 : 2,
  type,
  pubkey: PK(pk),
  outcome,
  reason,
  startedAt: 0,
  partials: 0,
});

test("doppelganger refusals are watching, other failures failed", () => {
  assert.equal(classifyReport(report(1, 1, "failed", "doppelganger")), "watching");
  for (const reason of ["no-quorum", "consensus-timeout", "beacon-error", "late"] as const)
    assert.equal(classifyReport(report(1, 1, "failed", reason)), "failed", reason);
  assert.equal(classifyReport(report(1, 1, "success")), "success");
  assert.equal(classifyReport(report(1, 1, "pending")), "pending");
});

test("live line counts from a node's tracker summary", () => {
  const c = summaryCounts(
    {
      attester: { success: 40, "failed:doppelganger": 16, "failed:no-quorum": 3, "failed:late": 1 },
      proposer: { "failed:doppelganger": 2 },
    },
    "attester",
  );
  assert.deepEqual(c, { success: 40, watching: 16, failed: 4 });
  assert.deepEqual(summaryCounts(undefined, "attester"), { success: 0, watching: 0, failed: 0 });
});

test("reports across polls and operators: deduplicated, counted by slot range, type, validator", () => {
  const c = createReportCollector();
  // 4 operators × 24 validators over slots 0..23: watched in 0..7, signed after, validator 5 stops
  // being reported after slot 15 (exited), no-quorum at slot 20 on operators 3 and 4.
  for (const op of [1, 2, 3, 4]) {
    const rs: DutyReport[] = [];
    for (let slot = 0; slot < 24; slot++) {
      for (let v = 0; v < 24; v++) {
        if (v % 8 !== slot % 8) continue; // one duty per validator per epoch of 8 slots
        if (v === 5 && slot > 15) continue;
        if (slot < 8) rs.push(report(slot, v, "failed", "doppelganger"));
        else if (slot === 20 && op >= 3) rs.push(report(slot, v, "failed", "no-quorum"));
        else rs.push(report(slot, v, "success"));
      }
      rs.push(report(slot, 99, "pending"));
    }
    // /status lists the newest reports: the same ones arrive in overlapping polls
    c.add(op, rs.slice(0, 40));
    c.add(op, rs.slice(20));
    c.add(op, undefined);
  }
  assert.deepEqual(c.count({ fromSlot: 0, toSlot: 7, type: "attester" }), {
    success: 0,
    watching: 4 * 24,
    failed: 0,
  });
  assert.deepEqual(c.count({ fromSlot: 8, toSlot: 15 }), {
    success: 4 * 24,
    watching: 0,
    failed: 0,
  });
  assert.deepEqual(c.count({ fromSlot: 16, toSlot: 23 }), {
    success: 4 * 23 - 2 * 3,
    watching: 0,
    failed: 2 * 3,
  });
  assert.deepEqual(c.count({ fromSlot: 16, toSlot: 23, pubkey: PK(5).toUpperCase() }), {
    success: 0,
    watching: 0,
    failed: 0,
  });
  assert.equal(c.count({ fromSlot: 0, toSlot: 23, type: "proposer" }).success, 0);
  assert.equal(c.size(), 4 * (24 + 24 + 23));
});
