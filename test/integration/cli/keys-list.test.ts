/** `rpdvt fixture rocketpool` and `rpdvt keys list` through their commander factories. */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { expandHome } from "../../../src/cli/args.js";
import { formatKeyTable } from "../../../src/cli/keys-list.js";
import { makeTempDir, ROOT, runNode } from "../../helpers.js";

let tmp: string;

before(async () => {
  tmp = await makeTempDir("rpcli");
});

after(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/**
 * Run `rpdvt fixture …` / `rpdvt keys list …` in a child process (the test runner reports on this
 * process's stdout, so the CLI's output cannot be captured in-process).
 */
async function run(command: "fixture" | "list", args: string[]) {
  const runner = join(tmp, "run.mts");
  await fsp.writeFile(
    runner,
    [
      `import { fixtureCommand } from ${JSON.stringify(join(ROOT, "src/cli/fixture.ts"))};`,
      `import { keysListCommand } from ${JSON.stringify(join(ROOT, "src/cli/keys-list.ts"))};`,
      "const [which, ...rest] = process.argv.slice(2);",
      'await (which === "fixture" ? fixtureCommand() : keysListCommand()).parseAsync(["node", "rpdvt", ...rest]);',
    ].join("\n"),
  );
  return runNode(["--import", "tsx", runner, command, ...args]);
}

test("fixture rocketpool --json, then keys list (table and --json)", async () => {
  const out = join(tmp, "node");
  const fx = await run("fixture", [
    "rocketpool",
    "--validators",
    "2",
    "--custom-keys",
    "1",
    "--orphans",
    "1",
    "--out",
    out,
    "--json",
  ]);
  assert.equal(fx.code, 0, fx.err);
  const res = JSON.parse(fx.out);
  assert.equal(res.dataDir, join(out, "data"));
  assert.equal(res.pubkeys.length, 2);
  assert.equal(res.mnemonic.split(" ").length, 24);
  assert.equal(res.kdf, "fast");

  const table = await run("list", ["--rocketpool-dir", out]);
  assert.equal(table.code, 0, table.err);
  const lines = table.out.split("\n");
  assert.match(lines[0] ?? "", /^PUBKEY\s+INDEX\s+SOURCE\s+CLIENTS$/);
  assert.match(
    lines[1] ?? "",
    new RegExp(`^${res.pubkeys[0]}\\s+0\\s+wallet\\s+lighthouse,lodestar,nimbus,teku,prysm$`),
  );
  assert.match(lines[3] ?? "", /\s2\s+wallet \(orphan\)\s/);
  assert.match(lines[4] ?? "", new RegExp(`^${res.customPubkeys[0]}\\s+-\\s+custom-keys\\s`));
  assert.match(
    table.out,
    /4 validator key\(s\): 2 wallet, 1 orphan, 1 custom-keys, 0 keystore-only/,
  );
  assert.match(table.err, /Warning: Orphan/);

  const json = await run("list", ["--rocketpool-dir", join(out, "data"), "--json"]);
  const entries = JSON.parse(json.out);
  assert.equal(entries.length, 4);
  assert.deepEqual(Object.keys(entries[0]).slice(0, 4), ["pubkey", "index", "source", "clients"]);
  assert.equal(entries[0].pubkey, res.pubkeys[0]);
});

test("errors print a message and set exit code 1", async () => {
  const first = await run("fixture", [
    "rocketpool",
    "--validators",
    "1",
    "--out",
    join(tmp, "node2"),
  ]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /Mnemonic \(TEST KEYS ONLY/);
  const clash = await run("fixture", [
    "rocketpool",
    "--validators",
    "1",
    "--out",
    join(tmp, "node2"),
  ]);
  assert.equal(clash.code, 1);
  assert.match(clash.err, /already exists/);
  const missing = await run("list", ["--rocketpool-dir", join(tmp, "missing")]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^Error: Smartnode folder not found/);
  const bad = await run("fixture", ["rocketpool", "--validators", "12x", "--out", join(tmp, "x")]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /whole number/);
});

test("keys list on a Prysm-only data folder lists the keys keys split reads; --max-wallet-accounts is checked", async () => {
  const out = join(tmp, "prysm-only");
  const fx = await run("fixture", ["rocketpool", "--validators", "5", "--out", out, "--json"]);
  assert.equal(fx.code, 0, fx.err);
  const data = join(out, "data");
  await fsp.rm(join(data, "wallet"));
  for (const c of ["lighthouse", "lodestar", "nimbus", "teku"])
    await fsp.rm(join(data, "validators", c), { recursive: true });
  const table = await run("list", ["--rocketpool-dir", out]);
  assert.equal(table.code, 0, table.err);
  assert.match(
    table.out,
    /5 validator key\(s\): 0 wallet, 0 orphan, 0 custom-keys, 5 keystore-only/,
  );
  for (const pk of JSON.parse(fx.out).pubkeys as string[])
    assert.match(table.out, new RegExp(`^${pk}\\s+-\\s+keystore-only\\s+prysm$`, "m"));
  const bad = await run("list", ["--rocketpool-dir", out, "--max-wallet-accounts", "abc"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /--max-wallet-accounts.*whole number/);
});

test("helpers", () => {
  assert.equal(expandHome("~/x").endsWith("/x"), true);
  assert.equal(expandHome("/abs"), "/abs");
  assert.equal(formatKeyTable([]), "PUBKEY  INDEX  SOURCE  CLIENTS\n");
});
