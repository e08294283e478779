/**
 * Kill-safety and concurrency of the slashing-protection database, with real child processes on
 * the same file: a committed check-and-insert survives the writer being SIGKILLed; a batch killed
 * mid-way is all-or-nothing; two writers serialize on BEGIN IMMEDIATE (the second waits for the
 * lock — busy_timeout — and then sees the first one's record, so nothing is ever double-inserted);
 * a lock timeout is an error, never an "ok".
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { SlashingProtectionDb } from "../../../src/slashing/db.js";
import { SlashingProtectionError } from "../../../src/slashing/errors.js";
import { ROOT } from "../../support/root.js";

const GVR = `0x${"22".repeat(32)}`;
const PK = `0x${"c3".repeat(48)}`;
const R = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;
const DB_MODULE = join(ROOT, "src/slashing/db.ts");
const REPO = ROOT;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-sp-crash-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Child = {
  proc: ChildProcess;
  lines: string[];
  waitFor: (pred: (line: string) => boolean) => Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Run an ES module snippet in a fresh `node --import tsx` process; `$DB` is the db module. */
function child(code: string): Child {
  const src = `const { SlashingProtectionDb } = await import(${JSON.stringify(DB_MODULE)});\n${code}`;
  const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", src], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let stderr = "";
  proc.stderr?.on("data", (d) => {
    stderr += d;
  });
  createInterface({ input: proc.stdout! }).on("line", (l) => {
    lines.push(l);
    for (const w of [...waiters])
      if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on("exit", (code, signal) => res({ code, signal })),
  );
  const waitFor = (pred: (l: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const hit = lines.find(pred);
      if (hit) return resolve(hit);
      waiters.push({ pred, resolve });
      exited.then(({ code, signal }) =>
        reject(new Error(`child exited (${code ?? signal}) before the expected line: ${stderr}`)),
      );
    });
  return { proc, lines, waitFor, exited };
}

function refusalCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SlashingProtectionError) return err.code;
    throw err;
  }
  return "ok";
}

describe("kill-safety", () => {
  test("a check-and-insert committed by a process that is then SIGKILLed is seen by the next one", async () => {
    const d = join(dir, "committed");
    const c = child(`
      const db = SlashingProtectionDb.open(${JSON.stringify(d)}, { genesisValidatorsRoot: ${JSON.stringify(GVR)} });
      db.checkAndInsertAttestation(${JSON.stringify(PK)}, 1, 2, ${JSON.stringify(R(1))});
      db.checkAndInsertBlock(${JSON.stringify(PK)}, 64, ${JSON.stringify(R(7))});
      console.log("committed");
      process.kill(process.pid, "SIGKILL"); // no close(), no WAL checkpoint
    `);
    await c.waitFor((l) => l === "committed");
    assert.equal((await c.exited).signal, "SIGKILL");
    const db = SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR });
    assert.equal(
      refusalCode(() => db.checkAndInsertAttestation(PK, 1, 2, R(2))),
      "DOUBLE_VOTE",
    );
    assert.equal(
      refusalCode(() => db.checkAndInsertBlock(PK, 64, R(8))),
      "DOUBLE_BLOCK_PROPOSAL",
    );
    assert.deepEqual(db.checkAndInsertAttestation(PK, 1, 2, R(1)), { ok: true, repeat: true });
    db.close();
  });

  test("a batch killed mid-way is all-or-nothing, and every batch reported done is there", async () => {
    const N = 2000;
    for (const delayMs of [0, 7, 23]) {
      const d = join(dir, `batch-${delayMs}`);
      const c = child(`
        const db = SlashingProtectionDb.open(${JSON.stringify(d)}, { genesisValidatorsRoot: ${JSON.stringify(GVR)} });
        const pk = (i) => "0x" + "ab".repeat(44) + i.toString(16).padStart(8, "0");
        for (let e = 1; ; e++) {
          const out = db.checkAndInsertAttestations(Array.from({ length: ${N} }, (_, i) => ({
            pubkey: pk(i), sourceEpoch: e - 1, targetEpoch: e, signingRoot: "0x" + "11".repeat(32) })));
          if (!out.every((o) => o.ok)) throw new Error("refused");
          console.log("done " + e);
        }
      `);
      await c.waitFor((l) => l === "done 1");
      await new Promise((r) => setTimeout(r, delayMs));
      c.proc.kill("SIGKILL");
      assert.equal((await c.exited).signal, "SIGKILL");
      const done = c.lines.filter((l) => l.startsWith("done ")).map((l) => Number(l.slice(5)));
      const raw = new Database(join(d, "slashing-protection.sqlite"));
      assert.equal(raw.pragma("integrity_check", { simple: true }), "ok");
      const counts = raw
        .prepare(
          "SELECT target_epoch AS t, COUNT(*) AS n FROM signed_attestations GROUP BY target_epoch",
        )
        .all() as { t: number; n: number }[];
      raw.close();
      for (const { n } of counts) assert.equal(n, N, "a partially written batch");
      const targets = counts.map((c) => c.t);
      for (const e of done)
        assert.ok(targets.includes(e), `batch ${e} was reported done but is missing`);
      assert.ok(targets.length <= done.length + 1);
      // the database is still usable and still protects
      const db = SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR });
      const victim = `0x${"ab".repeat(44)}00000000`;
      assert.equal(
        refusalCode(() => db.checkAndInsertAttestation(victim, 0, 1, R(5))),
        "DOUBLE_VOTE",
      );
      db.close();
    }
  });
});

describe("concurrency", () => {
  test("two processes racing on the same validator: exactly one wins each target, no double insert", async () => {
    const d = join(dir, "race");
    SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR }).close();
    const T = 60;
    const racer = (id: number) =>
      child(`
        const db = SlashingProtectionDb.open(${JSON.stringify(d)}, { genesisValidatorsRoot: ${JSON.stringify(GVR)} });
        const won = [];
        for (let t = 1; t <= ${T}; t++) {
          try {
            db.checkAndInsertAttestation(${JSON.stringify(PK)}, t - 1, t, "0x" + "${id}".repeat(64));
            won.push(t);
          } catch (err) {
            if (err.code !== "DOUBLE_VOTE") throw err;
          }
        }
        console.log(JSON.stringify(won));
      `);
    const [a, b] = [racer(1), racer(2)];
    const [wa, wb] = (
      await Promise.all([a.waitFor((l) => l.startsWith("[")), b.waitFor((l) => l.startsWith("["))])
    ).map((l) => JSON.parse(l) as number[]);
    await Promise.all([a.exited, b.exited]);
    assert.deepEqual(
      [...wa!, ...wb!].sort((x, y) => x - y),
      Array.from({ length: T }, (_, i) => i + 1),
    );
    const raw = new Database(join(d, "slashing-protection.sqlite"), { readonly: true });
    const rows = raw
      .prepare(
        "SELECT target_epoch AS t, hex(signing_root) AS r FROM signed_attestations ORDER BY target_epoch",
      )
      .all() as { t: number; r: string }[];
    raw.close();
    assert.equal(rows.length, T, "exactly one record per target");
    for (const { t, r } of rows) assert.equal(r[0], wa!.includes(t) ? "1" : "2", `target ${t}`);
  });

  test("a second writer waits for the lock, then sees the first one's record; a timeout is an error, never ok", async () => {
    const d = join(dir, "lock");
    SlashingProtectionDb.open(d, { genesisValidatorsRoot: GVR }).close();
    // The child holds BEGIN IMMEDIATE for ~700 ms and writes a conflicting vote inside it.
    const c = child(`
      const { default: Database } = await import("better-sqlite3");
      const raw = new Database(${JSON.stringify(join(d, "slashing-protection.sqlite"))});
      raw.exec("BEGIN IMMEDIATE");
      console.log("locked");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700);
      const pk = Buffer.from(${JSON.stringify(PK.slice(2))}, "hex");
      raw.prepare("INSERT INTO validators (pubkey) VALUES (?) ON CONFLICT DO NOTHING").run(pk);
      raw.prepare("INSERT INTO signed_attestations SELECT id, 5, 6, ? FROM validators WHERE pubkey = ?")
        .run(Buffer.alloc(32, 9), pk);
      raw.exec("COMMIT");
      console.log("released");
    `);
    await c.waitFor((l) => l === "locked");
    const impatient = SlashingProtectionDb.open(d, {
      genesisValidatorsRoot: GVR,
      busyTimeoutMs: 20,
    });
    assert.throws(
      () => impatient.checkAndInsertAttestation(PK, 5, 6, R(1)),
      (err: Error) => !(err instanceof SlashingProtectionError) && /busy|locked/i.test(err.message),
    );
    impatient.close();
    const patient = SlashingProtectionDb.open(d, {
      genesisValidatorsRoot: GVR,
      busyTimeoutMs: 5000,
    });
    const t0 = performance.now();
    const code = refusalCode(() => patient.checkAndInsertAttestation(PK, 5, 6, R(1)));
    const waited = performance.now() - t0;
    assert.equal(
      code,
      "DOUBLE_VOTE",
      "the waiting writer must see the record committed under the lock",
    );
    assert.ok(waited > 100, `expected to wait for the lock, waited ${waited.toFixed(0)} ms`);
    patient.close();
    await c.exited;
    assert.ok(c.lines.includes("released"));
  });
});
