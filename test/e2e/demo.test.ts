/**
 * `rpdvt demo --json` end to end against the real Lodestar devnet: a Rocket Pool node's imported
 * validators run by a 4-operator squad; 1 operator down → duties continue; 2 down → duties stop,
 * nothing slashable; restarted → duties resume; the chain keeps finalizing. Every number asserted
 * here is measured from the beacon node (the demo's judge), not from rpdvt's bookkeeping.
 * Bounds: with 1 of 4 down, a quarter of the consensus instances need a round change (the
 * offline leader), which on 2 s devnet slots lands some attestations after the aggregators'
 * 2/3-slot cut on a loaded 2-core host: measured 27–32 of 32 included, hence ≥ 75 %.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { makeTempDir, rpdvt } from "../helpers.js";

test("demo: squad duties on Lodestar's devnet survive 1 of 4 down, stop at 2 of 4, resume, never slash", {
  timeout: 600_000,
}, async () => {
  const dir = await makeTempDir("demo");
  try {
    const r = await rpdvt(
      "demo",
      "--epochs",
      "2",
      "--stop-operators",
      "2",
      "--dir",
      join(dir, "run"),
      "--json",
    );
    assert.equal(r.code, 0, r.err.slice(-3000));
    const s = JSON.parse(r.out.trim().split("\n").at(-1) as string);
    assert.equal(s.validators, 16);
    assert.equal(s.operators, 4);
    assert.equal(s.stoppedOperators, 2);
    assert.equal(s.slashings, 0, "no validator slashed in the beacon state");
    assert.ok(s.finalizedEpoch >= 3, `chain kept finalizing (finalized ${s.finalizedEpoch})`);
    const [up, oneDown, twoDown, restarted] = s.phases;
    assert.ok(
      up.duties > 0 && up.included / up.duties >= 0.9,
      `all up: ${up.included}/${up.duties}`,
    );
    assert.ok(
      oneDown.included / oneDown.duties >= 0.75,
      `1 down: ${oneDown.included}/${oneDown.duties}`,
    );
    assert.equal(
      twoDown.included,
      0,
      `2 down: no quorum, no attestation (${twoDown.included}/${twoDown.duties})`,
    );
    assert.ok(
      restarted.included / restarted.duties >= 0.75,
      `restarted: ${restarted.included}/${restarted.duties}`,
    );
    assert.ok(BigInt(s.balanceGainGwei) > 0n, "squad balances grew");
    assert.ok(
      s.lodestarBaseline.effectiveness >= 0.9,
      "Lodestar's own validators attest (baseline sane)",
    );
    // proposals scheduled for squad validators while a quorum was up landed
    assert.ok(s.proposals.duties > 0, "the squad's validators had proposer duties");
    assert.ok(
      s.proposals.landed >= 1 && s.proposals.landed <= s.proposals.duties,
      `proposals ${s.proposals.landed}/${s.proposals.duties}`,
    );
    // Fee recipient (issue #7): every landed squad block's execution payload (GET
    // /eth/v2/beacon/blocks/{slot}) pays the cluster definition's address, not Lodestar's default.
    assert.equal(s.feeRecipientOk, 1, JSON.stringify(s.proposals));
    assert.equal(s.proposals.rightFeeRecipient, s.proposals.landed);
    // Added duty latency over a single signer, from the nodes' /metrics over the all-up phase.
    // Attestations go out at 1/3 of the slot: the median must fit before the aggregators' cut at
    // 2/3 (1/3 slot later), the tail before the next slot's block (2/3 slot later), or inclusion
    // distance suffers. Measured: median 64 ms, p99 146 ms on an idle 2-core host; p99 844 ms
    // while another engineer's benchmark kept the load average at 23.
    const slotMs = s.secondsPerSlot * 1000;
    const lat = s.addedLatencyMs;
    const shown = JSON.stringify(lat);
    assert.ok(lat.samples >= 16, shown);
    assert.ok(lat.baselineSignMs > 0, shown);
    assert.ok(lat.median > 0 && lat.median < slotMs / 3, shown);
    assert.ok(lat.p99 >= lat.median && lat.p99 < (2 * slotMs) / 3, shown);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
