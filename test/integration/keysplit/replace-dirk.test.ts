/**
 * `rpdvt cluster replace-operator --dirk` through the real binary (issue 16 part 1, Dirk): a run
 * is SIGKILLed while it encrypts the new accounts (keystorev4 pbkdf2 2^18, Dirk's default) — it
 * leaves no passphrase on disk, so no decryptable share; the rerun removes the leftover and is
 * killed by the test hook right after its output is complete (RPDVT_TEST_CRASH_AFTER=replace:write);
 * the third run resumes (plan, write done) and writes only HANDOVER.txt; `rpdvt keys verify`
 * passes on the new wallets. Bad input: clear errors naming the flag or file, no stack trace,
 * nothing written, the wallet never read.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeDirk } from "../../../src/keysplit/dirk.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { readRocketPoolKeys } from "../../../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { exists, listFiles, makeTempDir, ROOT, runNode } from "../../helpers.js";
import { killWhenTempHas } from "../../support/kill-midway.js";

const VALIDATORS = 2;
const GVR = `0x${"4b".repeat(32)}`;

let tmp: string;
let rp: string;
let oldDir: string;
before(async () => {
  tmp = await makeTempDir("replace-dirk-kill");
  rp = join(tmp, "rp");
  await writeRocketPoolFixture(rp, { validators: VALIDATORS, kdf: "fast" });
  const { keys } = await readRocketPoolKeys(rp);
  oldDir = join(tmp, "old");
  await writeDirk(
    oldDir,
    keys.map((k) => splitValidatorKey(k, [1, 2, 3, 4])),
    {
      participants: [1, 2, 3, 4].map((id) => ({ id, endpoint: `dirk${id}.example:13141` })),
      kdfParams: { c: 2 ** 10 },
      quiet: true,
    },
  );
});
after(() => fsp.rm(tmp, { recursive: true, force: true }));

const base = (out: string) => [
  join(ROOT, "bin/rpdvt.js"),
  "cluster",
  "replace-operator",
  "--dirk",
  oldDir,
  "--rocketpool-dir",
  rp,
  "--replace",
  "4=5",
  "--endpoints",
  "5=dirk5.example:13141",
  "--current-epoch",
  "100",
  "--activation-epoch",
  "110",
  "--genesis-validators-root",
  GVR,
  "--out",
  out,
  "--quiet",
];

/** An account file: a participant wallet's file that is neither the wallet nor its index. */
const isAccount = (f: string) =>
  /^participant-\d+\/wallets\/([0-9a-f-]{36})\/(?!\1$)[0-9a-f-]{36}$/.test(f);

describe("cluster replace-operator --dirk killed mid-way", () => {
  test("SIGKILL while encrypting: no passphrase on disk; rerun cleans up; killed after write, the next run resumes; keys verify passes", async () => {
    const out = join(tmp, "new");
    const args = base(out);
    const { temp } = await killWhenTempHas(args, tmp, "new", isAccount, { pollMs: 10 });
    assert.ok(temp, "no account file appeared in a temporary output");
    assert.equal(await exists(out), false);
    const left = await listFiles(temp);
    assert.ok(left.some(isAccount));
    assert.deepEqual(
      left.filter((f) => f.endsWith("passphrase.txt")),
      [],
      "no passphrase before the last step",
    );
    const journal = await fsp.readFile(`${out}.journal.jsonl`, "utf8");
    assert.match(journal, /"step":"write","status":"begin"/);
    assert.doesNotMatch(journal, /"step":"write","status":"done"/);

    const second = await runNode(args, { env: { RPDVT_TEST_CRASH_AFTER: "replace:write" } });
    assert.notEqual(second.code, 0);
    assert.equal(await exists(temp), false, "the leftover of the killed run is removed");
    assert.match(second.err, /Removed the stale temporary output/);
    assert.equal(await exists(join(out, "HANDOVER.txt")), false);
    const summary = await fsp.readFile(join(out, "distributed-accounts.json"), "utf8");

    const third = await runNode([...args, "--json"]);
    assert.equal(third.code, 0, third.err);
    const r = JSON.parse(third.out);
    assert.deepEqual(r.resumed, ["plan", "write"]);
    assert.equal(r.wallet, "rpdvt-e110");
    assert.deepEqual(r.participants, [1, 2, 3, 5]);
    assert.equal(await fsp.readFile(join(out, "distributed-accounts.json"), "utf8"), summary);
    assert.match(
      await fsp.readFile(join(out, "HANDOVER.txt"), "utf8"),
      /--import-slashing-protection/,
    );
    for (const id of [1, 2, 3, 5]) {
      const dir = `participant-${id}`;
      const files = await listFiles(join(out, dir), dir);
      assert.equal(files.filter(isAccount).length, VALIDATORS, files.join(", "));
      assert.ok(
        files.includes(`${dir}/passphrase.txt`) &&
          files.includes(`${dir}/slashing-protection.json`),
        files.join(", "),
      );
    }
    assert.deepEqual(
      (await fsp.readdir(tmp)).filter((n) => n.includes(".tmp-")),
      [],
    );
    const verify = await runNode([join(ROOT, "bin/rpdvt.js"), "keys", "verify", out, "--json"]);
    assert.equal(verify.code, 0, verify.err);
    const report = JSON.parse(verify.out);
    assert.equal(report.ok, true);
    assert.equal(report.format, "dirk-distributed v1");
    assert.equal(report.validators, VALIDATORS);
    assert.deepEqual(report.operators, [1, 2, 3, 5]);
  });
});

describe("cluster replace-operator --dirk: bad input", () => {
  const cases: [string, (out: string) => string[], RegExp][] = [
    [
      "--peer-ids does not apply",
      (out) => [...base(out), "--peer-ids", "5=16Uiu2HAm"],
      /--peer-ids does not apply to --dirk[\s\S]*--endpoints/,
    ],
    [
      "offline without the genesis validators root",
      (out) => base(out).filter((a, i, all) => a !== GVR && all[i + 1] !== GVR),
      /--genesis-validators-root is needed with --current-epoch/,
    ],
    [
      "a malformed genesis validators root",
      (out) => base(out).map((a) => (a === GVR ? "0x1234" : a)),
      /--genesis-validators-root must be 0x \+ 32 bytes/,
    ],
    [
      "a new participant without an endpoint",
      (out) => base(out).filter((a) => a !== "--endpoints" && a !== "5=dirk5.example:13141"),
      /No endpoint for new participant\(s\) 5[\s\S]*--endpoints/,
    ],
    [
      "an old output that does not exist",
      (out) => base(out).map((a) => (a === oldDir ? join(tmp, "missing") : a)),
      /The old Dirk output does not exist[\s\S]*--dirk/,
    ],
    [
      "--cluster and --dirk together",
      (out) => [...base(out), "--cluster", oldDir],
      /Give the old output once/,
    ],
    [
      "a wallet without the validators",
      (out) => base(out).map((a) => (a === rp ? join(tmp, "empty-rp") : a)),
      /rocketpool|Rocket Pool|wallet/i,
    ],
  ];
  for (const [name, args, message] of cases) {
    test(name, async () => {
      await fsp.mkdir(join(tmp, "empty-rp"), { recursive: true });
      const out = join(tmp, `bad-${name.replace(/\W+/g, "-")}`);
      const r = await runNode(args(out));
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /\n\s+at .+:\d+:\d+/, "no stack trace");
      assert.equal(await exists(out), false, "nothing written at --out");
    });
  }
});
