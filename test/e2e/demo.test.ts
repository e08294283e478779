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
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
