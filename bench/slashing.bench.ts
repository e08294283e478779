/**
 * Slashing-protection database throughput/latency (src/slashing/db.ts), on a real file with the
 * production durability settings (WAL + synchronous=FULL: one fsync per commit). Baseline, measured
 * in the same run on the same disk: bare SQLite INSERTs of the same rows into the same table and
 * indexes with the same pragmas, no checks. Also shows that a long history (1,000 validators x
 * 1,000 epochs) does not slow the checks down (indexed range queries, no scans).
 * Run: npx tsx bench/slashing.bench.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SlashingProtectionDb } from "../src/slashing/db.js";
import { measure, ms, table } from "./util.js";

const GVR = `0x${"01".repeat(32)}`;
const N = 1000; // validators per batch (one DV node signing a slot's attestations)
const pk = (i: number) => `0x${"ab".repeat(44)}${i.toString(16).padStart(8, "0")}`;
const root = (e: number, i: number) =>
  `0x${e.toString(16).padStart(32, "0")}${i.toString(16).padStart(32, "0")}`;
const dir = mkdtempSync(join(tmpdir(), "rpdvt-sp-bench-"));

try {
  // --- baseline: bare inserts, same schema and pragmas -------------------------------------------
  const seed = SlashingProtectionDb.open(join(dir, "baseline"), { genesisValidatorsRoot: GVR });
  seed.close();
  const raw = new Database(join(dir, "baseline", "slashing-protection.sqlite"));
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  const insV = raw.prepare("INSERT INTO validators (pubkey) VALUES (?)");
  for (let i = 0; i < N; i++) insV.run(Buffer.from(pk(i).slice(2), "hex"));
  const insA = raw.prepare(
    "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root) VALUES (?, ?, ?, ?)",
  );
  let be = 1;
  const bareSingle = await measure(
    () => {
      const e = be++;
      raw
        .transaction(() => insA.run(1, e - 1, e, Buffer.from(root(e, 1).slice(2), "hex")))
        .immediate();
    },
    { runs: 200 },
  );
  const bareBatch = await measure(
    () => {
      const e = be++;
      raw
        .transaction(() => {
          for (let i = 0; i < N; i++)
            insA.run(i + 1, e - 1, e, Buffer.from(root(e, i).slice(2), "hex"));
        })
        .immediate();
    },
    { runs: 30, warmup: 3 },
  );
  raw.close();

  // --- rpdvt check-and-insert ---------------------------------------------------------------------
  const db = SlashingProtectionDb.open(join(dir, "db"), { genesisValidatorsRoot: GVR });
  let se = 1;
  const single = await measure(
    () => {
      const e = se++;
      db.checkAndInsertAttestation(pk(0), e - 1, e, root(e, 0));
    },
    { runs: 200 },
  );
  let bs = 1;
  const singleBlock = await measure(
    () => {
      const s = bs++;
      db.checkAndInsertBlock(pk(0), s, root(s, 0));
    },
    { runs: 200 },
  );
  let ee = 1;
  const batchItems = (e: number) =>
    Array.from({ length: N }, (_, i) => ({
      pubkey: pk(i),
      sourceEpoch: e - 1,
      targetEpoch: e,
      signingRoot: root(e, i),
    }));
  const batch = await measure(
    () => {
      const e = 1000 + ee++;
      const out = db.checkAndInsertAttestations(batchItems(e));
      if (!out.every((o) => o.ok)) throw new Error("unexpected refusal");
    },
    { runs: 30, warmup: 3 },
  );
  db.close();

  // --- same batch with a long history (1,000 validators x 1,000 epochs = 1M rows) ----------------
  const hist = SlashingProtectionDb.open(join(dir, "history"), { genesisValidatorsRoot: GVR });
  hist.checkAndInsertAttestations(batchItems(1)); // creates the validators
  hist.close();
  const fill = new Database(join(dir, "history", "slashing-protection.sqlite"));
  fill.pragma("journal_mode = WAL");
  const ids = fill.prepare("SELECT id FROM validators ORDER BY id").all() as { id: number }[];
  const ins = fill.prepare(
    "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root) VALUES (?, ?, ?, ?)",
  );
  const HIST = 1000;
  fill.transaction(() => {
    for (let e = 2; e <= HIST; e++)
      for (const { id } of ids) ins.run(id, e - 1, e, Buffer.alloc(32, e & 0xff));
  })();
  fill.close();
  // bare inserts into a copy of the same 1M-row history (apples-to-apples baseline)
  const histFile = join(dir, "history", "slashing-protection.sqlite");
  const copy = new Database(histFile);
  copy.exec(`VACUUM INTO '${join(dir, "history-bare.sqlite")}'`);
  copy.close();
  const bareH = new Database(join(dir, "history-bare.sqlite"));
  bareH.pragma("journal_mode = WAL");
  bareH.pragma("synchronous = FULL");
  const insH = bareH.prepare(
    "INSERT INTO signed_attestations (validator_id, source_epoch, target_epoch, signing_root) VALUES (?, ?, ?, ?)",
  );
  let bh = HIST + 1;
  const bareBatchHist = await measure(
    () => {
      const e = bh++;
      bareH
        .transaction(() => {
          for (const { id } of ids)
            insH.run(id, e - 1, e, Buffer.from(root(e, id).slice(2), "hex"));
        })
        .immediate();
    },
    { runs: 20, warmup: 2 },
  );
  bareH.close();
  const hdb = SlashingProtectionDb.open(join(dir, "history"), { genesisValidatorsRoot: GVR });
  let he = HIST + 1;
  const batchHist = await measure(
    () => {
      const e = he++;
      const out = hdb.checkAndInsertAttestations(batchItems(e));
      if (!out.every((o) => o.ok)) throw new Error("unexpected refusal");
    },
    { runs: 20, warmup: 2 },
  );
  hdb.close();

  const perSec = (batchMs: number) => `${Math.round((N / batchMs) * 1000).toLocaleString("en")}/s`;
  table([
    ["what", "median", "p99", "bare SQLite median", "ratio (median)"],
    [
      "single attestation check-and-insert (1 tx)",
      ms(single.median),
      ms(single.p99),
      ms(bareSingle.median),
      (single.median / bareSingle.median).toFixed(2),
    ],
    [
      "single block check-and-insert (1 tx)",
      ms(singleBlock.median),
      ms(singleBlock.p99),
      ms(bareSingle.median),
      (singleBlock.median / bareSingle.median).toFixed(2),
    ],
    [
      `batch of ${N} attestations (1 tx)`,
      ms(batch.median),
      ms(batch.p99),
      ms(bareBatch.median),
      (batch.median / bareBatch.median).toFixed(2),
    ],
    [`  = per attestation`, ms(batch.median / N), "", ms(bareBatch.median / N), ""],
    [`  = throughput`, perSec(batch.median), "", perSec(bareBatch.median), ""],
    [
      `batch of ${N} with ${(N * HIST).toLocaleString("en")} rows of history`,
      ms(batchHist.median),
      ms(batchHist.p99),
      ms(bareBatchHist.median),
      (batchHist.median / bareBatchHist.median).toFixed(2),
    ],
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
