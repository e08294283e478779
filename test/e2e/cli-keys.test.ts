/**
 * The `rpdvt` binary end to end (child processes, as a user runs it): fixture → keys split in every
 * format → keys verify; and the bad-input contract: a clear "Error:" message naming the problem,
 * exit code ≠ 0, no stack trace, nothing written.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  dkgOperatorsDir,
  exists,
  makeTempDir,
  type RunResult as Result,
  rpdvt,
} from "../helpers.js";

const VECTORS = await dkgOperatorsDir();

const OWNER = "0xDCc846fA10C7CfCE9e6Eb37e06eD93b666cFC5E9";

let tmp: string;
let rp: string;
let pubkeys: string[];
before(async () => {
  tmp = await makeTempDir("cli");
  rp = join(tmp, "rp");
  const r = await rpdvt("fixture", "rocketpool", "--validators", "3", "--out", rp, "--json");
  assert.equal(r.code, 0, r.err);
  pubkeys = JSON.parse(r.out).pubkeys;
});
after(() => fsp.rm(tmp, { recursive: true, force: true }));

/** `rpdvt keys split --rocketpool-dir <fixture> --format <format> …args`. */
const split = (format: string, ...args: string[]) =>
  rpdvt("keys", "split", "--rocketpool-dir", rp, "--format", format, ...args);

/** Assert the bad-input contract and return stderr. */
function assertCleanError(r: Result, pattern: RegExp): string {
  assert.notEqual(r.code, 0, `expected failure, got exit 0: ${r.out}`);
  assert.match(r.err, /^Error: /m);
  assert.match(r.err, pattern);
  assert.doesNotMatch(r.err, /\n\s+at .+\(.+:\d+:\d+\)/, "no stack trace");
  return r.err;
}

describe("keys split → verify, every format", () => {
  test("ssv: split with operators_info.json, verify decrypts every share with the operators' keys", async () => {
    const out = join(tmp, "keyshares.json");
    const s = await split(
      "ssv",
      "--operator-ids",
      "11,22,33,44",
      "--operators-file",
      join(VECTORS, "operators_info.json"),
      "--owner",
      OWNER,
      "--nonce",
      "5",
      "--out",
      out,
      "--json",
    );
    assert.equal(s.code, 0, s.err);
    assert.deepEqual(JSON.parse(s.out).operators, [11, 22, 33, 44]);
    assert.equal((await fsp.stat(out)).mode & 0o777, 0o600);
    const file = JSON.parse(await fsp.readFile(out, "utf8"));
    assert.deepEqual(
      file.shares.map((x: { data: { ownerNonce: number } }) => x.data.ownerNonce),
      [5, 6, 7],
    );
    const v = await rpdvt("keys", "verify", out, "--operator-keys", VECTORS, "--json");
    assert.equal(v.code, 0, v.err);
    const report = JSON.parse(v.out);
    assert.equal(report.validators, 3);
    assert.ok(
      report.checks.some((c: string) => /decrypt/.test(c)),
      "shares were decrypted and checked",
    );

    // tampered copy: flip one byte of a share public key → verify fails naming the item
    file.shares[1].payload.sharesData = file.shares[1].payload.sharesData.replace(
      /^(0x.{200})(.)/,
      (_m: string, a: string, c: string) => a + (c === "0" ? "1" : "0"),
    );
    const bad = join(tmp, "tampered.json");
    await fsp.writeFile(bad, JSON.stringify(file));
    assertCleanError(await rpdvt("keys", "verify", bad), /share|interpolat|signature|point/i);
  });

  test("cluster, dirk and obol: split one selected validator, verify", async () => {
    for (const [format, extra] of [
      [
        "cluster",
        [
          "--operator-ids",
          "1,2,3,4",
          "--fee-recipient",
          "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        ],
      ],
      ["dirk", ["--operator-ids", "1,2,3,4", "--endpoints", "1=a:1,2=b:2,3=c:3,4=d:4"]],
      ["obol", []],
    ] as const) {
      const out = join(tmp, `out-${format}`);
      const s = await split(
        format,
        ...extra,
        "--validators",
        pubkeys[1] as string,
        "--out",
        out,
        "--json",
      );
      assert.equal(s.code, 0, `${format}: ${s.err}`);
      assert.equal(JSON.parse(s.out).validators, 1);
      const v = await rpdvt("keys", "verify", out, "--json");
      assert.equal(v.code, 0, `${format}: ${v.err}`);
      assert.equal(JSON.parse(v.out).validators, 1);
    }
  });
});

describe("bad input: clear error, exit ≠ 0, nothing written", () => {
  const ssvArgs = (out: string, ids = "11,22,33,44") => [
    "keys",
    "split",
    "--rocketpool-dir",
    rp,
    "--format",
    "ssv",
    "--operator-ids",
    ids,
    "--operators-file",
    join(VECTORS, "operators_info.json"),
    "--owner",
    OWNER,
    "--nonce",
    "0",
    "--out",
    out,
  ];

  test("cluster size, order and duplicates of operator ids", async () => {
    const out = join(tmp, "never.json");
    assertCleanError(
      await rpdvt(...ssvArgs(out, "11,22,33,44,55")),
      /Cluster size 5 is not supported|not in the operators file/,
    );
    assertCleanError(
      await split("dirk", "--operator-ids", "1,2,3,4,5", "--out", out),
      /Cluster size 5/,
    );
    // Unsorted ids are sorted with a note (the same in every format), then --endpoints is required.
    const unsorted = assertCleanError(
      await split("dirk", "--operator-ids", "2,1,3,4", "--out", out),
      /--endpoints is required for --format dirk/,
    );
    assert.match(unsorted, /--operator-ids 2,1,3,4 sorted ascending to 1,2,3,4/);
    assertCleanError(await split("dirk", "--operator-ids", "1,1,3,4", "--out", out), /twice/);
    assert.equal(await exists(out), false);
  });

  test("missing SSV owner/nonce, unknown validator, unknown format", async () => {
    const out = join(tmp, "never2.json");
    assertCleanError(
      await split(
        "ssv",
        "--operator-ids",
        "11,22,33,44",
        "--operators-file",
        join(VECTORS, "operators_info.json"),
        "--out",
        out,
      ),
      /--owner and --nonce/,
    );
    assertCleanError(
      await rpdvt(...ssvArgs(out), "--validators", `0x${"ab".repeat(48)}`),
      /not|unknown|found/i,
    );
    const f = await split("lighthouse", "--out", out);
    assert.notEqual(f.code, 0);
    assert.match(f.err, /Allowed choices are ssv, obol, dirk, cluster/);
    assert.equal(await exists(out), false);
  });

  test("existing output is refused and left untouched", async () => {
    const out = join(tmp, "exists.json");
    await fsp.writeFile(out, "precious");
    assertCleanError(await rpdvt(...ssvArgs(out)), /already exists/);
    assert.equal(await fsp.readFile(out, "utf8"), "precious");
  });

  test("unwritable output location", async () => {
    assertCleanError(
      await rpdvt(...ssvArgs("/proc/rpdvt-cannot-write.json")),
      /Cannot write|not writable|exist/i,
    );
  });

  test("wrong wallet password and corrupt wallet JSON name the file; secrets never printed", async () => {
    const broken = join(tmp, "rp-broken");
    await fsp.cp(rp, broken, { recursive: true });
    const pwFile = join(broken, "data", "password");
    const realPassword = await fsp.readFile(pwFile, "utf8");
    await fsp.writeFile(pwFile, "not-the-password");
    const out = join(tmp, "never3.json");
    const e1 = assertCleanError(
      await rpdvt(...ssvArgs(out).map((a) => (a === rp ? broken : a))),
      /wallet|password|checksum/i,
    );
    assert.ok(!e1.includes("not-the-password") && !e1.includes(realPassword));
    await fsp.writeFile(pwFile, realPassword);
    const wallet = join(broken, "data", "wallet");
    await fsp.writeFile(wallet, (await fsp.readFile(wallet, "utf8")).slice(0, 100));
    assertCleanError(await rpdvt(...ssvArgs(out).map((a) => (a === rp ? broken : a))), /wallet/);
    assert.equal(await exists(out), false);
  });

  test("verify: nonexistent path and unknown format", async () => {
    assertCleanError(await rpdvt("keys", "verify", join(tmp, "nope.json")), /does not exist/);
    const junk = join(tmp, "junk.json");
    await fsp.writeFile(junk, "{}");
    assertCleanError(await rpdvt("keys", "verify", junk), /JSON but of no known format/);
  });

  test("every command has --help", async () => {
    for (const args of [
      ["--help"],
      ["keys", "split", "--help"],
      ["keys", "verify", "--help"],
      ["keys", "list", "--help"],
      ["fixture", "rocketpool", "--help"],
      ["demo", "--help"],
    ]) {
      const r = await rpdvt(...args);
      assert.equal(r.code, 0, args.join(" "));
      assert.match(r.out, /Usage: rpdvt/);
    }
  });
});
