/**
 * A background devnet found by its work dir (src/devnet/status.ts, behind `rpdvt devnet
 * stop|status`): a pid file naming a process that is not a devnet is stale (removed, nothing
 * killed); a devnet process (the RPDVT_DEVNET marker, its own process group) is stopped by PID;
 * status reports a running devnet whose REST API does not answer with the error, not a throw; a
 * devnet.json that is not JSON is an InputError naming the file.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  DEVNET_ENV_MARKER,
  DEVNET_FILES,
  devnetStatus,
  freePort,
  isDevnetProcess,
  readDevnetPid,
  stopDevnetAt,
  stopPid,
} from "../../../src/devnet/index.js";
import { InputError } from "../../../src/errors.js";
import { exists, makeTempDir } from "../../helpers.js";

let dir: string;
const started: number[] = [];
before(async () => {
  dir = await makeTempDir("devnet-status");
});
after(async () => {
  for (const pid of started) await stopPid(pid, 500);
  await fsp.rm(dir, { recursive: true, force: true });
});

/**
 * A live process, in its own process group: a stand-in devnet (marked like startDevnet's child)
 * or, unmarked, some other program (not this test process: its command line may name "lodestar",
 * e.g. a test runner given several files).
 */
function liveProcess(devnet: boolean): number {
  const env = { ...process.env };
  if (devnet) env[DEVNET_ENV_MARKER] = "1";
  else delete env[DEVNET_ENV_MARKER];
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
    detached: true,
    stdio: "ignore",
    env,
  });
  child.unref();
  started.push(child.pid as number);
  return child.pid as number;
}

const fakeDevnetProcess = () => liveProcess(true);

test("no pid file: not running, stop says none ran", async () => {
  const d = join(dir, "empty");
  await fsp.mkdir(d);
  assert.equal(await readDevnetPid(d), null);
  assert.deepEqual(await devnetStatus(d), { workDir: d, running: false, pid: null });
  assert.equal(await stopDevnetAt(d), null);
});

test("a pid file naming a live process that is not a devnet is stale: removed, the process untouched", async () => {
  const d = join(dir, "stale");
  await fsp.mkdir(d);
  const other = liveProcess(false);
  await fsp.writeFile(join(d, DEVNET_FILES.pid), `${other}\n`);
  assert.equal((await devnetStatus(d)).running, false);
  assert.equal(await stopDevnetAt(d), null);
  assert.equal(await exists(join(d, DEVNET_FILES.pid)), false);
  process.kill(other, 0); // untouched: still alive (throws ESRCH otherwise)
});

test("a running devnet whose REST API does not answer: status carries the error; stop ends it by PID", async () => {
  const d = join(dir, "running");
  await fsp.mkdir(d);
  const pid = fakeDevnetProcess();
  await fsp.writeFile(join(d, DEVNET_FILES.pid), `${pid}\n`);
  const restUrl = `http://127.0.0.1:${await freePort()}`;
  await fsp.writeFile(
    join(d, DEVNET_FILES.info),
    JSON.stringify({ restUrl, pid, genesisTime: 0, secondsPerSlot: 2, logFile: "x" }),
  );
  const s = await devnetStatus(d);
  assert.equal(s.running, true);
  assert.equal(s.pid, pid);
  assert.equal(s.restUrl, restUrl);
  assert.equal(s.headSlot, undefined);
  assert.equal(typeof s.restError, "string");
  assert.equal(await stopDevnetAt(d), pid);
  assert.equal(isDevnetProcess(pid), false);
  assert.equal(await exists(join(d, DEVNET_FILES.pid)), false);
});

test("devnet.json that is not JSON: an InputError naming the file", async () => {
  const d = join(dir, "bad-json");
  await fsp.mkdir(d);
  const pid = fakeDevnetProcess();
  await fsp.writeFile(join(d, DEVNET_FILES.pid), `${pid}\n`);
  await fsp.writeFile(join(d, DEVNET_FILES.info), "{not json");
  await assert.rejects(
    devnetStatus(d),
    (e: unknown) =>
      e instanceof InputError && e.metaMessages.some((m) => m.includes(DEVNET_FILES.info)),
  );
});
