/**
 * `rpdvt migrate` (child processes, as a user runs it) against a REAL Lodestar 1.5.1 dev chain
 * (src/devnet: 64 interop validators in genesis, Lodestar's own validator client runs 0..47):
 *
 * - handover allowed: a Rocket Pool fixture whose imported (custom-keys) validators are interop
 *   keys 48 and 49 — on chain, active, signed by nobody — goes through split, keymanager DELETE (a
 *   fake Smartnode VC from test/support/ops-fakes.ts, answering with history for the devnet's genesis
 *   validators root), quarantine and the liveness wait: the real beacon reports them not live for
 *   2 whole epochs after the removal, and the hand-over files are written;
 * - handover refused: a fixture holding interop key 5, which Lodestar IS running (live): the
 *   migration stops at the liveness step with the DANGER error naming validator 5, nothing is
 *   handed over, and `--rollback` (no --force needed) restores the Smartnode folder byte-for-byte.
 *
 * Both migrations run at the same time on the same chain (≈ 3 epochs of 16 s after genesis). The
 * liveness reads go through rpdvt's beacon client (src/beacon): POST /eth/v1/validator/liveness/
 * {epoch}, or Lodestar 1.5.1's older GET form that the client falls back to.
 * Not installed → the test FAILS naming the install command (bash devnet/lodestar/install.sh).
 */
import "../../src/devnet/preset.js";
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createBeaconClient } from "../../src/beacon/index.js";
import {
  DEVNET_DV_INDICES,
  type DevnetHandle,
  ensureInstalled,
  interopPublicKey,
  interopSecretKey,
  isDevnetProcess,
  startDevnet,
} from "../../src/devnet/index.js";
import { readClusterDefinition } from "../../src/keysplit/cluster.js";
import { Journal } from "../../src/ops/journal.js";
import { findKeysInSmartnode } from "../../src/ops/quarantine/quarantine.js";
import { writeRocketPoolFixture } from "../../src/rocketpool/fixture.js";
import { toHex } from "../../src/util/hex.js";
import { makeTempDir } from "../helpers.js";
import { startFakeKeymanager, treeState } from "../support/ops-fakes.js";
import { type OpsRun, runOps } from "./ops-cli.js";

const TOKEN = "0x1234567890abcdef1234567890abcdef";
const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
/** Interop validators Lodestar leaves alone (not live) and one it runs (live). */
const IDLE = [DEVNET_DV_INDICES[0], DEVNET_DV_INDICES[1]] as number[];
const RUN_BY_LODESTAR = 5;
const noQ = (rel: string) => rel.startsWith("rpdvt-quarantine");

type Side = {
  rp: string;
  dataDir: string;
  pubkeys: string[];
  km: Awaited<ReturnType<typeof startFakeKeymanager>>;
  pristine: Record<string, string>;
  run?: Promise<OpsRun>;
};

describe("e2e: rpdvt migrate against the Lodestar devnet beacon", { timeout: 240_000 }, () => {
  let dir: string;
  let devnet: DevnetHandle | undefined;
  const t0 = Date.now();
  const sides: Record<"idle" | "live", Side> = {} as never;

  const setup = async (name: string, indices: number[], gvr: string): Promise<Side> => {
    const fx = await writeRocketPoolFixture(join(dir, name), {
      validators: 1,
      customSecrets: indices.map((i) => interopSecretKey(i)),
    });
    assert.deepEqual(
      fx.customPubkeys,
      indices.map((i) => toHex(interopPublicKey(i))),
    );
    await fsp.writeFile(join(fx.dataDir, "validators/token-file.txt"), TOKEN, { mode: 0o600 });
    return {
      rp: join(dir, name),
      dataDir: fx.dataDir,
      pubkeys: fx.customPubkeys,
      // The Smartnode VC's history is for this chain (the migration checks the root).
      km: await startFakeKeymanager({ token: TOKEN, keys: fx.customPubkeys, gvr }),
      pristine: await treeState(fx.dataDir),
    };
  };
  const migrate = (s: Side, out: string) =>
    runOps([
      "migrate",
      "--rocketpool-dir",
      s.rp,
      "--validators",
      s.pubkeys.join(","),
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--share-kdf",
      "pbkdf2",
      "--out",
      out,
      "--keymanager-url",
      s.km.url,
      "--beacon-url",
      (devnet as DevnetHandle).restUrl,
      "--yes",
      "--json",
    ]);
  const migrationId = async (s: Side) => {
    const r = await runOps(["migrate", "--rocketpool-dir", s.rp, "--list", "--json"]);
    const list = JSON.parse(r.out) as { id: string; state: string }[];
    assert.equal(list.length, 1, r.err);
    return list[0] as { id: string; state: string };
  };

  before(async () => {
    await ensureInstalled();
    dir = await makeTempDir("ops-devnet");
    devnet = await startDevnet({
      validators: 64,
      lodestarValidators: "0..47",
      genesisDelay: 12,
      workDir: join(dir, "devnet"),
    });
    const chain = await createBeaconClient([devnet.restUrl], { timeoutMs: 5000 }).chainInfo();
    const gvr = toHex(chain.genesisValidatorsRoot);
    sides.idle = await setup("rp-idle", IDLE, gvr);
    sides.live = await setup("rp-live", [RUN_BY_LODESTAR], gvr);
    // Both migrations watch the same epochs of the same chain.
    sides.idle.run = migrate(sides.idle, join(dir, "cluster-idle"));
    sides.live.run = migrate(sides.live, join(dir, "cluster-live"));
  });
  after(async () => {
    for (const s of Object.values(sides)) await s.km?.close();
    const pid = devnet?.pid;
    await devnet?.stop();
    if (pid !== undefined) assert.equal(isDevnetProcess(pid), false, "devnet still running");
    process.stderr.write(
      `# ops-migrate-devnet wall time: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("validators nobody runs: not live for 2 epochs on the real beacon → handed over", async () => {
    const s = sides.idle;
    const r = await (s.run as Promise<OpsRun>);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as {
      id: string;
      checkedEpochs: number[];
      handover: string[];
      warnings: string[];
    };
    assert.equal(res.handover.length, 4);
    assert.equal(res.checkedEpochs.length, 2);
    assert.deepEqual(
      res.warnings.filter((w) => /unknown to the beacon/.test(w)),
      [],
    );
    const j = await Journal.open(join(s.dataDir, "rpdvt-quarantine", res.id, "journal.jsonl"), {
      create: false,
    });
    const { removedEpoch } = (j.done("slashing-export")?.data ?? {}) as { removedEpoch: number };
    assert.equal(typeof removedEpoch, "number");
    assert.ok(
      res.checkedEpochs.every((e) => e > removedEpoch),
      `${res.checkedEpochs}`,
    );
    const watched = j.entries
      .filter((e) => e.step === "liveness" && e.status === "info")
      .map((e) => e.data as { epoch: number; live: number[] });
    assert.deepEqual(
      watched.map((w) => [w.epoch, w.live]),
      res.checkedEpochs.map((e) => [e, []]),
    );
    const { indices = [] } = (j.done("liveness")?.data ?? {}) as { indices?: number[] };
    assert.deepEqual(
      [...indices].sort((a, b) => a - b),
      IDLE,
    );
    for (const step of ["handover", "complete"]) assert.ok(j.isDone(step), step);
    const def = await readClusterDefinition(join(dir, "cluster-idle", "cluster.json"));
    assert.deepEqual(def.validators.map((v) => v.pubkey).sort(), [...s.pubkeys].sort());
    assert.equal(
      (
        await findKeysInSmartnode(
          s.dataDir,
          s.pubkeys.map((p) => p.slice(2)),
        )
      ).size,
      0,
    );
    assert.equal(s.km.calls.filter((c) => c.method === "DELETE").length, 1);
  });

  it("a validator Lodestar runs is LIVE → no hand-over, a clear DANGER error, rollback restores", async () => {
    const s = sides.live;
    const r = await (s.run as Promise<OpsRun>);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /DANGER: 1 migrated validator\(s\) were LIVE in epoch \d+/);
    assert.match(r.err, new RegExp(`validator ${RUN_BY_LODESTAR} \\(${s.pubkeys[0]}\\)`));
    assert.match(r.err, /Do NOT start the cluster/);
    const { id, state } = await migrationId(s);
    assert.equal(state, "liveness (interrupted)");
    const mdir = join(s.dataDir, "rpdvt-quarantine", id);
    const j = await Journal.open(join(mdir, "journal.jsonl"), { create: false });
    assert.ok(j.isDone("quarantine"));
    assert.equal(j.isDone("liveness"), false);
    assert.ok(j.entries.some((e) => e.step === "liveness" && e.status === "failed"));
    const seen = j.entries
      .filter((e) => e.step === "liveness" && e.status === "info")
      .map((e) => e.data as { live: number[] });
    assert.deepEqual(seen.at(-1)?.live, [RUN_BY_LODESTAR]);
    await assert.rejects(fsp.access(join(mdir, "handover")));
    // The key is out of the Smartnode until the rollback puts it back byte-for-byte.
    assert.equal(
      (await findKeysInSmartnode(s.dataDir, [s.pubkeys[0]?.slice(2) as string])).size,
      0,
    );
    const rb = await runOps(["migrate", "--rocketpool-dir", s.rp, "--rollback", id, "--json"]);
    assert.equal(rb.code, 0, rb.err);
    assert.deepEqual(await treeState(s.dataDir, noQ), s.pristine);
    assert.equal((await migrationId(s)).state, "rolled back");
  });
});
