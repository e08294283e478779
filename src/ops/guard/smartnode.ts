/**
 * The key guard's look at a Smartnode data folder (issue 16 part 2): which cluster validators'
 * keys can be loaded again by a Smartnode validator client — the same places, and the same
 * relative paths in its answer, as src/ops/quarantine/quarantine.ts `findKeysInSmartnode` (the
 * migration's final check), but cheap enough to run every slot for thousands of validators:
 *
 * - the four per-key layouts (lighthouse, lodestar, nimbus, teku; src/rocketpool/layout.ts, from
 *   rocket-pool/smartnode shared/services/wallet/keystore/*): the keystore is filed under
 *   `0x<pubkey>`, so a directory LISTING matched against the cluster's pubkey set finds it; only a
 *   matching entry is stat-ed (its keystore file must exist to be loadable) — nothing is parsed;
 * - `custom-keys/` (names are not pubkeys; the Smartnode re-imports them on `wallet rebuild` /
 *   `recover`): each file is parsed once and remembered by (inode, size, mtime);
 * - Prysm's single store (`validators/prysm-non-hd/direct/accounts/all-accounts.keystore.json`,
 *   encrypted: ./../quarantine/prysm.ts decrypts it) and Lighthouse's
 *   `validators/lighthouse/validator_definitions.yml` (./../quarantine/lighthouse.ts): re-read
 *   only when their (inode, size, mtime) changed.
 *
 * `watch` adds folder watches (./watch.ts) on those places: a trigger for a look within
 * milliseconds of a change; the per-slot look stays the ground truth.
 *
 * A file that cannot be read or parsed is not a finding but a warning (returned, for the log):
 * the guard never releases a validator on a failed look (./guard.ts).
 */
import { promises as fsp, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { customKeystoreSchema } from "../../rocketpool/formats.js";
import {
  CUSTOM_KEYS_DIR,
  PER_KEY_LAYOUTS,
  PRYSM,
  pubkeyName,
  smartnodeFile,
} from "../../rocketpool/layout.js";
import { mapConcurrent } from "../../util/concurrency.js";
import { readJsonFile } from "../../util/json-file.js";
import { parseWith } from "../../util/schema.js";
import { definitionPubkeys, LIGHTHOUSE_DEFINITIONS } from "../quarantine/lighthouse.js";
import { openPrysmStoreText } from "../quarantine/prysm.js";
import { type FolderWatch, watchFolders } from "./watch.js";

/**
 * What one look found: lowercase hex pubkey (no 0x) → where it can be loaded from (relative to
 * the data folder, or a URL for the keymanager source), plus warnings about what could not be read.
 *
 * @example
 * const r: KeyFindings = { found: new Map([["93ab…", ["validators/teku/keys/0x93ab….json"]]]), warnings: [] };
 */
export type KeyFindings = { found: Map<string, string[]>; warnings: string[] };

/**
 * A place the guard looks for cluster keys (a Smartnode data folder, a VC's keymanager API).
 *
 * @example
 * const src: KeySource = createSmartnodeSource("/home/me/.rocketpool/data");
 * const { found } = await src.find(new Set(["93ab…"]));
 */
export interface KeySource {
  /** Human name for logs: the folder or URL (never a secret). */
  readonly name: string;
  /** Look for `pubkeys` (lowercase hex, no 0x). Never throws: failures are warnings. */
  find(pubkeys: ReadonlySet<string>): Promise<KeyFindings>;
  /**
   * Call `onChange` soon after something changed where keys appear (a trigger for an early look;
   * `find` stays the ground truth). Returns the function that stops watching. Absent: poll only.
   */
  watch?(onChange: () => void): () => void;
}

/** Keystore files stat-ed at once (I/O-bound; bounded to keep file handles low). */
const STAT_CONCURRENCY = 32;

/** A parsed file remembered by identity: re-read only when inode, size or mtime changed. */
type Cached<T> = { ino: number; size: number; mtimeMs: number; value: T };

const same = (c: Cached<unknown> | undefined, st: Stats): boolean =>
  c !== undefined && c.ino === st.ino && c.size === st.size && c.mtimeMs === st.mtimeMs;

/** An error's message (file paths, no content: the readers never quote a keystore). */
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Folder entries; a missing folder is empty. */
async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
}

/** stat, undefined when absent. */
async function statIfAny(file: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** The parse caches a Smartnode source keeps across looks. */
type SourceCache = {
  custom: Map<string, Cached<string | undefined>>;
  prysm?: Cached<string[]> | undefined;
  defs?: Cached<{ hex: string; enabled: boolean }[]> | undefined;
};

/** The four per-key layouts: a listing matched against `want`, then a stat per match. */
async function perKeyLayouts(
  dataDir: string,
  want: ReadonlySet<string>,
  out: KeyFindings,
): Promise<void> {
  await Promise.all(
    PER_KEY_LAYOUTS.map(async (layout) => {
      let entries: string[];
      try {
        entries = await listDir(join(dataDir, layout.listDir));
      } catch (err) {
        out.warnings.push(`cannot list ${layout.listDir}: ${messageOf(err)}`);
        return;
      }
      const hits: { hex: string; rel: string; listed: boolean }[] = [];
      for (const entry of entries) {
        const hex = layout.entry.exec(entry)?.[1]?.toLowerCase();
        if (!hex || !want.has(hex)) continue;
        const rel = layout.keystore(pubkeyName(hex));
        // Teku: the listed entry is the keystore file itself; the others list a folder.
        hits.push({ hex, rel, listed: rel === join(layout.listDir, entry) });
      }
      await mapConcurrent(hits, STAT_CONCURRENCY, async ({ hex, rel, listed }) => {
        try {
          if (listed || (await statIfAny(join(dataDir, rel)))) add(out, hex, rel);
        } catch (err) {
          out.warnings.push(`cannot read ${rel}: ${messageOf(err)}`);
        }
      });
    }),
  );
}

/** The pubkey of one custom-keys file, parsed again only when it changed (undefined: not a file). */
async function customKeyPubkey(
  dataDir: string,
  rel: string,
  cache: SourceCache,
): Promise<string | undefined> {
  const st = await statIfAny(join(dataDir, rel));
  if (!st?.isFile()) return undefined;
  let c = cache.custom.get(rel);
  if (!same(c, st)) {
    c = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, value: undefined };
    cache.custom.set(rel, c);
    const ks = parseWith(
      customKeystoreSchema,
      await readJsonFile(join(dataDir, rel), smartnodeFile("custom key keystore")),
      "Not a valid EIP-2335 keystore in custom-keys",
      join(dataDir, rel),
    );
    c.value = ks.pubkey;
  }
  return c?.value;
}

/** custom-keys/: every file's pubkey (cached by identity); forgotten files leave the cache. */
async function customKeys(
  dataDir: string,
  cache: SourceCache,
  want: ReadonlySet<string>,
  out: KeyFindings,
): Promise<void> {
  let entries: string[];
  try {
    entries = await listDir(join(dataDir, CUSTOM_KEYS_DIR));
  } catch (err) {
    out.warnings.push(`cannot list ${CUSTOM_KEYS_DIR}: ${messageOf(err)}`);
    return;
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.startsWith(".")) continue;
    const rel = join(CUSTOM_KEYS_DIR, entry);
    seen.add(rel);
    try {
      const hex = await customKeyPubkey(dataDir, rel, cache);
      if (hex && want.has(hex)) add(out, hex, rel);
    } catch (err) {
      out.warnings.push(`cannot read ${rel}: ${messageOf(err)}`);
    }
  }
  for (const rel of cache.custom.keys()) if (!seen.has(rel)) cache.custom.delete(rel);
}

/**
 * `file` parsed, from `cached` while it is the same file (inode, size, mtime), else read and parsed
 * again; undefined when the file is absent.
 */
async function reread<T>(
  file: string,
  cached: Cached<T> | undefined,
  parse: (text: string) => T | Promise<T>,
): Promise<Cached<T> | undefined> {
  const st = await statIfAny(file);
  if (!st) return undefined;
  if (same(cached, st)) return cached;
  const value = await parse(await fsp.readFile(file, "utf8"));
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, value };
}

/** Prysm's single encrypted store, decrypted again only when it changed. */
async function prysmStore(
  dataDir: string,
  cache: SourceCache,
  want: ReadonlySet<string>,
  out: KeyFindings,
): Promise<void> {
  const file = join(dataDir, PRYSM.keystore);
  try {
    cache.prysm = await reread(
      file,
      cache.prysm,
      async (text) => (await openPrysmStoreText(dataDir, text, file)).hexes,
    );
    for (const hex of cache.prysm?.value ?? []) if (want.has(hex)) add(out, hex, PRYSM.keystore);
  } catch (err) {
    cache.prysm = undefined;
    out.warnings.push(`cannot open ${PRYSM.keystore}: ${messageOf(err)}`);
  }
}

/** Lighthouse's validator_definitions.yml, parsed again only when it changed. */
async function lighthouseDefinitions(
  dataDir: string,
  cache: SourceCache,
  want: ReadonlySet<string>,
  out: KeyFindings,
): Promise<void> {
  const file = join(dataDir, LIGHTHOUSE_DEFINITIONS);
  try {
    cache.defs = await reread(file, cache.defs, (text) => definitionPubkeys(text, file));
    for (const d of cache.defs?.value ?? []) {
      if (!want.has(d.hex)) continue;
      add(out, d.hex, `${LIGHTHOUSE_DEFINITIONS} (${d.enabled ? "enabled" : "disabled"} entry)`);
    }
  } catch (err) {
    cache.defs = undefined;
    out.warnings.push(`cannot read ${LIGHTHOUSE_DEFINITIONS}: ${messageOf(err)}`);
  }
}

/**
 * The folders a recreated keystore appears in (relative to the data folder): what
 * {@link createSmartnodeSource}'s `watch` watches (./watch.ts adds their ancestors).
 *
 * @example
 * SMARTNODE_WATCH_DIRS // ["validators/lighthouse/validators", …, "custom-keys", "validators/prysm-non-hd/direct/accounts"]
 */
export const SMARTNODE_WATCH_DIRS: readonly string[] = [
  ...PER_KEY_LAYOUTS.map((l) => l.listDir),
  CUSTOM_KEYS_DIR,
  dirname(PRYSM.keystore),
  dirname(LIGHTHOUSE_DEFINITIONS),
];

/**
 * The guard's source over a Smartnode data folder (already resolved to `…/data`, see
 * src/rocketpool/datadir.ts resolveDataDir). Keeps its parse caches across calls; `watch` calls
 * back on a change in {@link SMARTNODE_WATCH_DIRS} (a trigger: ./watch.ts), and every look
 * re-syncs those watches.
 *
 * @example
 * const src = createSmartnodeSource("/home/me/.rocketpool/data");
 * const { found, warnings } = await src.find(new Set(clusterHexes));
 * const stop = src.watch?.(() => void guard.check(epoch));
 */
export function createSmartnodeSource(dataDir: string): KeySource {
  const cache: SourceCache = { custom: new Map() };
  const watches = new Set<FolderWatch>();
  return {
    name: dataDir,
    async find(want) {
      const out: KeyFindings = { found: new Map(), warnings: [] };
      await Promise.all([
        perKeyLayouts(dataDir, want, out),
        customKeys(dataDir, cache, want, out),
        prysmStore(dataDir, cache, want, out),
        lighthouseDefinitions(dataDir, cache, want, out),
      ]);
      for (const [hex, where] of out.found) out.found.set(hex, where.sort());
      for (const w of watches) w.sync();
      return out;
    },
    watch(onChange) {
      const w = watchFolders(dataDir, SMARTNODE_WATCH_DIRS, onChange);
      watches.add(w);
      return () => {
        w.stop();
        watches.delete(w);
      };
    },
  };
}

function add(out: KeyFindings, hex: string, where: string): void {
  const list = out.found.get(hex);
  if (list) list.push(where);
  else out.found.set(hex, [where]);
}
