/**
 * `rpdvt demo`'s flags (src/cli/demo.ts) are range-checked before any work starts: a bad value is
 * an error naming the flag and its range, no stack trace, and no working folder, devnet or node
 * is created. (The run itself: test/e2e/demo.test.ts.)
 */
import assert from "node:assert/strict";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { intInRange } from "../../../src/cli/args.js";
import { demoCommand } from "../../../src/cli/demo.js";
import { InputError } from "../../../src/errors.js";
import { exists, makeTempDir, runCommand } from "../../helpers.js";

test("demo: each out-of-range flag is refused by name before the working folder exists", async () => {
  const dir = await makeTempDir("demo-flags");
  try {
    const cases: [string[], RegExp][] = [
      [["--epochs", "0"], /--epochs 0 must be an integer in 1\.\.20/],
      [["--epochs", "2.5"], /--epochs 2\.5 must be an integer in 1\.\.20/],
      [["--stop-operators", "3"], /--stop-operators 3 must be an integer in 0\.\.2/],
      [["--doppelganger-epochs", "5"], /--doppelganger-epochs 5 must be an integer in 0\.\.4/],
      [["--seconds-per-slot", "61"], /--seconds-per-slot 61 must be an integer in 1\.\.60/],
      [["--inactive-validators", "3"], /--inactive-validators 3 must be an integer in 0\.\.2/],
    ];
    for (const [args, message] of cases) {
      const run = join(dir, "run");
      const r = await runCommand(demoCommand(), [...args, "--dir", run, "--json"]);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.equal(r.stdout, "");
      assert.equal(await exists(run), false, `${args.join(" ")}: nothing created`);
    }
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test("intInRange: integers in range pass, others are an InputError on the flag", () => {
  assert.equal(intInRange("0", "--stop-operators", 0, 2), 0);
  assert.equal(intInRange("20", "--epochs", 1, 20), 20);
  for (const bad of ["21", "-1", "x", "1e9", ""]) {
    assert.throws(
      () => intInRange(bad, "--epochs", 1, 20),
      (e: unknown) => e instanceof InputError && e.field === "--epochs",
      bad,
    );
  }
});
