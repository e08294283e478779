/**
 * Opt-in: the devnet on a `lodestar` CLI the user brings (RPDVT_LODESTAR_BIN), e.g. a post-Electra
 * Lodestar built by hand. Not part of `npm test` (its name does not end in .test.ts, so the test/*\/*.test.ts glob skips the file): run it
 * with
 *
 *     RPDVT_LODESTAR_BIN=/path/to/lodestar npm run test:lodestar-bin
 *
 * (RPDVT_SECONDS_PER_SLOT, default 3: a post-Electra Lodestar on 2 cores does not keep 2 s slots.)
 * Unset → the test FAILS saying so; nothing is skipped.
 *
 * What it proves, through rpdvt's own code (probe, launcher, Beacon API client) against the real
 * node: the flags this binary accepts are detected (version ≥ 1.5.1; Electra at epoch 0 and Fulu
 * at epoch 1 when it knows them); the chain's spec and fork schedule, read from
 * /eth/v1/config/spec and /eth/v1/config/fork_schedule, are the ones scheduled (preset minimal,
 * the slot length asked for); blocks are produced in the newest scheduled fork (the head block's
 * `version`); the chain finalizes (finalized epoch ≥ 1); stop() ends the process.
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, test } from "node:test";
import { createBeaconClient } from "../../src/beacon/index.js";
import {
  compareVersions,
  type DevnetHandle,
  devnetForkEpochs,
  isDevnetProcess,
  MIN_LODESTAR_VERSION,
  probeLodestar,
  startDevnet,
} from "../../src/devnet/index.js";

const BIN = process.env.RPDVT_LODESTAR_BIN;
const SECONDS_PER_SLOT = Number(process.env.RPDVT_SECONDS_PER_SLOT ?? 3);
/** Epochs to wait for finality (finalizing epoch 1 takes ~4 epochs on a healthy chain). */
const FINALITY_EPOCHS = 10;

let devnet: DevnetHandle | undefined;
after(async () => {
  if (devnet) {
    await devnet.stop();
    await rm(devnet.workDir, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

test("devnet on RPDVT_LODESTAR_BIN: detected forks, spec from the Beacon API, blocks in the newest fork, finality", {
  timeout: 15 * 60_000,
}, async () => {
  assert.ok(
    BIN,
    "RPDVT_LODESTAR_BIN is not set: point it at an executable that behaves as the `lodestar` CLI " +
      "(RPDVT_LODESTAR_BIN=/path/to/lodestar npm run test:lodestar-bin)",
  );
  assert.ok(
    Number.isInteger(SECONDS_PER_SLOT) && SECONDS_PER_SLOT >= 1,
    `RPDVT_SECONDS_PER_SLOT must be a whole number ≥ 1, got ${process.env.RPDVT_SECONDS_PER_SLOT}`,
  );

  const bin = await probeLodestar(BIN);
  assert.ok(compareVersions(bin.version, MIN_LODESTAR_VERSION) >= 0, bin.version);
  const forkEpochs = devnetForkEpochs(bin.params);
  process.stderr.write(
    `# ${BIN}: Lodestar ${bin.version}; params ${[...bin.params].join(",")}; forks ${JSON.stringify(forkEpochs)}\n`,
  );
  assert.equal(forkEpochs.capella, 0);
  if (bin.params.has("FULU_FORK_EPOCH") && bin.params.has("ELECTRA_FORK_EPOCH")) {
    assert.equal(forkEpochs.fulu, 1);
  }

  // Lodestar runs all 64 genesis validators here (no squad): finality hangs on the node alone.
  devnet = await startDevnet({
    lodestarBin: BIN,
    validators: 64,
    lodestarValidators: "0..63",
    secondsPerSlot: SECONDS_PER_SLOT,
    genesisDelay: 30,
    readyTimeoutMs: 180_000,
  });
  assert.equal(devnet.lodestar.version, bin.version);
  assert.deepEqual(devnet.lodestar.forkEpochs, forkEpochs);

  // The chain's own account of itself.
  const beacon = createBeaconClient([devnet.restUrl], { timeoutMs: 10_000 });
  const chain = await beacon.chainInfo();
  assert.equal(chain.presetBase, "minimal");
  assert.equal(chain.secondsPerSlot, SECONDS_PER_SLOT);
  if (chain.spec.SLOT_DURATION_MS !== undefined) {
    assert.equal(Number(chain.spec.SLOT_DURATION_MS), SECONDS_PER_SLOT * 1000);
  }
  for (const [fork, epoch] of Object.entries(forkEpochs)) {
    const f = chain.forks.find((x) => x.name === fork);
    assert.ok(f, `fork ${fork} missing from the fork schedule: ${chain.forks.map((x) => x.name)}`);
    assert.equal(f.epoch, epoch, `${fork} epoch`);
  }
  const newest = Object.entries(forkEpochs)
    .sort((a, b) => a[1] - b[1])
    .at(-1);
  assert.ok(newest);
  const [newestFork, newestEpoch] = newest;

  // Blocks in the newest fork, then finality.
  const slotMs = SECONDS_PER_SLOT * 1000;
  const epochMs = slotMs * chain.slotsPerEpoch;
  const genesisMs = chain.genesisTime * 1000;
  const deadline = genesisMs + (newestEpoch + FINALITY_EPOCHS) * epochMs;
  let headVersion = "";
  let headSlot = 0;
  let finalized = 0;
  while (Date.now() < deadline) {
    await sleep(slotMs);
    const res = await fetch(`${devnet.restUrl}/eth/v2/beacon/blocks/head`);
    if (res.ok) {
      const body = (await res.json()) as {
        version?: string;
        data?: { message?: { slot?: string } };
      };
      headVersion = body.version ?? "";
      headSlot = Number(body.data?.message?.slot ?? 0);
    }
    finalized = (await beacon.finalityCheckpoints()).finalized.epoch;
    if (finalized >= 1 && headSlot >= (newestEpoch + 1) * chain.slotsPerEpoch) break;
  }
  process.stderr.write(
    `# head slot ${headSlot} (${headVersion}), finalized epoch ${finalized}, ${(Date.now() - genesisMs) / 1000} s after genesis\n`,
  );
  assert.ok(headSlot >= (newestEpoch + 1) * chain.slotsPerEpoch, `head slot ${headSlot}`);
  assert.equal(headVersion, newestFork, "the head block's fork");
  assert.ok(finalized >= 1, `finalized epoch ${finalized} after ${FINALITY_EPOCHS} epochs`);

  const pid = devnet.pid;
  await devnet.stop();
  assert.equal(isDevnetProcess(pid), false);
});
