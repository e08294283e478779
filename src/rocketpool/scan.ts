/**
 * Find every validator keystore in a Smartnode data folder without decrypting anything: the four
 * per-key client layouts (lighthouse, lodestar, nimbus, teku), Prysm's single account store, and
 * imported keys in `custom-keys/`. Layout and formats: see ./layout.ts and ./formats.ts.
 *
 * Files that do not look like a validator entry (Lighthouse's validator_definitions.yml, slashing
 * protection databases, …) are ignored; a malformed keystore is an InputError naming the file.
 */
import { promises as fsp, type Stats } from "node:fs";
import { join, relative } from "node:path";
import type { KeystoreCrypto } from "../crypto/eip2335.js";
import { InputError } from "../errors.js";
import { mapConcurrent } from "../util/concurrency.js";
import { isAccessDenied, readInputFile, readJsonFile } from "../util/json-file.js";
import { parseWith } from "../util/schema.js";
import {
  type ClientKeystore,
  type CustomKeystore,
  clientKeystoreSchema,
  customKeystoreSchema,
  parseCustomKeyPasswords,
  prysmKeystoreSchema,
} from "./formats.js";
import {
  type ClientName,
  CUSTOM_KEY_PASSWORDS_FILE,
  CUSTOM_KEYS_DIR,
  PER_KEY_LAYOUTS,
  type PerKeyLayout,
  PRYSM,
  ROOT_OWNED_HINT,
  smartnodeFile,
} from "./layout.js";

/** One keystore file found on disk. */
export type FoundKeystore = {
  /** Where it was found. */
  origin: ClientName | "custom-keys";
  /** Absolute path of the keystore JSON. */
  file: string;
  /** Path relative to the data folder (for messages). */
  rel: string;
  /** Lowercase hex pubkey the keystore is filed under (directory/file name); for custom keys, its `pubkey` field. */
  pubkey: string;
  /** Lowercase hex of the keystore's own `pubkey` field. */
  declaredPubkey: string;
  /** The keystore's `path` field ("" when absent). */
  path: string;
  crypto: KeystoreCrypto;
  /** Absolute path of its password file, when one exists (custom keys: the YAML password file). */
  passwordFile: string | undefined;
};

/** Prysm's all-accounts keystore, if present. */
export type FoundPrysmStore = {
  file: string;
  rel: string;
  crypto: KeystoreCrypto;
  passwordFile: string;
};

export type ScanResult = {
  keystores: FoundKeystore[];
  prysm: FoundPrysmStore | undefined;
  /** Lazily loaded `custom-key-passwords` (lowercase hex → password), undefined if the file is absent. */
  customKeyPasswords: () => Promise<Map<string, string> | undefined>;
  warnings: string[];
};

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw new InputError("Cannot list folder", {
      file: dir,
      cause: err,
      metaMessages: isAccessDenied(err) ? [ROOT_OWNED_HINT] : undefined,
    });
  }
}

/**
 * True when `path` exists, false when it (or a folder on the way) does not; any other failure
 * (EACCES on a folder on the way, …) is an InputError naming it — never read as "missing".
 */
async function present(path: string, what: string): Promise<boolean> {
  return (await statIfPresent(path, what)) !== undefined;
}

/** {@link present}, returning the stat. */
async function statIfPresent(path: string, what: string): Promise<Stats | undefined> {
  try {
    return await fsp.stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new InputError(`Cannot read ${what}`, {
      file: path,
      cause: err,
      metaMessages: isAccessDenied(err) ? [ROOT_OWNED_HINT] : undefined,
    });
  }
}

/** Keystore files read at once while scanning (I/O-bound; bounded to keep file handles low). */
const SCAN_CONCURRENCY = 32;

/** One listing entry of a client layout's folder, read: its warnings, its keystore if any. */
async function scanLayoutEntry(
  dataDir: string,
  layout: PerKeyLayout,
  entry: string,
): Promise<{ warnings: string[]; keystore?: FoundKeystore }> {
  const out: { warnings: string[]; keystore?: FoundKeystore } = { warnings: [] };
  const { warnings } = out; // this entry's warnings, merged in listing order by the caller
  const m = layout.entry.exec(entry);
  if (!m?.[1]) return out;
  const pubkey = m[1].toLowerCase();
  const name = `0x${m[1]}`;
  const rel = layout.keystore(name);
  const file = join(dataDir, rel);
  if (!(await present(file, `${layout.client} keystore`))) {
    warnings.push(
      `${layout.client}: ${join(dataDir, layout.listDir, entry)} has no keystore (${rel} missing)`,
    );
    return out;
  }
  const ks: ClientKeystore = parseWith(
    clientKeystoreSchema,
    await readJsonFile(file, smartnodeFile(`${layout.client} keystore`)),
    `Not a valid ${layout.client} validator keystore`,
    file,
  );
  const passwordFile = join(dataDir, layout.password(name));
  const hasPassword = await present(passwordFile, `${layout.client} keystore password file`);
  if (!hasPassword)
    warnings.push(
      `${layout.client}: keystore ${rel} has no password file (${layout.password(name)} missing)`,
    );
  if (ks.pubkey !== pubkey) {
    warnings.push(
      `Mismatch: ${rel} is filed under 0x${pubkey} but its "pubkey" field says 0x${ks.pubkey}`,
    );
  }
  out.keystore = {
    origin: layout.client,
    file,
    rel,
    pubkey,
    declaredPubkey: ks.pubkey,
    path: ks.path,
    crypto: ks.crypto,
    passwordFile: hasPassword ? passwordFile : undefined,
  };
  return out;
}

/**
 * The keystores of every per-key client layout. Per-entry reads are independent and I/O-bound:
 * they run concurrently, then are merged in listing order so warnings and keystores come out as a
 * sequential scan would list them.
 */
async function scanClientLayouts(dataDir: string, warnings: string[]): Promise<FoundKeystore[]> {
  const jobs = (
    await Promise.all(
      PER_KEY_LAYOUTS.map(async (layout) =>
        (await listDir(join(dataDir, layout.listDir))).map((entry) => ({ layout, entry })),
      ),
    )
  ).flat();
  const scanned = await mapConcurrent(jobs, SCAN_CONCURRENCY, ({ layout, entry }) =>
    scanLayoutEntry(dataDir, layout, entry),
  );
  const keystores: FoundKeystore[] = [];
  for (const r of scanned) {
    warnings.push(...r.warnings);
    if (r.keystore) keystores.push(r.keystore);
  }
  return keystores;
}

/** Prysm's all-accounts keystore, when there is one. */
async function scanPrysmStore(dataDir: string): Promise<FoundPrysmStore | undefined> {
  const prysmFile = join(dataDir, PRYSM.keystore);
  if (!(await present(prysmFile, "Prysm account store"))) return undefined;
  const ks = parseWith(
    prysmKeystoreSchema,
    await readJsonFile(prysmFile, smartnodeFile("Prysm account store")),
    "Not a valid Prysm account keystore",
    prysmFile,
  );
  return {
    file: prysmFile,
    rel: PRYSM.keystore,
    crypto: ks.crypto,
    passwordFile: join(dataDir, PRYSM.password),
  };
}

/** custom-keys/: every regular file is a keystore (the Smartnode reads them all as JSON). */
async function scanCustomKeys(dataDir: string): Promise<FoundKeystore[]> {
  const customDir = join(dataDir, CUSTOM_KEYS_DIR);
  const seenCustom = new Map<string, string>();
  const passwordsFile = join(dataDir, CUSTOM_KEY_PASSWORDS_FILE);
  const keystores: FoundKeystore[] = [];
  for (const entry of await listDir(customDir)) {
    if (entry.startsWith(".")) continue;
    const file = join(customDir, entry);
    const st = await statIfPresent(file, "custom key keystore");
    if (!st?.isFile()) continue;
    const ks: CustomKeystore = parseWith(
      customKeystoreSchema,
      await readJsonFile(file, smartnodeFile("custom key keystore")),
      "Not a valid EIP-2335 keystore in custom-keys",
      file,
    );
    const prev = seenCustom.get(ks.pubkey);
    if (prev !== undefined) {
      throw new InputError(`Validator 0x${ks.pubkey} appears twice in custom-keys`, {
        file,
        field: "pubkey",
        metaMessages: [
          `Also in: ${prev}`,
          "Keep one keystore per validator in custom-keys and remove the other.",
        ],
      });
    }
    seenCustom.set(ks.pubkey, file);
    keystores.push({
      origin: "custom-keys",
      file,
      rel: relative(dataDir, file),
      pubkey: ks.pubkey,
      declaredPubkey: ks.pubkey,
      path: ks.path ?? "",
      crypto: ks.crypto,
      passwordFile: passwordsFile,
    });
  }
  return keystores;
}

/** `custom-key-passwords`, read once on first use (undefined when the file is absent). */
function lazyCustomKeyPasswords(dataDir: string): ScanResult["customKeyPasswords"] {
  const passwordsFile = join(dataDir, CUSTOM_KEY_PASSWORDS_FILE);
  let passwordsCache: Promise<Map<string, string> | undefined> | undefined;
  return () => {
    passwordsCache ??= (async () => {
      if (!(await present(passwordsFile, "custom key password file"))) return undefined;
      const text = (
        await readInputFile(passwordsFile, smartnodeFile("custom key password file"))
      ).toString("utf8");
      return parseCustomKeyPasswords(text, passwordsFile);
    })();
    return passwordsCache;
  };
}

/**
 * Scan a data folder (already resolved to `…/data`) for keystores: the client layouts, Prysm's
 * store, custom-keys.
 *
 * @example
 * const { keystores, prysm, warnings } = await scanKeystores("/home/me/.rocketpool/data");
 */
export async function scanKeystores(dataDir: string): Promise<ScanResult> {
  const warnings: string[] = [];
  const keystores = await scanClientLayouts(dataDir, warnings);
  const prysm = await scanPrysmStore(dataDir);
  keystores.push(...(await scanCustomKeys(dataDir)));
  return { keystores, prysm, customKeyPasswords: lazyCustomKeyPasswords(dataDir), warnings };
}
