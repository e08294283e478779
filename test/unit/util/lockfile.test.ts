/** src/util/lockfile.ts: one owner at a time, stale locks of dead processes taken over. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { InputError } from "../../../src/errors.js";
import { acquireLock } from "../../../src/util/lockfile.js";
import { makeTempDir } from "../../helpers.js";

let dir: string;
before(async () => {
  dir = await makeTempDir("lock");
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("a held lock refuses a second owner, naming the holder; release frees it", async () => {
  const path = join(dir, "x.lock");
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  try {
    writeFileSync(path, JSON.stringify({ pid: child.pid, hostname: hostname(), since: "t0" }));
    assert.throws(
      () => acquireLock(path, "The thing"),
      (e: unknown) =>
        e instanceof InputError &&
        e.shortMessage === "The thing is in use by another process" &&
        e.message.includes(`PID ${child.pid}`),
    );
    assert.equal(JSON.parse(readFileSync(path, "utf8")).pid, child.pid, "holder's file untouched");
  } finally {
    child.kill("SIGKILL");
  }
  // the holder died without releasing: stale → taken over
  await new Promise((r) => child.once("exit", r));
  const lock = acquireLock(path, "The thing");
  assert.equal(JSON.parse(readFileSync(path, "utf8")).pid, process.pid);
  assert.throws(() => acquireLock(path, "The thing"), InputError, "even the same process waits");
  lock.release();
  assert.equal(existsSync(path), false);
  acquireLock(path, "The thing").release();
});

test("a dead PID's lock and a garbled lock file are stale", async () => {
  const path = join(dir, "y.lock");
  const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
  writeFileSync(path, JSON.stringify({ pid: dead, hostname: hostname(), since: "t0" }));
  acquireLock(path, "Y").release();
  writeFileSync(path, "{half");
  acquireLock(path, "Y").release();
  assert.equal(existsSync(path), false);
});

test("a lock taken on another host is never taken over", async () => {
  const path = join(dir, "z.lock");
  writeFileSync(path, JSON.stringify({ pid: 1, hostname: `${hostname()}-other`, since: "t0" }));
  assert.throws(
    () => acquireLock(path, "Z"),
    (e: unknown) => e instanceof InputError && e.message.includes("another host"),
  );
});

test("a stale lock another process is breaking is waited for; a breaker left by a crash expires", () => {
  const path = join(dir, "b.lock");
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
  writeFileSync(path, JSON.stringify({ pid: dead, hostname: hostname(), since: "t0" }));
  // someone holds `.breaking` right now (fresh): we wait, never remove the lock ourselves
  writeFileSync(`${path}.breaking`, "12345");
  const t0 = Date.now();
  assert.throws(
    () => acquireLock(path, "B"),
    (e: unknown) => e instanceof InputError && e.shortMessage === "Could not take the lock for B",
  );
  assert.ok(Date.now() - t0 < 5_000, "gives up within seconds");
  assert.equal(
    JSON.parse(readFileSync(path, "utf8")).pid,
    dead,
    "the lock was left to the breaker",
  );
  // the breaker was killed mid-break: its file ages past 10 s and is removed, the lock taken over
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${path}.breaking`, old, old);
  const lock = acquireLock(path, "B");
  assert.equal(JSON.parse(readFileSync(path, "utf8")).pid, process.pid);
  assert.equal(existsSync(`${path}.breaking`), false);
  lock.release();
});
