/**
 * A squad node killed by a signal is not running (found against Lodestar v1.39.1 on a loaded host:
 * `rpdvt node run` outlived its SIGTERM grace, was SIGKILLed, and the demo's "restart" skipped it
 * because a signalled child has exitCode null).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { isRunning } from "../../../src/devnet/squad.js";

test("isRunning: a live child runs; one ended by SIGKILL or by exit does not", async () => {
  assert.equal(isRunning(undefined), false, "no process");
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  await once(child, "spawn");
  assert.equal(isRunning(child), true, "alive");
  child.kill("SIGKILL");
  await once(child, "exit");
  assert.equal(child.exitCode, null, "a signalled child has no exit code");
  assert.equal(isRunning(child), false, "killed by a signal: not running");
  const done = spawn(process.execPath, ["-e", "process.exit(3)"], { stdio: "ignore" });
  await once(done, "exit");
  assert.equal(isRunning(done), false, "exited: not running");
});
