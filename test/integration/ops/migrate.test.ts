import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { migrateCommand } from "../../../src/cli/migrate.js";
import { InputError } from "../../../src/errors.js";
import { readClusterDefinition } from "../../../src/keysplit/cluster.js";
import { Journal } from "../../../src/ops/journal.js";
import { createKeymanagerClient } from "../../../src/ops/keymanager/client.js";
import {
  formatPlan,
  JOURNAL_FILE,
  listMigrations,
  type MigrationBeacon,
  migrationDir,
  PLAN_FILE,
  planMigration,
  readMigrationPlan,
  resumeMigration,
  rollbackMigration,
  startMigration,
} from "../../../src/ops/migrate/migrate.js";
import {
  definitionPubkeys,
  LIGHTHOUSE_DEFINITIONS,
} from "../../../src/ops/quarantine/lighthouse.js";
import { openPrysmStoreText } from "../../../src/ops/quarantine/prysm.js";
import { findKeysInSmartnode } from "../../../src/ops/quarantine/quarantine.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { PRYSM } from "../../../src/rocketpool/layout.js";
import { SlashingProtectionDb } from "../../../src/slashing/db.js";
import { DB_FILE_NAME } from "../../../src/slashing/schema.js";
import { acquireLock } from "../../../src/util/lockfile.js";
import { exists, makeTempDir, runCommand } from "../../helpers.js";
import {
  GVR,
  startFakeKeymanager,
  treeState,
  virtualClock,
  writeLighthouseDefinitions,
} from "../../support/ops-fakes.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const TOKEN = "0x1234567890abcdef1234567890abcdef";
const hex = (p: string) => p.slice(2);

/** An injected beacon: validators get indices 100+, liveness from `live`; 12 s slots, 32-slot epochs. */
function fakeBeacon(
  pubkeys: string[],
  clock: { now(): number },
  live: (e: number) => boolean = () => false,
) {
  const calls: number[] = [];
  const beacon: MigrationBeacon = {
    chainInfo: async () => ({
      genesisTime: 1_600_000_000,
      secondsPerSlot: 12,
      slotsPerEpoch: 32,
      genesisValidatorsRoot: Buffer.from(hex(GVR), "hex"),
    }),
    validators: async (pks) =>
      pks.flatMap((pk) => {
        const i = pubkeys.indexOf(`0x${Buffer.from(pk).toString("hex")}`);
        return i < 0 ? [] : [{ index: 100 + i, pubkey: pk, status: "active_ongoing" }];
      }),
    liveness: async (epoch, indices) => {
      calls.push(epoch);
      const nowEpoch = Math.floor((clock.now() / 1000 - 1_600_000_000) / 384);
      assert.ok(
        epoch < nowEpoch,
        `liveness of epoch ${epoch} asked before it ended (now ${nowEpoch})`,
      );
      return new Map(indices.map((i) => [i, live(epoch)]));
    },
  };
  return { beacon, calls };
}

describe("ops: migrate (in-process)", () => {
  let dir: string;
  let dataDir: string;
  let pubkeys: string[];
  let custom: string[];
  let km: Awaited<ReturnType<typeof startFakeKeymanager>>;
  let before0: Record<string, string>;

  before(async () => {
    dir = await makeTempDir("ops-migrate");
    const fx = await writeRocketPoolFixture(join(dir, "rp"), { validators: 3, customKeys: 1 });
    dataDir = fx.dataDir;
    pubkeys = fx.pubkeys;
    custom = fx.customPubkeys;
    await writeLighthouseDefinitions(dataDir, [...pubkeys, ...custom]);
    await fsp.writeFile(join(dataDir, "validators/token-file.txt"), TOKEN);
    km = await startFakeKeymanager({ token: TOKEN, keys: [...pubkeys, ...custom], dataDir });
    before0 = await treeState(dataDir);
  });
  after(async () => {
    await km.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const plan = (validators: string[], out: string, extra: Record<string, unknown> = {}) =>
    planMigration({
      rocketpoolDir: join(dir, "rp"),
      validators,
      split: {
        format: "cluster",
        operators: [1, 2, 3, 4].map((id) => ({ id })),
        feeRecipients: FEE,
        kdf: "pbkdf2",
      },
      out,
      slashing: {
        kind: "keymanager",
        url: km.url,
        tokenFile: join(dataDir, "validators/token-file.txt"),
      },
      ...extra,
    });

  it("dry run: the plan lists every layout and changes nothing", async () => {
    const p = await plan([pubkeys[0] as string, custom[0] as string], join(dir, "dry-out"));
    const text = formatPlan(p);
    for (const c of [
      "lighthouse",
      "lodestar",
      "nimbus",
      "teku",
      "custom-keys",
      "all-accounts.keystore.json",
      "validator_definitions.yml",
    ])
      assert.match(text, new RegExp(c.replace(/\./g, "\\.")));
    assert.match(text, /wallet rebuild/);
    assert.match(text, /share keystores: pbkdf2/);
    assert.deepEqual(await treeState(dataDir), before0);
  });

  it("migrates 2 wallet keys + 1 custom key, then rolls back byte-identically", async () => {
    const migrated = [pubkeys[0] as string, pubkeys[2] as string, custom[0] as string];
    const clock = virtualClock(1_600_000_000_000 + 1000 * 384_000 + 5000);
    const { beacon, calls } = fakeBeacon(migrated, clock);
    const p = await plan(migrated, join(dir, "cluster"), {
      importTo: { "1": join(dir, "op1-data") },
    });
    const keymanager = createKeymanagerClient(km.url, TOKEN);
    // An interrupted split left a temporary output next to --out (dead writer: removed and
    // reported); a running writer's temporary output is left alone.
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const stale = join(dir, `.cluster.tmp-${deadPid}-0123456789ab`);
    const running = join(dir, `.cluster.tmp-${process.ppid}-0123456789ab`);
    for (const t of [stale, running]) {
      await fsp.mkdir(t);
      await fsp.writeFile(join(t, "share.json"), "{}");
    }
    const lines: string[] = [];
    const r = await startMigration(p, { keymanager, beacon, clock, log: (l) => lines.push(l) });
    assert.deepEqual(r.removedTemps, [stale]);
    assert.equal(await exists(stale), false);
    assert.equal(await exists(running), true);
    await fsp.rm(running, { recursive: true });
    assert.ok(
      lines.some((l) => l.includes(`(pid ${deadPid}, no longer running): ${stale}`)),
      lines.join("\n"),
    );
    // The split output is a valid cluster of the migrated keys.
    const def = await readClusterDefinition(join(dir, "cluster", "cluster.json"));
    assert.deepEqual(def.validators.map((v) => v.pubkey).sort(), [...migrated].sort());
    // --share-kdf pbkdf2: EIP-2335's pbkdf2 with its standard c = 2^18.
    const shares = await fsp.readdir(join(dir, "cluster", "operator-1", "keystores"));
    const share = JSON.parse(
      await fsp.readFile(
        join(dir, "cluster", "operator-1", "keystores", shares[0] as string),
        "utf8",
      ),
    );
    assert.deepEqual([share.crypto.kdf.function, share.crypto.kdf.params.c], ["pbkdf2", 2 ** 18]);
    // The VC was asked (with the token) to delete exactly these keys.
    const del = km.calls.find((c) => c.method === "DELETE");
    assert.deepEqual((del?.body as { pubkeys: string[] } | undefined)?.pubkeys, migrated);
    // Nothing loadable is left, the other key is untouched everywhere.
    assert.equal((await findKeysInSmartnode(dataDir, migrated.map(hex))).size, 0);
    const left = await findKeysInSmartnode(dataDir, [hex(pubkeys[1] as string)]);
    assert.ok(
      (left.get(hex(pubkeys[1] as string)) ?? []).length >= 6,
      "the unmigrated key is still in every layout",
    );
    const store = await openPrysmStoreText(
      dataDir,
      await fsp.readFile(join(dataDir, PRYSM.keystore), "utf8"),
      "x",
    );
    assert.deepEqual(store.hexes, [hex(pubkeys[1] as string)]);
    const defs = definitionPubkeys(
      await fsp.readFile(join(dataDir, LIGHTHOUSE_DEFINITIONS), "utf8"),
      "x",
    );
    assert.deepEqual(
      defs.map((d) => d.hex),
      [hex(pubkeys[1] as string)],
    );
    // Liveness: two whole epochs after the removal epoch, each asked once it was over.
    assert.deepEqual(r.checkedEpochs, [1001, 1002]);
    assert.deepEqual(calls, [1001, 1002]);
    // Hand-over: one interchange per operator, and operator 1's DB has the history.
    assert.equal(r.handover.length, 4);
    const ic = JSON.parse(await fsp.readFile(r.handover[0] as string, "utf8"));
    assert.deepEqual(ic.data.map((d: { pubkey: string }) => d.pubkey).sort(), [...migrated].sort());
    const db = SlashingProtectionDb.open(join(dir, "op1-data"));
    assert.equal(db.exportInterchange({ format: "complete" }).data.length, 3);
    db.close();
    // Journal: every step done, in order.
    const j = await Journal.open(join(r.dir, JOURNAL_FILE), { create: false });
    const done = j.entries.filter((e) => e.status === "done").map((e) => e.step);
    assert.deepEqual(done, [
      "plan",
      "split",
      "snapshot",
      "slashing-export",
      "quarantine",
      "liveness",
      "handover",
      "complete",
    ]);

    // Rollback is refused after the hand-over unless forced; forced, it restores every byte.
    await assert.rejects(rollbackMigration(dataDir, r.id), /already handed the validators/);
    const rb = await rollbackMigration(dataDir, r.id, { force: true });
    assert.ok(rb.restored > 0);
    const skip = (rel: string) => rel.startsWith("rpdvt-quarantine");
    assert.deepEqual(await treeState(dataDir, skip), before0);
    // Nothing was deleted: the moved originals are still in the quarantine.
    assert.ok((await fsp.readdir(join(migrationDir(dataDir, r.id), "moved"))).length > 0);
  });

  it("a validator live after removal stops the migration loudly; resume watches again", async () => {
    const victim = pubkeys[1] as string;
    const clock = virtualClock(1_600_000_000_000 + 2000 * 384_000 + 5000);
    let doppelganger = true;
    const { beacon } = fakeBeacon([victim], clock, () => doppelganger);
    const p = await plan([victim], join(dir, "cluster-2"));
    const keymanager = createKeymanagerClient(km.url, TOKEN);
    await assert.rejects(
      startMigration(p, { keymanager, beacon, clock }),
      /DANGER: 1 migrated validator\(s\) were LIVE in epoch 2001/,
    );
    const j = await Journal.open(join(migrationDir(dataDir, p.id), JOURNAL_FILE), {
      create: false,
    });
    assert.equal(j.entries.at(-1)?.status, "failed");
    assert.equal(j.isDone("quarantine"), true);
    doppelganger = false; // the other signer was found and stopped
    const r = await resumeMigration(dataDir, p.id, { keymanager, beacon, clock });
    assert.equal(r.checkedEpochs.length, 2);
    assert.ok((r.checkedEpochs[0] as number) > 2001);
  });

  it("refuses a wrong keymanager token and a validator without history", async () => {
    const bad = createKeymanagerClient(km.url, "wrong");
    await assert.rejects(bad.list(), /refused the token \(HTTP 401\)/);
    // A VC that does not hold the key has no history for it: found by the plan, before any split
    // or snapshot — no migration folder, no output, the Smartnode folder as it was.
    const km2 = await startFakeKeymanager({ token: TOKEN, keys: [] });
    const split = {
      format: "cluster" as const,
      operators: [1, 2, 3, 4].map((id) => ({ id })),
      feeRecipients: FEE,
      kdf: "pbkdf2" as const,
    };
    try {
      const snap = await treeState(dataDir);
      const before = await listMigrations(dataDir);
      await assert.rejects(
        planMigration({
          rocketpoolDir: join(dir, "rp"),
          validators: [pubkeys[0] as string],
          split,
          out: join(dir, "cluster-4"),
          slashing: { kind: "keymanager", url: km2.url, tokenFile: "" },
          keymanager: createKeymanagerClient(km2.url, TOKEN),
          skipLiveness: true,
        }),
        (err: Error) =>
          err instanceof InputError &&
          /No slashing-protection history for 1 validator\(s\): nothing was changed/.test(
            err.message,
          ) &&
          err.message.includes(pubkeys[0] as string) &&
          /does not hold these keys/.test(err.message) &&
          /--allow-missing-history/.test(err.message),
      );
      assert.deepEqual(await listMigrations(dataDir), before);
      assert.deepEqual(await treeState(dataDir), snap);
      assert.equal(await exists(join(dir, "cluster-4")), false);
      // An interchange file that does not cover the validator: the same, naming the flag.
      const ic = join(dir, "other-history.json");
      await fsp.writeFile(
        ic,
        JSON.stringify({
          metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
          data: [],
        }),
      );
      await assert.rejects(
        planMigration({
          rocketpoolDir: join(dir, "rp"),
          validators: [pubkeys[0] as string],
          split,
          out: join(dir, "cluster-4"),
          slashing: { kind: "file", file: ic },
          skipLiveness: true,
        }),
        (err: Error) =>
          err instanceof InputError &&
          err.field === "--interchange" &&
          err.message.includes(`The interchange file ${ic} does not cover them`),
      );
      // --allow-missing-history: planned, and the plan says so.
      const ok = await planMigration({
        rocketpoolDir: join(dir, "rp"),
        validators: [pubkeys[0] as string],
        split,
        out: join(dir, "cluster-4"),
        slashing: { kind: "file", file: ic },
        skipLiveness: true,
        allowMissingHistory: true,
      });
      assert.match(formatPlan(ok), /WARNING: No slashing-protection history will come for 1/);
    } finally {
      await km2.close();
    }
  });

  it("resume: --allow-missing-history applies; an unknown id or a damaged plan.json is a clear error", async () => {
    // The VC holds the key when planning, then loses it (restarted without it): the export step
    // finds no history and stops before the quarantine.
    const km3 = await startFakeKeymanager({ token: TOKEN, keys: [pubkeys[1] as string] });
    const keymanager = createKeymanagerClient(km3.url, TOKEN);
    try {
      const p = await planMigration({
        rocketpoolDir: join(dir, "rp"),
        validators: [pubkeys[1] as string],
        split: {
          format: "cluster",
          operators: [1, 2, 3, 4].map((id) => ({ id })),
          feeRecipients: FEE,
          kdf: "pbkdf2",
        },
        out: join(dir, "cluster-resume"),
        slashing: { kind: "keymanager", url: km3.url, tokenFile: "" },
        keymanager,
        skipLiveness: true,
      });
      km3.active.clear();
      await assert.rejects(
        startMigration(p, { keymanager }),
        /No slashing-protection history for 1 validator/,
      );
      // Resuming without the flag fails the same way; with it, the migration completes.
      await assert.rejects(
        resumeMigration(dataDir, p.id, { keymanager }),
        /No slashing-protection history for 1 validator/,
      );
      const r = await resumeMigration(dataDir, p.id, { keymanager }, { allowMissingHistory: true });
      assert.equal(r.handover.length, 4);
      assert.ok(r.warnings.some((w) => /Resumed with --allow-missing-history/.test(w)));
      const j = await Journal.open(join(migrationDir(dataDir, p.id), JOURNAL_FILE), {
        create: false,
      });
      assert.ok(j.isDone("complete"));
      assert.deepEqual(
        (j.done("slashing-export")?.data as { missing?: string[] } | undefined)?.missing,
        [pubkeys[1]],
      );

      // Unknown id: names it and lists the ids there are.
      const unknown = "mig-20990101T000000Z-000000";
      for (const call of [
        () => resumeMigration(dataDir, unknown, { keymanager }),
        () => readMigrationPlan(dataDir, unknown),
        () => rollbackMigration(dataDir, unknown),
      ]) {
        await assert.rejects(call(), (err: Error) => {
          assert.ok(err instanceof InputError, String(err));
          assert.match(err.message, new RegExp(`No migration ${unknown}`));
          assert.match(err.message, new RegExp(`Migrations here: .*${p.id}`));
          assert.doesNotMatch(err.message, /ENOENT/);
          return true;
        });
      }
      // Corrupt or damaged plan.json: which migration, which file, what to do.
      const planFile = join(migrationDir(dataDir, p.id), PLAN_FILE);
      const good = await fsp.readFile(planFile, "utf8");
      for (const [text, why] of [
        [good.slice(0, 40), /not valid JSON/],
        ["", /is empty/],
        [JSON.stringify({ ...JSON.parse(good), validators: "0x12" }), /is damaged/],
      ] as const) {
        await fsp.writeFile(planFile, text);
        await assert.rejects(resumeMigration(dataDir, p.id, { keymanager }), (err: Error) => {
          assert.ok(err instanceof InputError, String(err));
          assert.match(err.message, new RegExp(`Plan of migration ${p.id}`));
          assert.match(err.message, why);
          assert.equal(err.file, planFile);
          assert.match(err.message, new RegExp(`rpdvt migrate --rollback ${p.id}`));
          assert.doesNotMatch(err.message, /SyntaxError|Unexpected token/);
          return true;
        });
      }
      await fsp.writeFile(planFile, good);
      await rollbackMigration(dataDir, p.id, { force: true });
    } finally {
      await km3.close();
    }
  });

  it("CLI: malformed flags are refused before the wallet is opened or the VC asked", async () => {
    const d = join(dir, "no-password", "data");
    await fsp.cp(dataDir, d, { recursive: true });
    await fsp.rm(join(d, "password")); // any wallet access would fail on this
    const base = ["--rocketpool-dir", d, "--format", "cluster", "--yes", "--skip-liveness-wait"];
    const calls = km.calls.length;
    for (const [args, want] of [
      [
        ["--all", "--liveness-epochs", "1"],
        /--liveness-epochs must be a whole number ≥ 2, got "1"/,
      ],
      [["--validators", "0x1234"], /--validators\[0\]/],
      [["--all", "--fee-recipient", "0xnope"], /--fee-recipient/],
      [
        ["--all", "--import-slashing", "one=/tmp/x"],
        /--import-slashing "one=\/tmp\/x" is not ID=DATADIR/,
      ],
      [["--all", "--operator-ids", "1,2,x"], /operator/i],
    ] as const) {
      const r = await runCommand(migrateCommand(), [...base, ...args]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, want);
      assert.doesNotMatch(r.stderr, /password file/);
    }
    assert.equal(km.calls.length, calls, "the VC was not asked");
  });

  it("per-validator fee recipients (minipool + megapool) survive a failed split; a node holding its slashing DB fails the hand-over with nothing imported; resume finishes", async () => {
    const MEGAPOOL = "0x8888888888888888888888888888888888888888";
    const migrated = [pubkeys[0] as string, pubkeys[2] as string];
    // Rolled back earlier: the VC was restarted and holds them again (as the rollback asks).
    for (const k of migrated) km.active.add(k.toLowerCase());
    const reasons = [
      { pubkey: migrated[0] as string, address: FEE, reason: "fee distributor (on chain)" },
      {
        pubkey: migrated[1] as string,
        address: MEGAPOOL,
        reason: "megapool, megapool validator (on chain)",
      },
    ];
    const p = await planMigration({
      rocketpoolDir: join(dir, "rp"),
      validators: migrated,
      split: {
        format: "cluster",
        operators: [1, 2, 3, 4].map((id) => ({ id })),
        feeRecipients: new Map(reasons.map((r) => [r.pubkey, r.address])),
        kdf: "pbkdf2",
      },
      out: join(dir, "cluster-fee"),
      slashing: {
        kind: "keymanager",
        url: km.url,
        tokenFile: join(dataDir, "validators/token-file.txt"),
      },
      skipLiveness: true,
      importTo: { "1": join(dir, "fee-op1"), "2": join(dir, "fee-op2") },
      feeRecipients: reasons,
      warnings: ["test warning"],
    });
    // The plan shows each validator's fee recipient and why.
    const text = formatPlan(p);
    assert.match(text, new RegExp(`${migrated[0]?.slice(0, 14)}… → ${FEE} {2}\\(fee distributor`));
    assert.match(text, new RegExp(`${migrated[1]?.slice(0, 14)}… → ${MEGAPOOL} {2}\\(megapool`));
    assert.match(text, /! WARNING: test warning/);
    // A plan missing a validator's fee recipient is refused before anything happens.
    await assert.rejects(
      planMigration({
        rocketpoolDir: join(dir, "rp"),
        validators: migrated,
        split: {
          format: "cluster",
          operators: [1, 2, 3, 4].map((id) => ({ id })),
          feeRecipients: new Map([[migrated[0] as string, FEE]]),
        },
        out: join(dir, "cluster-none"),
        slashing: { kind: "file", file: join(dataDir, "validators/token-file.txt") },
      }),
      (err: Error) =>
        err.message.includes("No fee recipient for 1 validator(s)") &&
        err.message.includes(migrated[1] as string),
    );

    // The split fails (wallet password gone): plan.json must carry the per-validator Map.
    const pw = join(dataDir, "password");
    await fsp.rename(pw, `${pw}.away`);
    const keymanager = createKeymanagerClient(km.url, TOKEN);
    try {
      await assert.rejects(startMigration(p, { keymanager }), /wallet password file is missing/);
    } finally {
      await fsp.rename(`${pw}.away`, pw);
    }
    const saved = JSON.parse(
      await fsp.readFile(join(migrationDir(dataDir, p.id), PLAN_FILE), "utf8"),
    );
    assert.deepEqual(saved.split.feeRecipients, {
      [migrated[0] as string]: FEE,
      [migrated[1] as string]: MEGAPOOL,
    });

    // Operator 2's node is running on its data dir (holds the DB lock): the hand-over fails.
    await fsp.mkdir(join(dir, "fee-op2"), { recursive: true });
    const held = acquireLock(join(dir, "fee-op2", `${DB_FILE_NAME}.lock`), "test node");
    let failed: Error | undefined;
    try {
      await resumeMigration(dataDir, p.id, { keymanager }).catch((e: Error) => {
        failed = e;
      });
    } finally {
      held.release();
    }
    assert.match(
      failed?.message ?? "",
      /Cannot open operator 2's slashing-protection database: nothing was imported/,
    );
    assert.match(failed?.message ?? "", /in use by another process/);
    assert.match(failed?.message ?? "", new RegExp(`rpdvt migrate --resume ${p.id}`));
    // The resumed split used the saved per-validator fee recipients.
    const def = await readClusterDefinition(join(dir, "cluster-fee", "cluster.json"));
    assert.deepEqual(Object.fromEntries(def.validators.map((v) => [v.pubkey, v.feeRecipient])), {
      [migrated[0] as string]: FEE,
      [migrated[1] as string]: MEGAPOOL,
    });
    // No half-state: operator 1 got nothing, its DB lock is free, the step is not done.
    const op1 = join(dir, "fee-op1", DB_FILE_NAME);
    if (await fsp.stat(op1).catch(() => undefined)) {
      const db = SlashingProtectionDb.openFile(op1, { exclusive: true });
      assert.equal(db.exportInterchange({ format: "complete" }).data.length, 0);
      db.close();
    }
    const j = await Journal.open(join(migrationDir(dataDir, p.id), JOURNAL_FILE), {
      create: false,
    });
    assert.equal(j.isDone("handover"), false);
    assert.equal(j.entries.at(-1)?.status, "failed");

    // The node stopped: resume imports into both and completes.
    const r = await resumeMigration(dataDir, p.id, { keymanager });
    assert.deepEqual(r.imported, [join(dir, "fee-op1"), join(dir, "fee-op2")]);
    assert.ok(r.warnings.includes("test warning"));
    for (const d of ["fee-op1", "fee-op2"]) {
      const db = SlashingProtectionDb.open(join(dir, d));
      assert.deepEqual(
        db
          .exportInterchange({ format: "complete" })
          .data.map((x) => x.pubkey)
          .sort(),
        [...migrated].sort(),
      );
      db.close();
    }
    await rollbackMigration(dataDir, p.id, { force: true });
  });
});
