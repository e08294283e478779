/**
 * The README's two ways in, run exactly as written there:
 * - `npm run demo -- --json …` end to end against the real Lodestar devnet (through npm, so
 *   through the same entry point as `npx rpdvt`, which picks the devnet's preset itself): a Rocket
 *   Pool node's validators run by a 4-operator squad; 1 operator down → duties continue; 2 down →
 *   duties stop, nothing slashable; restarted → duties resume; the chain keeps finalizing; one
 *   validator exited by the cluster and then dropped; the node's never-deposited validators in the
 *   cluster too. Every number asserted is measured from the beacon node (the demo's judge), or
 *   from the nodes' own reports where said so; MEV-Boost (on by default: the devnet relay, paused
 *   for a phase) from the relay's own signature checks (`builder`, src/devnet/demo/builder.ts).
 * - `npx rpdvt …` and `npm run rpdvt -- …` for the CLI.
 * Bounds: with 1 of 4 down, a quarter of the consensus instances need a round change (the
 * offline leader), which on 2 s devnet slots lands some attestations after the aggregators'
 * 2/3-slot cut on a loaded 2-core host: measured 27–32 of 32 included, hence ≥ 75 %.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { makeTempDir, ROOT, type RunResult } from "../helpers.js";
import { acquireMachineLock } from "../support/machine-lock.js";

/** Run a command (npm, npx) in the repository as a user does, without LODESTAR_PRESET. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const env = { ...process.env };
  delete env.LODESTAR_PRESET;
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: ROOT, env, timeout: timeoutMs, killSignal: "SIGTERM", maxBuffer: 1 << 26 },
      (error, stdout, stderr) =>
        resolve({ out: stdout, err: stderr, code: error ? Number(error.code ?? 1) || 1 : 0 }),
    );
  });
}

test("the README's CLI invocations: npx rpdvt and npm run rpdvt -- reach the CLI", async () => {
  // --no-install: if npx did not find the project's own bin it must fail, not fetch a package
  const npx = await run("npx", ["--no-install", "rpdvt", "--help"], 120_000);
  assert.equal(npx.code, 0, npx.err);
  assert.match(npx.out, /Usage: rpdvt \[options\] \[command\]/);
  assert.match(npx.out, /demo/);
  const npm = await run("npm", ["run", "rpdvt", "--", "demo", "--help"], 120_000);
  assert.equal(npm.code, 0, npm.err);
  assert.match(npm.out, /Usage: rpdvt demo \[options\]/);
  assert.match(npm.out, /--inactive-validators/);
  // bad flags are refused before any work starts (no devnet, no folder)
  const bad = await run("npm", ["run", "demo", "--", "--epochs", "0"], 120_000);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--epochs 0 must be an integer in 1\.\.20/);
  assert.doesNotMatch(bad.err, /\n\s+at /, "no stack trace");
});

test("npm run demo -- --json: squad duties on Lodestar's devnet survive 1 of 4 down, stop at 2 of 4, resume, never slash", {
  timeout: 1_500_000,
}, async (t) => {
  // One judged squad at a time on the machine (see test/support/machine-lock.ts).
  const lock = await acquireMachineLock("devnet-squad", {
    onWait: (why) => t.diagnostic(`waiting for the devnet-squad lock: ${why}`),
  });
  const dir = await makeTempDir("demo");
  try {
    const r = await run(
      "npm",
      [
        "run",
        "demo",
        "--",
        "--json",
        "--epochs",
        "2",
        "--stop-operators",
        "2",
        "--dir",
        join(dir, "run"),
      ],
      840_000,
    );
    assert.equal(r.code, 0, r.err.slice(-3000));
    const s = JSON.parse(r.out.trim().split("\n").at(-1) as string);
    t.diagnostic(
      JSON.stringify({
        phases: s.phases.map(
          (p: { name: string; included: number; duties: number; nodeReports: unknown }) => [
            p.name,
            `${p.included}/${p.duties}`,
            p.nodeReports,
          ],
        ),
        watch: s.doppelgangerWatch,
        exit: s.exit,
        latency: s.addedLatencyMs,
        fork: s.fork,
        inactive: s.inactiveValidators,
        states: s.nodeValidatorStates,
        builder: s.builder,
        proposals: s.proposals,
      }),
    );
    // A realistic node: its 2 never-deposited wallet validators are in the cluster too (no index
    // on the beacon node); the 16 active ones must not wait for them.
    assert.equal(s.inactiveValidators, 2);
    assert.equal(s.validators, 18);
    assert.equal(s.activeValidators, 16);
    assert.equal(s.operators, 4);
    assert.equal(s.stoppedOperators, 2);
    assert.equal(s.fork, "capella", "head block's fork (Lodestar 1.5.1 devnet: Capella)");
    assert.equal(s.slashings, 0, "no validator slashed in the beacon state");
    assert.ok(s.finalizedEpoch >= 3, `chain kept finalizing (finalized ${s.finalizedEpoch})`);

    // The doppelganger watch: nothing signed on purpose — reported as watching, not failed. (A
    // duty whose consensus did not finish before the signer was reached still counts as failed:
    // measured 0 on an idle host, 36 of 111 at load average 24.)
    const w = s.doppelgangerWatch;
    assert.ok(w, "the nodes watched at least one epoch");
    assert.equal(w.included, 0, `watch: nothing signed (${w.included}/${w.duties})`);
    assert.ok(w.nodeReports.watching > 0, JSON.stringify(w.nodeReports));

    const phase = (name: string) => {
      const p = s.phases.find((x: { name: string }) => x.name === name);
      assert.ok(
        p,
        `phase "${name}" in ${JSON.stringify(s.phases.map((x: { name: string }) => x.name))}`,
      );
      return p;
    };
    const up = phase("all operators up");
    const oneDown = phase("1 operator(s) down");
    const twoDown = phase("2 operator(s) down");
    const restarted = phase("stopped operators restarted");
    assert.ok(
      up.duties > 0 && up.included / up.duties >= 0.9,
      `all up: ${up.included}/${up.duties}`,
    );
    assert.equal(up.nodeReports.watching, 0, JSON.stringify(up.nodeReports));
    assert.ok(
      oneDown.included / oneDown.duties >= 0.75,
      `1 down: ${oneDown.included}/${oneDown.duties}`,
    );
    assert.equal(
      twoDown.included,
      0,
      `2 down: no quorum, no attestation (${twoDown.included}/${twoDown.duties})`,
    );
    assert.ok(twoDown.nodeReports.failed > 0, "2 down: the nodes report failures (no quorum)");
    assert.ok(
      restarted.included / restarted.duties >= 0.75,
      `restarted: ${restarted.included}/${restarted.duties}`,
    );
    assert.ok(BigInt(s.balanceGainGwei) > 0n, "squad balances grew");
    assert.ok(
      s.lodestarBaseline.effectiveness >= 0.9,
      "Lodestar's own validators attest (baseline sane)",
    );

    // One validator exited by the cluster (3 of 4 consents suffice, all 4 asked): the beacon state
    // shows its exit, after which neither the beacon node nor the nodes have duties for it.
    const x = s.exit;
    assert.ok(x, "a squad validator was exited");
    assert.ok(x.consented >= 3, `consents: ${x.consented}`);
    assert.ok(x.exitEpoch !== null && x.exitEpoch > x.requestedEpoch, JSON.stringify(x));
    assert.match(x.statusAtEnd, /^(exited|withdrawal)/);
    assert.ok(x.epochsAfterExit >= 1, JSON.stringify(x));
    assert.equal(x.beaconDutiesAfterExit, 0, JSON.stringify(x));
    assert.deepEqual(x.nodeReportsAfterExit, { success: 0, watching: 0, failed: 0 });
    assert.equal(x.dropped, true);
    // the nodes' own view (rpdvt_validators{state} of operator 1): 15 active, the exited one
    // dropped, the 2 never-deposited ones still without an index
    assert.equal(s.nodeValidatorStates?.active, 15, JSON.stringify(s.nodeValidatorStates));
    assert.equal(s.nodeValidatorStates?.exited, 1, JSON.stringify(s.nodeValidatorStates));
    assert.equal(s.nodeValidatorStates?.unknown, 2, JSON.stringify(s.nodeValidatorStates));

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
    assert.deepEqual(s.proposals.wrongFeeRecipients, []);

    // MEV-Boost (issue 15 item 4), from the relay's records: the cluster's registrations verified
    // (builder domain) with the Rocket Pool recipient, blinded squad blocks the relay verified
    // (proposer domain) landed canonical — paying the recipient (rightFeeRecipient above covers
    // them: checkPayment on the landed payload) —, nothing refused; with the relay paused the
    // squad's proposals landed as local blocks.
    const b = s.builder;
    assert.ok(b, "builder report (the relay runs by default)");
    assert.ok(b.registrationsVerified >= 1, JSON.stringify(b));
    assert.equal(b.registrationsWrongFeeRecipient, 0, JSON.stringify(b));
    assert.ok(b.blindedProposals >= 1, JSON.stringify(b));
    // Refused (4xx) or unexpectedly failed (500) requests count; the relay's upstream failures
    // (502: its beacon node reads, on a loaded host) are listed in relayErrors, not judged.
    assert.equal(b.relayRejected, 0, JSON.stringify(b));
    assert.equal(b.blindedProposals + b.localFallbacks, s.proposals.landed, JSON.stringify(b));
    const paused = phase("relay paused (local blocks)");
    assert.equal(paused.builder.blindedProposals, 0, JSON.stringify(paused));
    assert.ok(
      paused.builder.localFallbacks >= 1,
      `relay paused: squad proposals landed locally ${JSON.stringify(paused)}`,
    );
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
    lock.release();
  }
});
