/** `rpdvt slashing-protection import|export` through the commander factory. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { slashingProtectionCommand } from "../../../src/cli/slashing-protection.js";
import { SlashingProtectionDb } from "../../../src/slashing/db.js";
import { parseInterchange } from "../../../src/slashing/interchange.js";
import { runCommand } from "../../helpers.js";

const GVR = `0x${"33".repeat(32)}`;
const PK1 = `0x${"a1".repeat(48)}`;
const PK2 = `0x${"b2".repeat(48)}`;
const R = (i: number) => `0x${i.toString(16).padStart(64, "0")}`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "rpdvt-sp-cli-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the command, capturing stdout/stderr and the exit code runAction sets (0 on success). */
async function run(...args: string[]) {
  const r = await runCommand(slashingProtectionCommand(), args);
  return { ...r, code: r.code ?? 0 };
}

const interchange = {
  metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
  data: [
    {
      pubkey: PK1,
      signed_blocks: [{ slot: "100", signing_root: R(1) }],
      signed_attestations: [{ source_epoch: "3", target_epoch: "4", signing_root: R(2) }],
    },
    { pubkey: PK2, signed_blocks: [{ slot: "7" }], signed_attestations: [] },
  ],
};

describe("slashing-protection CLI", () => {
  test("import then export round-trips, atomically written with mode 0600", async () => {
    const data = join(dir, "node");
    const file = join(dir, "in.json");
    await writeFile(file, JSON.stringify(interchange));
    const imp = await run("import", "--data-dir", data, "--file", file, "--json");
    assert.equal(imp.code, 0, imp.stderr);
    const summary = JSON.parse(imp.stdout);
    assert.deepEqual(
      [
        summary.validators,
        summary.signedBlocks,
        summary.signedAttestations,
        summary.genesisValidatorsRoot,
      ],
      [2, 2, 1, GVR],
    );
    // the database now protects what was imported
    const db = SlashingProtectionDb.open(data, { genesisValidatorsRoot: GVR });
    assert.throws(() => db.checkAndInsertBlock(PK1, 100, R(9)), /double block proposal/);
    db.close();

    const out = join(dir, "out.json");
    const exp = await run("export", "--data-dir", data, "--out", out);
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stdout, /Exported 2 validator/);
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    assert.deepEqual(parseInterchange(JSON.parse(await readFile(out, "utf8"))), interchange);

    const again = await run("export", "--data-dir", data, "--out", out);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
  });

  test("export --pubkeys and --minimal", async () => {
    const data = join(dir, "node2");
    const db = SlashingProtectionDb.open(data, { genesisValidatorsRoot: GVR });
    db.checkAndInsertAttestation(PK1, 1, 2, R(1));
    db.checkAndInsertAttestation(PK1, 2, 3, R(2));
    db.checkAndInsertAttestation(PK2, 1, 2, R(3));
    db.close();
    const out = join(dir, "min.json");
    const r = await run(
      "export",
      "--data-dir",
      data,
      "--out",
      out,
      "--pubkeys",
      PK1,
      "--minimal",
      "--json",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      out,
      validators: 1,
      format: "minimal",
      genesisValidatorsRoot: GVR,
    });
    const ic = JSON.parse(await readFile(out, "utf8"));
    assert.deepEqual(ic.data, [
      {
        pubkey: PK1,
        signed_blocks: [],
        signed_attestations: [{ source_epoch: "2", target_epoch: "3", signing_root: R(2) }],
      },
    ]);
  });

  test("errors: wrong network, invalid file (names the field), missing database", async () => {
    const data = join(dir, "node3");
    const file = join(dir, "in3.json");
    await writeFile(file, JSON.stringify(interchange));
    const wrong = await run(
      "import",
      "--data-dir",
      data,
      "--file",
      file,
      "--genesis-validators-root",
      `0x${"44".repeat(32)}`,
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /another network/);

    const bad = join(dir, "bad.json");
    await writeFile(
      bad,
      JSON.stringify({ ...interchange, data: [{ ...interchange.data[0], pubkey: "0xzz" }] }),
    );
    const invalid = await run("import", "--data-dir", data, "--file", bad);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /Field: data\.0\.pubkey/);
    assert.match(invalid.stderr, /File: .*bad\.json/);

    const missing = await run(
      "export",
      "--data-dir",
      join(dir, "nope"),
      "--out",
      join(dir, "x.json"),
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No slashing-protection database/);
  });

  test("an import contradicting the database warns and keeps protecting", async () => {
    const data = join(dir, "node4");
    const db = SlashingProtectionDb.open(data, { genesisValidatorsRoot: GVR });
    db.checkAndInsertBlock(PK1, 100, R(5));
    db.close();
    const file = join(dir, "in4.json");
    await writeFile(file, JSON.stringify(interchange));
    const r = await run("import", "--data-dir", data, "--file", file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: .*1 validator/s);
    assert.match(r.stderr, /slot 100/);
  });

  test("while a node holds the database, import is refused and export still works", async () => {
    const data = join(dir, "node5");
    const node = SlashingProtectionDb.open(data, { genesisValidatorsRoot: GVR, exclusive: true });
    node.checkAndInsertBlock(PK1, 50, R(6));
    const file = join(dir, "in5.json");
    await writeFile(file, JSON.stringify(interchange));
    try {
      const refused = await run("import", "--data-dir", data, "--file", file);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /in use by another process/);
      assert.match(refused.stderr, new RegExp(`PID ${process.pid}`));
      assert.doesNotMatch(refused.stderr, /at .*\.ts:\d+/, "no stack trace");
      const exp = await run("export", "--data-dir", data, "--out", join(dir, "out5.json"));
      assert.equal(exp.code, 0, exp.stderr);
    } finally {
      node.close();
    }
    const after = await run("import", "--data-dir", data, "--file", file, "--json");
    assert.equal(after.code, 0, after.stderr);
    assert.equal(JSON.parse(after.stdout).signedBlocks, 2);
  });
});
