/** `rpdvt demo --json`: the main job runs on its embedded default and its summary holds up. */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { makeTempDir, rpdvt } from "../helpers.js";

test("demo --json: every format written and verified, 3-of-4 signing works, 2-of-4 does not", async () => {
  const dir = join(await makeTempDir("demo"), "run");
  try {
    const { out, code, err } = await rpdvt("demo", "--validators", "2", "--dir", dir, "--json");
    assert.equal(code, 0, err);
    const summary = JSON.parse(out.trim().split("\n").at(-1) as string);
    assert.equal(summary.ok, true);
    assert.equal(summary.validators, 2);
    assert.deepEqual(summary.outputs.map((o: { format: string }) => o.format).sort(), [
      "cluster",
      "dirk",
      "obol",
      "ssv",
    ]);
    assert.ok(summary.outputs.every((o: { verified: boolean }) => o.verified));
    assert.deepEqual(summary.thresholdSigning, {
      stoppedOperators: 1,
      validSignatures: 2,
      belowThresholdInvalid: 2,
    });
    // the outputs really are on disk, secrets 0600
    const ks = join(dir, "ssv-keyshares.json");
    assert.equal((await fsp.stat(ks)).mode & 0o777, 0o600);
  } finally {
    await fsp.rm(join(dir, ".."), { recursive: true, force: true });
  }
});
