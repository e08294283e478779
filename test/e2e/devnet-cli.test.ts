/**
 * `rpdvt devnet start|status|stop` (src/cli/devnet.ts) against the REAL Lodestar 1.5.1: start
 * leaves it running in the background and writes the pid file, status reads the chain through
 * the REST API, stop ends it by PID. The after hook stops it by PID if a step failed.
 * Not installed → FAILS naming bash devnet/lodestar/install.sh.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { devnetCommand } from "../../src/cli/devnet.js";
import { ensureInstalled, isDevnetProcess, stopPid } from "../../src/devnet/index.js";
import { runCommand } from "../helpers.js";

let dir: string;
let pid: number | undefined;
before(async () => {
  await ensureInstalled();
  dir = await mkdtemp(join(tmpdir(), "rpdvt-devnet-cli-"));
});
after(async () => {
  if (pid !== undefined) await stopPid(pid);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Run the command, capturing stdout/stderr and the exit code runAction sets (0 on success). */
async function run(...args: string[]) {
  const r = await runCommand(devnetCommand(), args);
  return { ...r, code: r.code ?? 0 };
}

test("devnet start → status → stop by PID", { timeout: 90_000 }, async () => {
  const started = await run("start", "--work-dir", dir, "--genesis-delay", "2", "--json");
  assert.equal(started.code, 0, started.stderr);
  const info = JSON.parse(started.stdout) as { pid: number; restUrl: string };
  pid = info.pid;
  assert.match(info.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(isDevnetProcess(pid), true);
  assert.equal((await readFile(join(dir, "lodestar.pid"), "utf8")).trim(), String(pid));

  const again = await run("start", "--work-dir", dir);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already runs/);

  // Past genesis, the head advances: status reads it through the REST API.
  await new Promise((r) => setTimeout(r, 5000));
  const status = await run("status", "--work-dir", dir, "--json");
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { running: boolean; headSlot: number; pid: number };
  assert.equal(s.running, true);
  assert.equal(s.pid, pid);
  assert.ok(s.headSlot >= 1, `head slot ${s.headSlot}`);

  const stopped = await run("stop", "--work-dir", dir);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, new RegExp(`Stopped devnet PID ${pid}`));
  assert.equal(isDevnetProcess(pid), false);
  // Gone, not only no longer Lodestar: the PID disappears once its parent reaps it (this test
  // process, when `start` ran in-process), at most a moment after `stop` returns.
  const gone = (): boolean => {
    try {
      process.kill(pid as number, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ESRCH";
    }
  };
  for (let k = 0; k < 40 && !gone(); k++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(gone(), `PID ${pid} still exists 2 s after stop`);
  await assert.rejects(readFile(join(dir, "lodestar.pid")), /ENOENT/);

  const after = await run("status", "--work-dir", dir);
  assert.equal(after.code, 3);
  assert.match(after.stdout, /No devnet runs/);
});
