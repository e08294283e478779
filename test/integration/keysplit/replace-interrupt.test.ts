/**
 * `rpdvt cluster replace-operator` killed mid-way (issue 16 part 1, crash-resumable): a real run
 * is SIGKILLed while it encrypts the new share keystores (scrypt 2^18) — it leaves no password on
 * disk, so no decryptable share; the rerun of the same command removes the leftover and is killed
 * again by the test hook right after its output is complete (RPDVT_TEST_CRASH_AFTER=replace:write,
 * src/ops/journal.ts crashPoint); the third run resumes from the journal (plan and write done),
 * writes only HANDOVER.txt and exits 0 with the same definition hash.
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readClusterDefinition, writeCluster } from "../../../src/keysplit/cluster.js";
import { splitValidatorKey } from "../../../src/keysplit/split.js";
import { readRocketPoolKeys } from "../../../src/rocketpool/datadir.js";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { exists, listFiles, makeTempDir, ROOT, runNode } from "../../helpers.js";
import { killWhenTempHas } from "../../support/kill-midway.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const VALIDATORS = 2;

let tmp: string;
let rp: string;
let oldDir: string;
before(async () => {
  tmp = await makeTempDir("replace-kill");
  rp = join(tmp, "rp");
  await writeRocketPoolFixture(rp, { validators: VALIDATORS, kdf: "fast" });
  const { keys } = await readRocketPoolKeys(rp);
  oldDir = join(tmp, "old");
  await writeCluster(
    oldDir,
    keys.map((k) => splitValidatorKey(k, [1, 2, 3, 4])),
    {
      operators: [1, 2, 3, 4].map((id) => ({ id })),
      feeRecipients: FEE,
      kdfParams: { n: 2 ** 10 },
      quiet: true,
    },
  );
});
after(() => fsp.rm(tmp, { recursive: true, force: true }));

describe("cluster replace-operator killed mid-way", () => {
  test("SIGKILL while encrypting: no password on disk; rerun cleans up; killed after write, the next run resumes", async () => {
    const out = join(tmp, "new");
    const args = [
      join(ROOT, "bin/rpdvt.js"),
      "cluster",
      "replace-operator",
      "--cluster",
      oldDir,
      "--rocketpool-dir",
      rp,
      "--replace",
      "4=5",
      "--current-epoch",
      "100",
      "--activation-epoch",
      "110",
      "--out",
      out,
      "--quiet",
    ];
    const { temp } = await killWhenTempHas(args, tmp, "new", (f) => /keystores\/share-/.test(f));
    assert.ok(temp, "no share keystore appeared in a temporary output");
    assert.equal(await exists(out), false);
    const left = await listFiles(temp);
    assert.ok(left.some((f) => /keystores\/share-/.test(f)));
    assert.deepEqual(
      left.filter((f) => f.endsWith("password.txt")),
      [],
      "no password before the last step",
    );
    const journal = await fsp.readFile(`${out}.journal.jsonl`, "utf8");
    assert.match(journal, /"step":"write","status":"begin"/);
    assert.doesNotMatch(journal, /"step":"write","status":"done"/);

    // Rerun, killed by the test hook right after the complete output is journaled.
    const second = await runNode(args, { env: { RPDVT_TEST_CRASH_AFTER: "replace:write" } });
    assert.notEqual(second.code, 0);
    assert.equal(await exists(temp), false, "the leftover of the killed run is removed");
    assert.match(second.err, /Removed the stale temporary output/);
    assert.equal(await exists(join(out, "HANDOVER.txt")), false);
    const hash = (await readClusterDefinition(join(out, "cluster.json"))).hash;

    // Third run: resumes (plan, write done), writes the hand-over only.
    const third = await runNode([...args, "--json"]);
    assert.equal(third.code, 0, third.err);
    const r = JSON.parse(third.out);
    assert.deepEqual(r.resumed, ["plan", "write"]);
    assert.equal(r.hash, hash);
    assert.ok(await exists(join(out, "HANDOVER.txt")));
    for (const id of [1, 2, 3, 5]) {
      const files = await listFiles(join(out, `operator-${id}`));
      assert.equal(files.filter((f) => f.startsWith("keystores/")).length, VALIDATORS);
      assert.ok(files.includes("password.txt"));
    }
    assert.deepEqual(
      (await fsp.readdir(tmp)).filter((n) => n.includes(".tmp-")),
      [],
    );
  });
});
