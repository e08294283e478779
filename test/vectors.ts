/**
 * Interop vectors for the tests: files from other public projects (SSV keyshares and operator keys,
 * Rocket Pool rewards-interval files), each pinned in test/vectors.lock.json to its source —
 * repository @ commit : path, byte for byte — and its sha256 (provenance: ../shared/vectors/README.md
 * and ../shared/vectors/rocketpool/README.md, where this workspace keeps a read-only copy).
 *
 * Where a test reads them from, in this order:
 * 1. `RPDVT_VECTORS_DIR` (a folder laid out like the lock's keys), if set;
 * 2. `../shared/vectors` next to the repository, if it exists;
 * 3. the cache (`RPDVT_VECTORS_CACHE`, default `$XDG_CACHE_HOME/rpdvt/vectors` or
 *    `~/.cache/rpdvt/vectors`), filled on demand over HTTPS from
 *    `https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>` (`RPDVT_VECTORS_BASE_URL`
 *    overrides the host, e.g. for a mirror).
 * Every file used is checked against its sha256 wherever it comes from; a file that is missing
 * and cannot be fetched, or whose hash differs, fails the test with one line saying what to
 * provide — never a skip.
 */
import { createHash } from "node:crypto";
import { promises as fsp, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT as REPO_ROOT } from "./support/root.js";

/** The lock file: one entry per vector file. */
export const VECTORS_LOCK_FILE = join(REPO_ROOT, "test", "vectors.lock.json");
/** GitHub's raw-content host: `<base>/<owner>/<repo>/<commit>/<path>` serves a file at a commit. */
export const DEFAULT_VECTORS_BASE_URL = "https://raw.githubusercontent.com";
/** Per-file download timeout (the largest vector is 2.8 MB). */
const FETCH_TIMEOUT_MS = 60_000;

/**
 * One pinned vector file.
 *
 * @example
 * const e: VectorEntry = { repo: "ssvlabs/ssv-dkg", commit: "653210c…", path: "examples/operator1/password", sha256: "ef79…", bytes: 8 };
 */
export type VectorEntry = {
  /** GitHub owner/name. */
  repo: string;
  /** Full 40-hex commit. */
  commit: string;
  /** Path inside the repository at that commit. */
  path: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  bytes: number;
};

/**
 * Where {@link resolveVector} looks and how it fetches (defaults from the environment; tests of
 * the resolver inject their own).
 *
 * @example
 * const o: VectorSources = { sharedDir: "/nowhere", cacheDir: tmp, baseUrl: "http://127.0.0.1:8123" };
 */
export type VectorSources = {
  /** A folder already holding the vectors (RPDVT_VECTORS_DIR, else ../shared/vectors). */
  sharedDir?: string | undefined;
  /** Download cache folder. */
  cacheDir?: string | undefined;
  /** Raw-content base URL. */
  baseUrl?: string | undefined;
  /** The lock's entries (default: test/vectors.lock.json). */
  lock?: Readonly<Record<string, VectorEntry>> | undefined;
  fetch?: typeof fetch | undefined;
};

let lockCache: Record<string, VectorEntry> | undefined;

/**
 * The entries of test/vectors.lock.json, keyed by their name under the vectors folder.
 *
 * @example
 * Object.keys(vectorLock()).includes("ssv/dkg-4.json"); // true
 */
export function vectorLock(): Readonly<Record<string, VectorEntry>> {
  lockCache ??= (
    JSON.parse(readFileSync(VECTORS_LOCK_FILE, "utf8")) as {
      files: Record<string, VectorEntry>;
    }
  ).files;
  return lockCache;
}

/**
 * The URL a vector is fetched from.
 *
 * @example
 * vectorUrl(e); // "https://raw.githubusercontent.com/ssvlabs/ssv-dkg/653210c…/examples/operator1/password"
 */
export function vectorUrl(e: VectorEntry, baseUrl = DEFAULT_VECTORS_BASE_URL): string {
  return `${baseUrl.replace(/\/+$/, "")}/${e.repo}/${e.commit}/${e.path}`;
}

function defaults(o: VectorSources): Required<Omit<VectorSources, "sharedDir">> & {
  sharedDir: string | undefined;
} {
  const env = process.env;
  const cacheHome = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return {
    sharedDir:
      "sharedDir" in o
        ? o.sharedDir
        : env.RPDVT_VECTORS_DIR || join(REPO_ROOT, "..", "shared", "vectors"),
    cacheDir: o.cacheDir ?? (env.RPDVT_VECTORS_CACHE || join(cacheHome, "rpdvt", "vectors")),
    baseUrl: o.baseUrl ?? (env.RPDVT_VECTORS_BASE_URL || DEFAULT_VECTORS_BASE_URL),
    lock: o.lock ?? vectorLock(),
    fetch: o.fetch ?? fetch,
  };
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function isDir(dir: string): Promise<boolean> {
  return fsp.stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** One file: from the shared folder when it exists, else the cache (fetched when missing). */
async function resolveOne(name: string, e: VectorEntry, o: ReturnType<typeof defaults>) {
  const hint = `provide ${name} (sha256 ${e.sha256}, from ${e.repo}@${e.commit.slice(0, 7)}:${e.path}) in ../shared/vectors or RPDVT_VECTORS_DIR, or allow HTTPS to ${new URL(o.baseUrl).host}`;
  if (o.sharedDir && (await isDir(o.sharedDir))) {
    const file = join(o.sharedDir, name);
    const bytes = await readIfExists(file);
    if (!bytes) throw new Error(`Interop vector ${file} is missing: ${hint}`);
    const got = sha256(bytes);
    if (got !== e.sha256)
      throw new Error(
        `Interop vector ${file} has sha256 ${got}, not the pinned ${e.sha256}: ${hint}`,
      );
    return file;
  }
  const file = join(o.cacheDir, name);
  const cached = await readIfExists(file);
  if (cached && sha256(cached) === e.sha256) return file;
  const url = vectorUrl(e, o.baseUrl);
  let bytes: Uint8Array;
  try {
    const r = await o.fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    bytes = new Uint8Array(await r.arrayBuffer());
  } catch (err) {
    const why =
      err instanceof Error
        ? err.cause instanceof Error
          ? err.cause.message
          : err.message
        : String(err);
    throw new Error(
      `Interop vector ${name}: ${o.sharedDir ?? "../shared/vectors"} is absent and ${url} failed (${why}); ${hint}`,
    );
  }
  const got = sha256(bytes);
  if (got !== e.sha256)
    throw new Error(
      `Interop vector ${name} fetched from ${url} has sha256 ${got}, not the pinned ${e.sha256}: ${hint}`,
    );
  await fsp.mkdir(dirname(file), { recursive: true });
  // temp + rename: concurrent test processes may fill the cache at the same time
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await fsp.writeFile(tmp, bytes);
  await fsp.rename(tmp, file);
  return file;
}

/**
 * Make the vector file `name` (a key of test/vectors.lock.json) — or, for a folder name, every
 * file under it — available and checked; resolve to its absolute path (file or folder). Rejects
 * with one line saying what to provide when it cannot.
 *
 * @example
 * const info = await resolveVector("ssv/dkg-operators/operators_info.json");
 * const ops = await resolveVector("ssv/dkg-operators"); // the folder, all 27 files checked
 * // test: await resolveVector("ssv/dkg-4.json", { sharedDir: undefined, cacheDir: tmp, baseUrl: "http://127.0.0.1:8123" });
 */
export async function resolveVector(name: string, sources: VectorSources = {}): Promise<string> {
  const o = defaults(sources);
  const key = name.replace(/\/+$/, "");
  const exact = o.lock[key];
  const entries = exact
    ? [[key, exact] as const]
    : Object.entries(o.lock).filter(([k]) => k.startsWith(`${key}/`));
  if (entries.length === 0)
    throw new Error(
      `No interop vector "${name}" in ${VECTORS_LOCK_FILE}: add its source and sha256 there`,
    );
  const paths = await Promise.all(entries.map(([k, e]) => resolveOne(k, e, o)));
  if (exact) return paths[0] as string;
  // a folder: every file resolved from the same root (shared folder or cache)
  const first = paths[0] as string;
  return first.slice(0, first.length - (entries[0]?.[0].length ?? 0)) + key;
}

const memo = new Map<string, Promise<string>>();

/**
 * {@link resolveVector} with the environment's sources, once per name and process: the path of a
 * vector file or folder, e.g. `await vectorPath("rocketpool/rp-rewards-mainnet-20.json")`.
 *
 * @example
 * const tree = JSON.parse(await readFile(await vectorPath("rocketpool/rp-rewards-mainnet-20.json"), "utf8"));
 */
export function vectorPath(name: string): Promise<string> {
  let p = memo.get(name);
  if (!p) {
    p = resolveVector(name);
    memo.set(name, p);
  }
  return p;
}
