/**
 * A `keys split` killed mid-way (issue 12 item 4): a real `rpdvt keys split --format cluster` of
 * 21 validators is SIGKILLed while it encrypts share keystores; what it leaves on disk must hold
 * no operator's secret beyond one (in fact none: passwords are written in the last step only);
 * the next run removes the leftover, says so on stderr, and writes a complete output. Also the
 * stale-temp sweep on its own (util/fs.ts removeStaleTemps): dead writer → removed, live writer,
 * other users' names and unrelated files → kept.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeRocketPoolFixture } from "../../../src/rocketpool/fixture.js";
import { removeStaleTemps } from "../../../src/util/fs.js";
import { exists, listFiles, makeTempDir, ROOT, readJson, rpdvt } from "../../helpers.js";
import { killWhenTempHas } from "../../support/kill-midway.js";

const FEE = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const VALIDATORS = 21;

let tmp: string;
let rp: string;
before(async () => {
  tmp = await makeTempDir("keysplit-kill");
  rp = join(tmp, "rp");
  await writeRocketPoolFixture(rp, { validators: VALIDATORS, kdf: "fast" });
});
after(() => fsp.rm(tmp, { recursive: true, force: true }));

/** Files under `dir`, relative, recursively. */

/** A PID that is certainly not running (a child that has exited). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "0"]);
  assert.equal(r.status, 0);
  return r.pid as number;
}

describe("keys split killed mid-way", () => {
  test("SIGKILL while encrypting leaves no decryptable share; the next run cleans up, says so, completes", async () => {
    const out = join(tmp, "c21");
    const args = [
      join(ROOT, "bin/rpdvt.js"),
      "keys",
      "split",
      "--rocketpool-dir",
      rp,
      "--format",
      "cluster",
      "--operator-ids",
      "1,2,3,4",
      "--fee-recipient",
      FEE,
      "--out",
      out,
      "--quiet",
    ];
    // Poll until share keystores appear in the temporary output, then SIGKILL.
    const { temp, pid, endedFirst } = await killWhenTempHas(args, tmp, "c21", (f) =>
      /keystores\/share-0x[0-9a-f]{16}\.json$/.test(f),
    );
    assert.equal(endedFirst, false, "the split ended before it could be killed");
    assert.ok(temp, "no share keystore appeared in a temporary output within 600 s");

    // What the killed run left: a temp folder, no output, and at most one operator's secrets.
    assert.equal(await exists(out), false);
    const left = await listFiles(temp);
    const keystores = left.filter((f) => /^operator-\d+\/keystores\/share-.*\.json$/.test(f));
    assert.ok(keystores.length >= 1, left.join("\n"));
    const passwords = left.filter((f) => /password\.txt$/.test(f));
    const withSecrets = [1, 2, 3, 4].filter(
      (id) =>
        passwords.includes(`operator-${id}/password.txt`) &&
        keystores.some((k) => k.startsWith(`operator-${id}/`)),
    );
    assert.ok(withSecrets.length <= 1, `operators with password + shares on disk: ${withSecrets}`);
    assert.deepEqual(passwords, [], "no password reaches the disk before the last step");

    // The next run: the stale temp is removed with a message, and the output is complete.
    const again = await rpdvt(...args.slice(1));
    assert.equal(again.code, 0, again.err);
    assert.match(
      again.err,
      new RegExp(
        `Removed the stale temporary output of an interrupted rpdvt run \\(pid ${pid}, no longer running\\): ${temp.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`,
      ),
    );
    assert.equal(await exists(temp), false);
    assert.deepEqual(
      (await fsp.readdir(tmp)).filter((n) => n.includes(".tmp-")),
      [],
    );
    const def = await readJson(join(out, "cluster.json"));
    assert.equal((def.validators as unknown[]).length, VALIDATORS);
    for (const id of [1, 2, 3, 4]) {
      const files = await listFiles(join(out, `operator-${id}`));
      assert.equal(files.filter((f) => f.startsWith("keystores/")).length, VALIDATORS);
      assert.ok(files.includes("password.txt"));
      assert.deepEqual(await readJson(join(out, `operator-${id}`, "cluster.json")), def);
    }
  });
});

describe("removeStaleTemps", () => {
  test("removes dead writers' temps (folder and file) and the legacy name of the same output only", async () => {
    const dir = await fsp.mkdtemp(join(tmp, "sweep-"));
    const dead = deadPid();
    const live = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
      stdio: "ignore",
    });
    try {
      const deadDir = join(dir, `.cluster.tmp-${dead}-0123456789ab`);
      await fsp.mkdir(join(deadDir, "operator-1"), { recursive: true });
      await fsp.writeFile(join(deadDir, "operator-1", "password.txt"), "secret");
      const deadFile = join(dir, `.keyshares.json.tmp-${dead}-abcdef012345`);
      await fsp.writeFile(deadFile, "{}");
      const liveDir = join(dir, `.other.tmp-${live.pid}-0123456789ab`);
      await fsp.mkdir(liveDir);
      const legacySame = join(dir, ".cluster.tmp-00112233aabb");
      await fsp.mkdir(legacySame);
      const legacyOther = join(dir, ".different.tmp-00112233aabb");
      await fsp.mkdir(legacyOther);
      const unrelated = [join(dir, "cluster.tmp-1-0123456789ab"), join(dir, ".notes.txt")];
      for (const f of unrelated) await fsp.writeFile(f, "keep");

      const removed = await removeStaleTemps(join(dir, "cluster"));
      assert.deepEqual(
        removed.map((r) => [r.path, r.pid]).sort(),
        [
          [deadDir, dead],
          [deadFile, dead],
          [legacySame, null],
        ].sort(),
      );
      for (const p of [deadDir, deadFile, legacySame]) assert.equal(await exists(p), false);
      for (const p of [liveDir, legacyOther, ...unrelated]) assert.equal(await exists(p), true, p);
      // Nothing stale left: a second sweep removes nothing.
      assert.deepEqual(await removeStaleTemps(join(dir, "cluster")), []);
    } finally {
      live.kill("SIGKILL");
    }
  });
});
