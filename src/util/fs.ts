/**
 * Atomic output: every key, share or database file is written to a temporary sibling and renamed
 * into place, so a crash, a full disk or a bad input never leaves a half-written output. Secrets
 * are mode 0600, directories holding them 0700. Also a plain existence probe for inputs.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import { basename, dirname, join } from "node:path";
import { OutputError } from "../errors.js";

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

function tempSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString("hex")}`);
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
  if (!(await pathExists(path))) return;
  throw new OutputError(`Output ${path} already exists`, {
    metaMessages: [
      "rpdvt never overwrites keys or shares: choose a new --out path or move the old one away.",
    ],
  });
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
