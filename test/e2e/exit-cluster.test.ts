/**
 * Threshold-signed voluntary exit on a REAL Lodestar 1.5.1 devnet (SHARD_COMMITTEE_PERIOD 0, so
 * exits are valid right after genesis): a 4-operator squad (threshold 3, src/devnet/squad.ts) runs
 * interop validators 48 and 49 with the dashboard and a token (RPDVT_DASHBOARD_TOKEN, passed
 * through to the node processes); `rpdvt exit --cluster-nodes` asks 3 of the 4 nodes to consent,
 * and Lodestar's state then shows validator 48's exit epoch set (49 untouched).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createBeaconClient } from "../../src/beacon/index.js";
import { exitCommand } from "../../src/cli/exit.js";
import {
  type DevnetHandle,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  startDevnet,
} from "../../src/devnet/index.js";
import { type Squad, startSquad } from "../../src/devnet/squad.js";
import { runCommand } from "../helpers.js";

const TOKEN = randomBytes(16).toString("hex");
const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const hex = (u: Uint8Array) => `0x${Buffer.from(u).toString("hex")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
/** FAR_FUTURE_EPOCH is 2^64 − 1; anything below 2^53 is a real epoch. */
const isSet = (epoch: number) => epoch < Number.MAX_SAFE_INTEGER;

let devnet: DevnetHandle | undefined;
let squad: Squad | undefined;
let dir = "";
const prevToken = process.env.RPDVT_DASHBOARD_TOKEN;

describe("rpdvt exit --cluster-nodes on the Lodestar devnet", { timeout: 170_000 }, () => {
  before(async () => {
    await ensureInstalled();
    dir = await mkdtemp(join(tmpdir(), "rpdvt-exit-cluster-"));
    devnet = await startDevnet({ validators: 64, lodestarValidators: "0..47" });
    process.env.RPDVT_DASHBOARD_TOKEN = TOKEN; // inherited by the node processes
    squad = await startSquad({
      workDir: join(dir, "squad"),
      keys: [48, 49].map((i) => ({ pubkey: interopPublicKey(i), secret: interopSecretKey(i) })),
      operatorIds: [1, 2, 3, 4],
      beaconUrl: devnet.restUrl,
      feeRecipient: FEE,
      doppelgangerEpochs: 0,
    });
  });
  after(async () => {
    if (prevToken === undefined) delete process.env.RPDVT_DASHBOARD_TOKEN;
    else process.env.RPDVT_DASHBOARD_TOKEN = prevToken;
    await squad?.stopAll();
    await devnet?.stop();
    if (devnet) await rm(devnet.workDir, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("3 of 4 operators consent → Lodestar shows the exit epoch", async (t) => {
    const d = devnet as DevnetHandle;
    const s = squad as Squad;
    const urls = s.operators.map((o) => `http://127.0.0.1:${o.metricsPort}/`);
    const pubkey = hex(interopPublicKey(48));
    const beacon = createBeaconClient([d.restUrl], { timeoutMs: 5_000 });
    const exitEpochOf = async (i: number) => (await beacon.validators([i]))[0]?.exitEpoch ?? 0;
    assert.equal(isSet(await exitEpochOf(48)), false);

    const base = ["--validator", pubkey, "--cluster-nodes", urls.slice(0, 3).join(",")];
    // No confirmation (not a TTY, no --yes): nothing is asked.
    const unconfirmed = await runCommand(exitCommand(), [...base, "--token", TOKEN]);
    assert.notEqual(unconfirmed.code, undefined);
    assert.match(unconfirmed.stderr, /IRREVERSIBLE[\s\S]*--yes/);
    // A wrong token: every node refuses 401.
    const wrong = await runCommand(exitCommand(), [...base, "--token", "nope", "--yes", "--json"]);
    assert.notEqual(wrong.code, undefined);
    const w = JSON.parse(wrong.stdout) as { accepted: number; nodes: { status: number }[] };
    assert.equal(w.accepted, 0);
    assert.deepEqual(
      w.nodes.map((n) => n.status),
      [401, 401, 401],
    );

    // The nodes resolve the index from their duties; --beacon-url fixes epoch and index up front.
    const r = await runCommand(exitCommand(), [
      ...base,
      "--beacon-url",
      d.restUrl,
      "--yes",
      "--json",
    ]);
    assert.equal(r.code, undefined, r.stderr + r.stdout);
    const res = JSON.parse(r.stdout) as {
      epoch: number;
      threshold: number;
      accepted: number;
      nodes: { accepted: boolean; operatorId: number; epoch: number }[];
    };
    t.diagnostic(`exit requested at epoch ${res.epoch}: ${JSON.stringify(res.nodes)}`);
    assert.equal(res.threshold, 3);
    assert.equal(res.accepted, 3);
    assert.deepEqual(
      res.nodes.map((n) => [n.accepted, n.operatorId, n.epoch]),
      [1, 2, 3].map((id) => [true, id, res.epoch]),
    );

    // Included within ~3 epochs: the validator's exit_epoch is set (49 untouched).
    const epochMs = d.secondsPerSlot * 8 * 1000;
    const deadline = Date.now() + 3 * epochMs;
    let exitEpoch = await exitEpochOf(48);
    while (!isSet(exitEpoch) && Date.now() < deadline) {
      await sleep(1_000);
      exitEpoch = await exitEpochOf(48);
    }
    t.diagnostic(`validator 48 exit_epoch ${exitEpoch}`);
    assert.ok(isSet(exitEpoch), "exit_epoch set within 3 epochs");
    assert.ok(exitEpoch > res.epoch);
    assert.equal(isSet(await exitEpochOf(49)), false);
  });
});
