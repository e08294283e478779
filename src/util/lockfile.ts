/**
 * A PID lock file: one process at a time may own a resource (e.g. the slashing-protection
 * database a running node keeps a read-ahead view of). Created with O_EXCL (`wx`), so two
 * processes can never both win; holds `{ pid, hostname, since }`, written to a private file first
 * and put in place with link(2) (fails if the lock exists), so no other process ever reads a
 * half-written lock (an empty one would look stale and be taken over). A lock whose process is gone
 * (crash, SIGKILL, reboot) is stale and taken over — after a rename of the stale file to a unique
 * name, so two processes racing for a stale lock still cannot both win. Same idea as Lighthouse's
 * validator `.lock` files and Teku's data-dir lock.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { InputError, OutputError } from "../errors.js";
import { isProcessAlive } from "./fs.js";

type Owner = { pid: number; hostname: string; since: string };

function readOwner(path: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(path, "utf8")) as Partial<Owner>;
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
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        return {
          path,
          release() {
            if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw cannotCreate(path, err);
      }
      const owner = readOwner(path);
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
      // Stale (dead PID, or garbled): move it aside atomically, then retry the link.
      const aside = `${path}.stale-${randomBytes(4).toString("hex")}`;
      try {
        renameSync(path, aside);
        rmSync(aside, { force: true });
      } catch {
        // Another process moved it first; retry.
      }
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new InputError(`Could not take the lock for ${what}`, {
    file: path,
    metaMessages: ["Another process keeps re-creating it; stop the other rpdvt processes."],
  });
}
