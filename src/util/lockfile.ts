/**
 * A PID lock file: one process at a time may own a resource (e.g. the slashing-protection
 * database a running node keeps a read-ahead view of). Created with O_EXCL (`wx`), so two
 * processes can never both win; holds `{ pid, hostname, since }`, written to a private file first
 * and put in place with link(2) (fails if the lock exists), so no other process ever reads a
 * half-written lock (an empty one would look stale and be taken over). A lock whose process is gone
 * (crash, SIGKILL, reboot) is stale and taken over: only the process holding `<lock>.breaking`
 * (O_EXCL) may remove it, and only if it still is the very file judged stale — so of several
 * processes racing for the same stale lock exactly one wins (a plain rename-aside let a process
 * that had read the stale owner move away the lock another had just put in its place; measured,
 * test/integration/util/lockfile-race.test.ts). A `.breaking` file left by a process killed in
 * the microseconds it holds one is removed once older than {@link BREAKER_STALE_MS}. Same idea as
 * Lighthouse's validator `.lock` files and Teku's data-dir lock.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { InputError, OutputError } from "../errors.js";
import { isProcessAlive } from "./fs.js";

type Owner = { pid: number; hostname: string; since: string };

/** Attempts at linking before giving up (each after a stale lock was broken or waited for). */
const MAX_ATTEMPTS = 200;
/** Wait while another process breaks a stale lock (it holds `.breaking` for microseconds). */
const BREAKER_WAIT_MS = 2;
/** A `.breaking` file this old was left by a killed process: removed. */
const BREAKER_STALE_MS = 10_000;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readOwner(text: string | undefined): Owner | undefined {
  try {
    const o = JSON.parse(text ?? "") as Partial<Owner>;
    return typeof o.pid === "number" && typeof o.hostname === "string"
      ? { pid: o.pid, hostname: o.hostname, since: String(o.since ?? "") }
      : undefined;
  } catch {
    return undefined;
  }
}

function cannotCreate(path: string, err: unknown): OutputError {
  return new OutputError(`Cannot create the lock file ${path}`, {
    details: (err as NodeJS.ErrnoException).code,
    metaMessages: ["Check that the directory exists and is writable."],
    cause: err,
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Remove the stale lock at `path` whose content was `seen` — unless another process is breaking
 * it right now (then wait a moment) or already replaced it (then the next attempt sees that owner).
 */
function breakStale(path: string, seen: string | undefined): void {
  const breaker = `${path}.breaking`;
  try {
    writeFileSync(breaker, String(process.pid), { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw cannotCreate(breaker, err);
    let age = 0;
    try {
      age = Date.now() - statSync(breaker).mtimeMs;
    } catch {
      return; // just released: retry
    }
    if (age > BREAKER_STALE_MS) rmSync(breaker, { force: true });
    else sleepSync(BREAKER_WAIT_MS);
    return;
  }
  try {
    // Nobody else may remove the lock now; remove it only if it still is the one judged stale.
    if (seen !== undefined && readText(path) === seen) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

/**
 * A held lock; `release()` removes the file (idempotent; only if still ours).
 *
 * @example
 * const lock = acquireLock("/data/slashing-protection.sqlite.lock", "the slashing-protection database");
 * lock.release();
 */
export type Lock = { path: string; release(): void };

/**
 * Take the lock at `path` or throw an {@link InputError} naming the process that holds it.
 * `what` names the resource in the message.
 *
 * @example
 * const lock = acquireLock(join(dataDir, "node.lock"), `data dir ${dataDir}`);
 * try { run(); } finally { lock.release(); }
 */
export function acquireLock(path: string, what: string): Lock {
  const me: Owner = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  const mine = `${path}.${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(mine, JSON.stringify(me), { mode: 0o600, flag: "wx" });
  } catch (err) {
    throw cannotCreate(path, err);
  }
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        linkSync(mine, path);
        return {
          path,
          release() {
            if (readOwner(readText(path))?.pid === process.pid) rmSync(path, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw cannotCreate(path, err);
      }
      const seen = readText(path);
      const owner = readOwner(seen);
      const foreignHost = owner !== undefined && owner.hostname !== me.hostname;
      if (owner && (foreignHost || isProcessAlive(owner.pid))) {
        throw new InputError(`${what} is in use by another process`, {
          file: path,
          metaMessages: [
            `Held by PID ${owner.pid} on ${owner.hostname} since ${owner.since}.`,
            "Stop that process first (two writers would defeat slashing protection's view).",
            ...(foreignHost
              ? ["It was taken on another host: if that host no longer uses it, delete the file."]
              : []),
          ],
        });
      }
      // Stale (dead PID, or garbled): break it, then retry the link.
      breakStale(path, seen);
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new InputError(`Could not take the lock for ${what}`, {
    file: path,
    metaMessages: ["Another process keeps re-creating it; stop the other rpdvt processes."],
  });
}
