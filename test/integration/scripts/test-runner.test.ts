/**
 * scripts/test.ts, the runner behind every `npm test*` script: it runs a test file from the
 * compiled mirror and passes its result on, rejects bad arguments before compiling anything, and
 * leaves no `.build/test-<pid>/` behind — after a normal run and after SIGTERM mid-run.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT, runNode } from "../../helpers.js";

const RUNNER = join(ROOT, "scripts/test.ts");
const BUILD = join(ROOT, ".build");

/** The build folders present now (the outer run's own among them). */
function buildFolders(): Set<string> {
  try {
    return new Set(readdirSync(BUILD));
  } catch {
    return new Set();
  }
}

/** Folders that appeared since `before` (a leftover of the run under test). */
function leftovers(before: Set<string>): string[] {
  return [...buildFolders()].filter((f) => !before.has(f));
}

describe("scripts/test.ts", () => {
  test("runs one test file from the compiled mirror, passes its result on, cleans up", async () => {
    const before = buildFolders();
    const r = await runNode(["--import", "tsx", RUNNER, "--", "test/unit/plan/math.test.ts"]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^compiled \d+ files in \d+ ms; running 1 test files$/m);
    assert.match(r.out, /ℹ pass [1-9]\d*/);
    assert.match(r.out, /ℹ fail 0/);
    assert.deepEqual(leftovers(before), []);
  });

  test("bad arguments: exit 2 with what is wrong, nothing compiled", async () => {
    const before = buildFolders();
    const cases: [string[], RegExp][] = [
      [["bogus"], /unknown suite 'bogus'/],
      [[], /no suite and no test file given/],
      [["--", "test/unit/nope.test.ts"], /test file 'test\/unit\/nope.test.ts' does not exist/],
      [["--", "README.md"], /'README.md' is not a test file/],
    ];
    for (const [args, message] of cases) {
      const r = await runNode(["--import", "tsx", RUNNER, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.out}${r.err}`);
      assert.match(r.err, message);
      assert.match(r.err, /usage: tsx scripts\/test.ts/);
      assert.doesNotMatch(r.out, /compiled/);
    }
    assert.deepEqual(leftovers(before), []);
  });

  test("SIGTERM mid-run: non-zero exit and the build folder is gone", async () => {
    const before = buildFolders();
    const child = spawn(
      process.execPath,
      // a file that runs for several seconds (a simulated squad over many slots)
      ["--import", "tsx", RUNNER, "--", "test/integration/core/replace.test.ts"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (/running 1 test files/.test(out)) {
          clearInterval(t);
          // let node --test start the file's process, then stop the run
          setTimeout(resolve, 1500);
        }
      }, 50);
      child.on("exit", () => {
        clearInterval(t);
        reject(new Error(`the runner exited before it was stopped:\n${out}`));
      });
    });
    assert.ok(leftovers(before).length === 1, "the run's build folder exists while it runs");
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on("exit", (code, signal) => resolve([code, signal])),
    );
    child.kill("SIGTERM");
    const [code, signal] = await exited;
    assert.ok(code !== 0 || signal !== null, `exit ${code} ${signal}`);
    assert.deepEqual(leftovers(before), []);
  });
});
