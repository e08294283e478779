/**
 * Quarantine: take migrated validators' keys out of every place a Smartnode validator client can
 * load them from, without deleting anything.
 *
 * Places (src/rocketpool/layout.ts, from rocket-pool/smartnode shared/services/wallet/keystore/*):
 * - lighthouse / lodestar / nimbus: `validators/<client>/validators/0x<pk>/` (whole folder) and
 *   `validators/<client>/secrets/0x<pk>`;
 * - teku: `validators/teku/keys/0x<pk>.json` (+ `.lock`) and `validators/teku/passwords/0x<pk>.txt`;
 * - imported keys: their keystore in `custom-keys/` (the Smartnode re-imports these into every
 *   client layout on `wallet recover`/`rebuild`);
 * - Prysm's single store: rewritten without the keys (./prysm.ts);
 * - Lighthouse's validator_definitions.yml: entries removed (./lighthouse.ts).
 *
 * Layout of a migration's folder `data/rpdvt-quarantine/<migration-id>/`:
 *   snapshot/            byte-for-byte copies of every item, taken BEFORE anything changes,
 *   snapshot/manifest.json  the items, and every file's original path, size, mode and sha256;
 *   moved/<rel>          the originals, moved here by rename (same filesystem: atomic);
 *   displaced/<rel>.N    whatever rollback found in the way (e.g. keys recreated by a rebuild).
 * The snapshot folder is written atomically (temp + rename), so it is either complete or absent.
 * Every step is idempotent: re-running it after a crash finishes the job.
 */
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { OutputError, VerificationError } from "../../errors.js";
import { PER_KEY_LAYOUTS, PRYSM, pubkeyName } from "../../rocketpool/layout.js";
import { scanKeystores } from "../../rocketpool/scan.js";
import { pathExists, SECRET_DIR_MODE, writeDirAtomic, writeFileAtomic } from "../../util/fs.js";
import { crashPoint, fsyncDir, type Journal } from "../journal.js";
import { definitionPubkeys, definitionsWithout, LIGHTHOUSE_DEFINITIONS } from "./lighthouse.js";
import { openPrysmStoreText, prysmStoreWithout } from "./prysm.js";

/** Name of the folder, inside the Smartnode data folder, that holds every migration. */
export const QUARANTINE_DIR = "rpdvt-quarantine";
export const SNAPSHOT_DIR = "snapshot";
export const MOVED_DIR = "moved";
export const DISPLACED_DIR = "displaced";
export const MANIFEST_FILE = "manifest.json";

/** Something to quarantine: a file/folder to move, or a shared file to rewrite. */
export type QuarantineItem =
  | { kind: "path"; rel: string; pubkey: string; origin: string }
  | { kind: "prysm-store"; rel: string; pubkeys: string[] }
  | { kind: "lighthouse-definitions"; rel: string; pubkeys: string[] };

/** One file as it was before the migration. */
export type ManifestFile = { rel: string; sha256: string; size: number; mode: number };

/** snapshot/manifest.json. */
export type Manifest = {
  version: 1;
  migrationId: string;
  createdAt: string;
  /** Migrated validators: lowercase hex, no 0x. */
  pubkeys: string[];
  items: QuarantineItem[];
  files: ManifestFile[];
};

/** What apply or rollback did, per relative path. */
export type QuarantineReport = { action: string; rel: string; detail?: string }[];

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Every regular file under `abs` (itself if it is a file), as paths relative to `root`. */
async function listFiles(root: string, abs: string): Promise<string[]> {
  const st = await fsp.lstat(abs).catch(() => undefined);
  if (!st) return [];
  if (st.isFile()) return [relative(root, abs)];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  for (const name of (await fsp.readdir(abs)).sort())
    out.push(...(await listFiles(root, join(abs, name))));
  return out;
}

async function hashFiles(root: string, rels: string[]): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  for (const rel of rels) {
    const abs = join(root, rel);
    const [data, st] = await Promise.all([fsp.readFile(abs), fsp.stat(abs)]);
    out.push({ rel, sha256: sha256(data), size: data.length, mode: st.mode & 0o7777 });
  }
  return out;
}

/**
 * Where each of `pubkeys` (lowercase hex, no 0x) can still be loaded from in a Smartnode data
 * folder: per-key layouts, custom-keys, Prysm's store (decrypted), Lighthouse definitions.
 *
 * @example
 * const left = await findKeysInSmartnode(dataDir, ["93ab…"]); // Map { "93ab…" => ["validators/teku/keys/0x93ab….json"] }
 */
export async function findKeysInSmartnode(
  dataDir: string,
  pubkeys: readonly string[],
): Promise<Map<string, string[]>> {
  const want = new Set(pubkeys.map((p) => p.replace(/^0x/, "").toLowerCase()));
  const found = new Map<string, string[]>();
  const add = (hex: string, where: string) => {
    if (!want.has(hex)) return;
    found.set(hex, [...(found.get(hex) ?? []), where]);
  };
  const scan = await scanKeystores(dataDir);
  for (const ks of scan.keystores) add(ks.pubkey, ks.rel);
  for (const h of await prysmStoreHexes(dataDir)) add(h, PRYSM.keystore);
  const defs = join(dataDir, LIGHTHOUSE_DEFINITIONS);
  if (await pathExists(defs)) {
    for (const d of definitionPubkeys(await fsp.readFile(defs, "utf8"), defs)) {
      add(d.hex, `${LIGHTHOUSE_DEFINITIONS} (${d.enabled ? "enabled" : "disabled"} entry)`);
    }
  }
  return found;
}

/** The public keys (lowercase hex) in the Smartnode's Prysm store; none when there is no store. */
async function prysmStoreHexes(dataDir: string): Promise<string[]> {
  const prysmFile = join(dataDir, PRYSM.keystore);
  if (!(await pathExists(prysmFile))) return [];
  const text = await fsp.readFile(prysmFile, "utf8");
  return (await openPrysmStoreText(dataDir, text, prysmFile)).hexes;
}

/**
 * List what has to be quarantined for `pubkeys` (lowercase hex, no 0x). Reads, changes nothing.
 *
 * @example
 * const items = await planQuarantine("/home/me/.rocketpool/data", ["93ab…"]);
 */
export async function planQuarantine(
  dataDir: string,
  pubkeys: readonly string[],
): Promise<QuarantineItem[]> {
  const items: QuarantineItem[] = [];
  const want = new Set(pubkeys);
  for (const hex of pubkeys) {
    const name = pubkeyName(hex);
    for (const layout of PER_KEY_LAYOUTS) {
      const ks = layout.keystore(name);
      const paths =
        layout.client === "teku"
          ? [ks, `${ks}.lock`, layout.password(name)]
          : [dirname(ks), layout.password(name)];
      for (const rel of paths) {
        if (await pathExists(join(dataDir, rel)))
          items.push({ kind: "path", rel, pubkey: hex, origin: layout.client });
      }
    }
  }
  const scan = await scanKeystores(dataDir);
  for (const ks of scan.keystores) {
    if (ks.origin === "custom-keys" && want.has(ks.pubkey)) {
      items.push({ kind: "path", rel: ks.rel, pubkey: ks.pubkey, origin: "custom-keys" });
    }
  }
  const hit = (await prysmStoreHexes(dataDir)).filter((h) => want.has(h));
  if (hit.length) items.push({ kind: "prysm-store", rel: PRYSM.keystore, pubkeys: hit });
  const defs = join(dataDir, LIGHTHOUSE_DEFINITIONS);
  if (await pathExists(defs)) {
    const hit = definitionPubkeys(await fsp.readFile(defs, "utf8"), defs)
      .map((d) => d.hex)
      .filter((h) => want.has(h));
    if (hit.length)
      items.push({ kind: "lighthouse-definitions", rel: LIGHTHOUSE_DEFINITIONS, pubkeys: hit });
  }
  return items;
}

/**
 * Copy every item byte-for-byte into `<qdir>/snapshot/` with a manifest (atomic: the folder
 * appears complete or not at all). Idempotent: an existing snapshot is read back, not redone.
 *
 * @example
 * const manifest = await snapshotQuarantine(dataDir, qdir, items, { migrationId, pubkeys });
 */
export async function snapshotQuarantine(
  dataDir: string,
  qdir: string,
  items: readonly QuarantineItem[],
  meta: { migrationId: string; pubkeys: string[] },
): Promise<Manifest> {
  const snap = join(qdir, SNAPSHOT_DIR);
  if (await pathExists(snap)) return readManifest(qdir);
  const rels: string[] = [];
  for (const it of items) rels.push(...(await listFiles(dataDir, join(dataDir, it.rel))));
  const files = await hashFiles(dataDir, rels);
  const manifest: Manifest = {
    version: 1,
    migrationId: meta.migrationId,
    createdAt: new Date().toISOString(),
    pubkeys: meta.pubkeys,
    items: [...items],
    files,
  };
  await writeDirAtomic(snap, async (tmp) => {
    for (const f of files) {
      const dest = join(tmp, f.rel);
      await fsp.mkdir(dirname(dest), { recursive: true, mode: SECRET_DIR_MODE });
      const data = await fsp.readFile(join(dataDir, f.rel));
      if (sha256(data) !== f.sha256) {
        throw new VerificationError(`${f.rel} changed while it was being copied`, {
          metaMessages: ["Stop whatever writes to the Smartnode folder and run the command again."],
        });
      }
      await fsp.writeFile(dest, data, { mode: f.mode, flag: "wx" });
      await fsp.chmod(dest, f.mode);
    }
    await fsp.writeFile(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
      mode: 0o600,
      flag: "wx",
    });
  });
  await fsyncDir(qdir);
  return manifest;
}

/**
 * Read `<qdir>/snapshot/manifest.json`.
 *
 * @example
 * const m = await readManifest(qdir);
 */
export async function readManifest(qdir: string): Promise<Manifest> {
  const file = join(qdir, SNAPSHOT_DIR, MANIFEST_FILE);
  try {
    return JSON.parse(await fsp.readFile(file, "utf8")) as Manifest;
  } catch (err) {
    throw new OutputError("Cannot read the quarantine manifest", {
      cause: err,
      metaMessages: [`File: ${file}`],
    });
  }
}

/** First free `<base>`, `<base>.1`, `<base>.2`, … */
async function freeName(base: string): Promise<string> {
  if (!(await pathExists(base))) return base;
  for (let i = 1; ; i++) if (!(await pathExists(`${base}.${i}`))) return `${base}.${i}`;
}

async function moveInto(dataDir: string, rel: string, destRoot: string): Promise<string> {
  const dest = await freeName(join(destRoot, rel));
  await fsp.mkdir(dirname(dest), { recursive: true, mode: SECRET_DIR_MODE });
  await fsp.rename(join(dataDir, rel), dest);
  await fsyncDir(dirname(dest));
  await fsyncDir(dirname(join(dataDir, rel)));
  return relative(destRoot, dest);
}

/** The latest moved copy of `rel` (`moved/<rel>.N` with the highest N, else `moved/<rel>`). */
async function latestMoved(qdir: string, rel: string): Promise<string | undefined> {
  const base = join(qdir, MOVED_DIR, rel);
  let last: string | undefined;
  if (await pathExists(base)) last = base;
  for (let i = 1; await pathExists(`${base}.${i}`); i++) last = `${base}.${i}`;
  return last;
}

/**
 * Quarantine every item of the manifest (idempotent; resumes after a crash). Each move is
 * journaled (`quarantine` info entries); `RPDVT_TEST_CRASH_AFTER=quarantine:<n>` kills the process
 * after the n-th action. Ends by checking that none of the keys can be loaded any more.
 *
 * @example
 * const report = await applyQuarantine(dataDir, qdir, manifest, journal);
 */
export async function applyQuarantine(
  dataDir: string,
  qdir: string,
  manifest: Manifest,
  journal?: Journal,
): Promise<QuarantineReport> {
  const report: QuarantineReport = [];
  const moved = join(qdir, MOVED_DIR);
  const remove = new Set(manifest.pubkeys);
  let n = 0;
  const note = async (action: string, rel: string, detail?: string) => {
    report.push({ action, rel, ...(detail ? { detail } : {}) });
    await journal?.append("quarantine", "info", { action, rel, ...(detail ? { detail } : {}) });
    crashPoint(`quarantine:${++n}`);
  };
  for (const it of manifest.items) {
    const abs = join(dataDir, it.rel);
    const here = await pathExists(abs);
    if (it.kind === "path") {
      const already = await pathExists(join(moved, it.rel));
      if (here && !already) await note("moved", it.rel, await moveInto(dataDir, it.rel, moved));
      else if (here && already) {
        await note("moved-recreated", it.rel, await moveInto(dataDir, it.rel, moved));
      } else if (!here && !already)
        await note("absent", it.rel, "removed by the validator client (kept in snapshot/)");
      continue;
    }
    // Shared files: move the current version aside, then write it without the migrated keys.
    let source: string | undefined;
    if (here) {
      const text = await fsp.readFile(abs, "utf8");
      const still =
        it.kind === "prysm-store"
          ? (await openPrysmStoreText(dataDir, text, abs)).hexes.some((h) => remove.has(h))
          : definitionPubkeys(text, abs).some((d) => remove.has(d.hex));
      if (!still) continue;
      const dest = await moveInto(dataDir, it.rel, moved);
      await note("moved", it.rel, dest);
      source = join(moved, dest);
    } else {
      source = await latestMoved(qdir, it.rel);
      if (!source) {
        await note("absent", it.rel, "not found (kept in snapshot/)");
        continue;
      }
    }
    const text = await fsp.readFile(source, "utf8");
    const mode = (await fsp.stat(source)).mode & 0o777;
    const rewritten =
      it.kind === "prysm-store"
        ? await prysmStoreWithout(dataDir, await openPrysmStoreText(dataDir, text, source), remove)
        : definitionsWithout(text, remove, source).text;
    await writeFileAtomic(abs, rewritten, { mode });
    await fsyncDir(dirname(abs));
    await note("rewritten", it.rel, `without ${it.pubkeys.length} migrated key(s)`);
  }
  const left = await findKeysInSmartnode(dataDir, manifest.pubkeys);
  if (left.size > 0) {
    throw new VerificationError("Migrated keys are still loadable from the Smartnode folder", {
      metaMessages: [
        ...[...left].map(([hex, where]) => `0x${hex}: ${where.join(", ")}`),
        "Something recreated them (`rocketpool wallet rebuild`, `wallet recover` without -k, `minipool import-key`?). Run the migration again to quarantine them too.",
      ],
    });
  }
  return report;
}

async function filesMatch(
  dataDir: string,
  rel: string,
  expected: ManifestFile[],
): Promise<boolean> {
  const rels = await listFiles(dataDir, join(dataDir, rel));
  if (rels.length !== expected.length) return false;
  const got = await hashFiles(dataDir, rels);
  const want = new Map(expected.map((f) => [f.rel, f]));
  return got.every((g) => want.get(g.rel)?.sha256 === g.sha256 && want.get(g.rel)?.mode === g.mode);
}

async function copyTree(src: string, dest: string): Promise<void> {
  const st = await fsp.stat(src);
  if (st.isDirectory()) {
    await fsp.mkdir(dest, { mode: st.mode & 0o7777 });
    for (const name of await fsp.readdir(src)) await copyTree(join(src, name), join(dest, name));
    await fsp.chmod(dest, st.mode & 0o7777);
  } else {
    await fsp.copyFile(src, dest);
    await fsp.chmod(dest, st.mode & 0o7777);
  }
}

/**
 * Put every quarantined item back exactly as the manifest recorded it (content and mode; verified
 * by sha256). Whatever is in the way is moved to `displaced/`, never deleted. Idempotent.
 *
 * @example
 * const report = await rollbackQuarantine(dataDir, qdir);
 */
export async function rollbackQuarantine(dataDir: string, qdir: string): Promise<QuarantineReport> {
  const manifest = await readManifest(qdir);
  const report: QuarantineReport = [];
  const under = (rel: string) =>
    manifest.files.filter((f) => f.rel === rel || f.rel.startsWith(`${rel}${sep}`));
  for (const it of manifest.items) {
    const expected = under(it.rel);
    const abs = join(dataDir, it.rel);
    if (await pathExists(abs)) {
      if (await filesMatch(dataDir, it.rel, expected)) {
        report.push({ action: "unchanged", rel: it.rel });
        continue;
      }
      const dest = await moveInto(dataDir, it.rel, join(qdir, DISPLACED_DIR));
      report.push({ action: "displaced", rel: it.rel, detail: dest });
    }
    await fsp.mkdir(dirname(abs), { recursive: true, mode: SECRET_DIR_MODE });
    const movedCopy = join(qdir, MOVED_DIR, it.rel);
    if (
      it.kind === "path" &&
      (await pathExists(movedCopy)) &&
      (await filesMatch(join(qdir, MOVED_DIR), it.rel, expected))
    ) {
      await fsp.rename(movedCopy, abs);
      report.push({ action: "restored", rel: it.rel, detail: "moved back" });
    } else {
      const tmp = join(
        dirname(abs),
        `.rpdvt-restore-${Date.now()}-${relative(dataDir, abs).split(sep).pop()}`,
      );
      await copyTree(join(qdir, SNAPSHOT_DIR, it.rel), tmp);
      await fsp.rename(tmp, abs);
      report.push({ action: "restored", rel: it.rel, detail: "copied from snapshot" });
    }
    await fsyncDir(dirname(abs));
  }
  for (const f of manifest.files) {
    const data = await fsp.readFile(join(dataDir, f.rel)).catch(() => undefined);
    const mode = (await fsp.stat(join(dataDir, f.rel)).catch(() => undefined))?.mode;
    if (!data || sha256(data) !== f.sha256 || ((mode ?? 0) & 0o7777) !== f.mode) {
      throw new VerificationError(`Rollback could not restore ${f.rel} exactly`, {
        metaMessages: [
          `The original is kept in ${join(qdir, SNAPSHOT_DIR, f.rel)} (sha256 ${f.sha256}).`,
          "Copy it back by hand, then run `rpdvt doctor`.",
        ],
      });
    }
  }
  return report;
}
