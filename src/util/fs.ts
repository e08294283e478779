/**
 * Atomic output: every key, share or database file is written to a temporary sibling and renamed
 * into place, so a crash, a full disk or a bad input never leaves a half-written output. Secrets
 * are mode 0600, directories holding them 0700. Also a plain existence probe for inputs.
 *
 * Temporary siblings are named `.<name>.tmp-<pid>-<12 hex>` (the writer's PID in the name). A run
 * killed by SIGKILL or a power cut cannot clean up after itself, so commands that write key
 * material call {@link removeStaleTemps} on start: it removes, next to the output, every such
 * entry owned by this user whose PID is no longer alive (plus the PID-less `.<out>.tmp-<12 hex>`
 * of rpdvt releases before this naming, for the same output name) and returns what it removed, so
 * the command can say so. Writers keep what such a leftover can hold to a minimum (e.g. the
 * cluster writer puts every password on disk only in its last step, see keysplit/cluster.ts).
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { InputError, OutputError } from "../errors.js";

/** Mode for files holding secrets (keystores, passwords, shares). */
export const SECRET_FILE_MODE = 0o600;
/** Mode for directories holding secrets. */
export const SECRET_DIR_MODE = 0o700;

function describeFsError(err: unknown, path: string): OutputError {
  const code = (err as NodeJS.ErrnoException)?.code;
  const hint =
    code === "ENOSPC"
      ? "The disk is full: free some space and run the command again."
      : code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? "The location is not writable: choose another --out or fix its permissions."
        : code === "ENOENT"
          ? "The parent directory does not exist: create it first."
          : "Check the path and try again.";
  return new OutputError(`Cannot write ${path}`, {
    details: code ?? (err instanceof Error ? err.message : String(err)),
    metaMessages: [hint, "Nothing was written."],
    cause: err,
  });
}

/** `.<name>.tmp-<pid>-<12 hex>`: a temporary sibling written by {@link tempSibling}. */
const TEMP_NAME = /^\.(.+)\.tmp-([0-9]+)-[0-9a-f]{12}$/;
/** `.<name>.tmp-<12 hex>`: the PID-less temporary sibling of earlier rpdvt releases. */
const LEGACY_TEMP_NAME = /^\.(.+)\.tmp-[0-9a-f]{12}$/;

function tempSibling(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
}

/**
 * True when a process with this PID exists (signal 0 probes without signalling; EPERM means it
 * exists but belongs to another user).
 *
 * @example
 * isProcessAlive(process.pid) // true
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove stale temporary outputs of rpdvt next to `out`: entries of its folder named like
 * {@link tempSibling} names them, owned by this user, whose writer PID is not alive (a run killed
 * before it could clean up; they may hold key material). PID-less legacy temps are removed only
 * for `out`'s own name. Returns the removed paths with the dead PID (null for legacy names).
 *
 * @example
 * for (const t of await removeStaleTemps("/out/cluster"))
 *   process.stderr.write(`Removed stale temporary output ${t.path}\n`);
 */
export async function removeStaleTemps(
  out: string,
): Promise<{ path: string; pid: number | null }[]> {
  const abs = resolve(out);
  const dir = dirname(abs);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: { path: string; pid: number | null }[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    const legacy = m ? null : LEGACY_TEMP_NAME.exec(name);
    if (!m && !(legacy && legacy[1] === basename(abs))) continue;
    const pid = m ? Number(m[2]) : null;
    if (pid !== null && (pid === process.pid || isProcessAlive(pid))) continue;
    const path = join(dir, name);
    const st = await fsp.lstat(path).catch(() => null);
    if (st === null || (uid !== undefined && st.uid !== uid)) continue;
    try {
      await fsp.rm(path, { recursive: true, force: true });
    } catch (err) {
      throw new OutputError(`Cannot remove the stale temporary output ${path}`, {
        details: (err as NodeJS.ErrnoException).code,
        metaMessages: [
          "An interrupted rpdvt run left it; it may hold key material. Delete it by hand (rm -r).",
        ],
        cause: err,
      });
    }
    removed.push({ path, pid });
  }
  return removed;
}

/**
 * The line that reports one temporary output removed by {@link removeStaleTemps}.
 *
 * @example
 * describeStaleTemp({ path: "/out/.cluster.tmp-4242-0123456789ab", pid: 4242 })
 * // "Removed the stale temporary output of an interrupted rpdvt run (pid 4242, no longer running): /out/.cluster.tmp-4242-0123456789ab"
 */
export function describeStaleTemp(r: { path: string; pid: number | null }): string {
  return `Removed the stale temporary output of an interrupted rpdvt run${r.pid === null ? "" : ` (pid ${r.pid}, no longer running)`}: ${r.path}`;
}

/**
 * {@link removeStaleTemps}, saying on stderr what was removed (for commands writing key material).
 *
 * @example
 * await cleanStaleTemps(flags.out);
 */
export async function cleanStaleTemps(out: string): Promise<number> {
  const removed = await removeStaleTemps(out);
  for (const r of removed) process.stderr.write(`${describeStaleTemp(r)}\n`);
  return removed.length;
}

/**
 * Write a file atomically (temp file in the same directory, fsync, rename).
 *
 * @example
 * await writeFileAtomic("/out/keystore-0.json", JSON.stringify(ks), { mode: SECRET_FILE_MODE });
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  const tmp = tempSibling(path);
  try {
    const fh = await fsp.open(tmp, "wx", opts.mode ?? SECRET_FILE_MODE);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw describeFsError(err, path);
  }
}

/**
 * Build a directory atomically: `fill` writes into a fresh temporary sibling directory, which is
 * renamed to `path` only when `fill` succeeds. Refuses to replace an existing path, so no earlier
 * output is ever lost.
 *
 * @example
 * await writeDirAtomic("/out/obol", async (dir) => {
 *   await writeFile(join(dir, "keystore-0.json"), json, { mode: 0o600 });
 * });
 */
export async function writeDirAtomic(
  path: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  await assertAbsent(path);
  const tmp = tempSibling(path);
  try {
    await fsp.mkdir(tmp, { mode: SECRET_DIR_MODE });
  } catch (err) {
    throw describeFsError(err, path);
  }
  try {
    await fill(tmp);
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (err instanceof OutputError || !(err as NodeJS.ErrnoException)?.code) throw err;
    throw describeFsError(err, path);
  }
}

/**
 * Throw a clear error if `path` already exists (outputs are never overwritten).
 *
 * @example
 * await assertAbsent("/out/keyshares.json");
 */
export async function assertAbsent(path: string): Promise<void> {
  const st = await fsp.lstat(path).catch(() => null);
  if (st === null) return;
  if (st.isSymbolicLink() && !(await pathExists(path))) {
    throw new OutputError(`Output ${path} is a symbolic link to a missing target`, {
      metaMessages: [
        "rpdvt never writes through or replaces a link at the output path: remove the link or choose another --out.",
      ],
    });
  }
  throw new OutputError(`Output ${path} already exists`, {
    metaMessages: [
      "rpdvt never overwrites keys or shares: choose a new --out path or move the old one away.",
    ],
  });
}

/**
 * Check that a new output can be created at `path`: it is absent (no file, folder or link, even
 * dangling) and its parent is an existing, writable folder. Call before any slow work.
 *
 * @example
 * await assertCanCreate("/out/cluster", "--out");
 */
export async function assertCanCreate(path: string, flag = "--out"): Promise<void> {
  await assertAbsent(path);
  const parent = dirname(resolve(path));
  const st = await fsp.stat(parent).catch(() => null);
  if (st === null || !st.isDirectory()) {
    throw new InputError(`${flag}: the folder ${parent} does not exist`, {
      field: flag,
      metaMessages: [`Create it first (mkdir -p ${parent}) or choose another ${flag}.`],
    });
  }
  try {
    await fsp.access(parent, constants.W_OK);
  } catch {
    throw new InputError(`${flag}: the folder ${parent} is not writable`, {
      field: flag,
      metaMessages: [`Fix its permissions or choose another ${flag}.`],
    });
  }
}

/**
 * True when `path` exists (file, folder or anything else the process may see).
 *
 * @example
 * if (!(await pathExists("/data/wallet"))) return undefined;
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Write a secret file (0600) inside a directory being built by {@link writeDirAtomic}.
 *
 * @example
 * await writeSecretFile(join(dir, "keystore-0.txt"), password);
 */
export async function writeSecretFile(path: string, data: string | Uint8Array): Promise<void> {
  await fsp.writeFile(path, data, { mode: SECRET_FILE_MODE, flag: "wx" });
}
