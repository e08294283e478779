/**
 * Read the validator keys of a Rocket Pool Smartnode data folder (`~/.rocketpool/data`).
 *
 * Where keys come from (see ./layout.ts, ./formats.ts, ./wallet.ts for the primary sources):
 * - "wallet": EIP-2333/2334 `m/12381/3600/{i}/0/0` of the wallet's BIP-39 seed for i in
 *   [0, next_account) — one pbkdf2 for the wallet instead of one scrypt per keystore; these keys are
 *   never decrypted from keystores. Keystores filed under a pubkey the seed yields at an index in
 *   [next_account, next_account+100) are "orphans" (a key was created, the wallet not saved —
 *   the Smartnode's own recovery searches the same window): returned, flagged and warned about.
 * - "custom-keys": keys imported from `custom-keys/` (solo/external keys); decrypted from a client
 *   folder copy when there is one (the Smartnode re-encrypts imported keys into every client
 *   layout), else from `custom-keys/` with the password in `custom-key-passwords`.
 * - "keystore-only": keystores in the client folders that the wallet does not derive (or every key
 *   when there is no wallet file).
 *
 * Cross-checks (no decryption): each keystore's `pubkey` field against the directory/file name it
 * is filed under, its `path` against the wallet index, and wallet accounts with no keystore.
 * Decryptions run concurrently (scrypt on libuv's pool), each keystore at most once, cheapest KDF
 * first. Listing and reading share one scan ({@link listRocketPoolKeys} and
 * {@link readRocketPoolKeys} see the same keys): the wallet (one pbkdf2) and Prysm's single account
 * store (one pbkdf2 for every key; its public keys are encrypted too, so a Prysm-only folder
 * cannot be listed without it) are opened by both; per-key keystores only when reading.
 * A wallet's `next_account` is capped (./wallet.ts MAX_WALLET_ACCOUNTS) and large derivations show
 * progress (src/util/progress.ts).
 */
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import { publicKeyOf } from "../crypto/bls.js";
import { validatorKeyDeriver, validatorKeyPath } from "../crypto/eip2333.js";
import { decryptCrypto, type KeystoreCrypto } from "../crypto/eip2335.js";
import type { ValidatorKey } from "../crypto/validator-key.js";
import { InputError } from "../errors.js";
import { defaultConcurrency, mapConcurrent } from "../util/concurrency.js";
import { pathExists } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import { parseJsonText, readInputFile } from "../util/json-file.js";
import { startProgress } from "../util/progress.js";
import { parseWith } from "../util/schema.js";
import { prysmAccountStoreSchema } from "./formats.js";
import {
  CLIENTS,
  type ClientName,
  CUSTOM_KEY_PASSWORDS_FILE,
  CUSTOM_KEYS_DIR,
  ORPHAN_SEARCH_WINDOW,
  smartnodeFile,
  VALIDATORS_DIR,
  WALLET_FILE,
} from "./layout.js";
import {
  type FoundKeystore,
  type FoundPrysmStore,
  type ScanResult,
  scanKeystores,
} from "./scan.js";
import { loadNodeWallet, type NodeWallet } from "./wallet.js";

/** One validator found in the data folder. */
export type KeyEntry = {
  pubkey: Uint8Array;
  /** Wallet account index, when the wallet derives this key. */
  index?: number;
  source: "wallet" | "custom-keys" | "keystore-only";
  /**
   * Client layouts holding a keystore for it (lighthouse, lodestar, nimbus, teku, prysm). Prysm's
   * store keeps public keys encrypted: "prysm" appears when that store could be opened.
   */
  clients: string[];
  /** EIP-2334 derivation path: the wallet's for wallet keys, else the keystore's `path` field if set. */
  path?: string;
  /** Wallet key at or above `next_account` (a keystore the wallet does not count). */
  orphan?: boolean;
  /** Keystore files found for it, relative to the data folder. */
  files: string[];
};

/** Options shared by {@link listRocketPoolKeys} and {@link readRocketPoolKeys}. */
export type ScanOptions = {
  /** Refuse a wallet whose `next_account` is above this (default ./wallet.ts MAX_WALLET_ACCOUNTS). */
  maxWalletAccounts?: number;
  /** No progress bar on stderr while deriving a large wallet. */
  quiet?: boolean;
};

export type ReadOptions = ScanOptions & {
  /** Only decrypt/return these validators (48-byte pubkeys); each must exist. */
  validators?: Uint8Array[];
  /** Progress over the keys being produced (derived or decrypted). */
  onProgress?: (done: number, total: number) => void;
};

/** Wallets with at least this many accounts get a progress indicator while they are derived. */
export const DERIVE_PROGRESS_MIN = 500;
/** Wallet accounts without a keystore listed one warning each up to this many, then summarised. */
const MISSING_KEYSTORE_DETAIL = 3;

type Entry = {
  hex: string;
  index?: number;
  source: KeyEntry["source"];
  clients: Set<ClientName>;
  path?: string;
  orphan?: boolean;
  keystores: FoundKeystore[];
  files: string[];
};

type Inspection = {
  dataDir: string;
  wallet: NodeWallet | undefined;
  scan: ScanResult;
  entries: Map<string, Entry>;
  derived: Map<string, Uint8Array>;
  /** Secrets from Prysm's account store (empty unless `keepSecrets`). */
  prysmKeys: Map<string, Uint8Array>;
  /** Why Prysm's store could not be opened (a warning was recorded). */
  prysmError: InputError | undefined;
  warnings: string[];
};

async function looksLikeDataDir(dir: string): Promise<boolean> {
  for (const name of [WALLET_FILE, VALIDATORS_DIR, CUSTOM_KEYS_DIR])
    if (await pathExists(join(dir, name))) return true;
  return false;
}

/**
 * Resolve a user-given Smartnode path to its data folder: accepts the root (`~/.rocketpool`) or
 * the `data` folder itself.
 *
 * @example
 * await resolveDataDir("/home/me/.rocketpool") // "/home/me/.rocketpool/data"
 */
export async function resolveDataDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  let st: Awaited<ReturnType<typeof fsp.stat>>;
  try {
    st = await fsp.stat(abs);
  } catch (err) {
    throw new InputError("Smartnode folder not found", { file: abs, cause: err });
  }
  if (!st.isDirectory())
    throw new InputError("Expected the Smartnode folder, got a file", { file: abs });
  if (await looksLikeDataDir(abs)) return abs;
  const data = join(abs, "data");
  if (await looksLikeDataDir(data)) return data;
  throw new InputError("Not a Rocket Pool Smartnode data folder", {
    file: abs,
    metaMessages: [
      "Expected a `wallet` file, a `validators` folder or a `custom-keys` folder in it or in its `data` subfolder.",
      "Pass the Smartnode folder (e.g. ~/.rocketpool) or its data folder (e.g. ~/.rocketpool/data).",
    ],
  });
}

function hexOf(bytes: Uint8Array): string {
  return toHex(bytes, false);
}

/**
 * Compact list of account indices: "0–9, 12, 20–25" (for one summary warning instead of thousands).
 */
function indexRanges(indices: number[], max = 8): string {
  const ranges: string[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i;
    while (j + 1 < indices.length && (indices[j + 1] as number) === (indices[j] as number) + 1) j++;
    ranges.push(i === j ? `${indices[i]}` : `${indices[i]}–${indices[j]}`);
    i = j + 1;
  }
  return ranges.length > max
    ? `${ranges.slice(0, max).join(", ")} and ${ranges.length - max} more range(s)`
    : ranges.join(", ");
}

/** Add wallet account `index`'s key to the inspection (its secret kept only if `keepSecrets`). */
function addDerived(
  st: Inspection,
  derive: (index: number) => Uint8Array,
  keepSecrets: boolean,
  index: number,
  orphan: boolean,
): string {
  const path = validatorKeyPath(index);
  const secret = derive(index);
  const hex = hexOf(publicKeyOf(secret));
  if (keepSecrets) st.derived.set(hex, secret);
  else secret.fill(0);
  if (!st.entries.has(hex)) {
    st.entries.set(hex, {
      hex,
      index,
      source: "wallet",
      clients: new Set(),
      path,
      keystores: [],
      files: [],
      ...(orphan ? { orphan } : {}),
    });
  }
  return hex;
}

/** Derive accounts 0..next_account−1 (a progress bar for large wallets). */
async function deriveAccounts(
  st: Inspection,
  wallet: NodeWallet,
  derive: (index: number) => Uint8Array,
  keepSecrets: boolean,
  opts: ScanOptions,
): Promise<void> {
  const n = wallet.nextAccount;
  const progress = startProgress("Deriving wallet keys", n >= DERIVE_PROGRESS_MIN ? n : 0, {
    quiet: opts.quiet,
  });
  try {
    for (let i = 0; i < n; i++) {
      addDerived(st, derive, keepSecrets, i, false);
      if (n >= DERIVE_PROGRESS_MIN && i % 100 === 99) {
        progress.tick(100);
        // let a TTY progress bar redraw
        await new Promise<void>((r) => setImmediate(r));
      }
    }
    progress.tick(n % 100);
  } finally {
    progress.stop();
  }
}

/**
 * Keystores no account below next_account derives: look up to ORPHAN_SEARCH_WINDOW accounts past
 * it (as the Smartnode's recovery does); a match is an orphan (warned), the rest are dropped.
 */
function findOrphans(
  st: Inspection,
  wallet: NodeWallet,
  derive: (index: number) => Uint8Array,
  keepSecrets: boolean,
): void {
  const unmatched = new Set(
    st.scan.keystores.map((k) => k.pubkey).filter((h) => !st.entries.has(h)),
  );
  const end = wallet.nextAccount + ORPHAN_SEARCH_WINDOW;
  for (let i = wallet.nextAccount; unmatched.size > 0 && i < end; i++) {
    const hex = addDerived(st, derive, keepSecrets, i, true);
    if (unmatched.delete(hex)) {
      st.warnings.push(
        `Orphan: keystores for 0x${hex} hold wallet account ${i}, at or above the wallet's next_account ${wallet.nextAccount} (a key created without the wallet being saved, or an old wallet file)`,
      );
    } else {
      st.entries.delete(hex);
      st.derived.get(hex)?.fill(0);
      st.derived.delete(hex);
    }
  }
}

/** The entry of `hex`, created as keystore-only when the wallet does not derive it. */
function entryOf(st: Inspection, hex: string): Entry {
  let e = st.entries.get(hex);
  if (!e) {
    e = { hex, source: "keystore-only", clients: new Set(), keystores: [], files: [] };
    st.entries.set(hex, e);
  }
  return e;
}

/** Every keystore found (client layouts and custom-keys) on its key's entry. */
function addKeystores(st: Inspection): void {
  for (const ks of st.scan.keystores) {
    const e = entryOf(st, ks.pubkey);
    if (ks.origin === "custom-keys") {
      if (e.source === "keystore-only") e.source = "custom-keys";
    } else {
      e.clients.add(ks.origin);
    }
    if (e.path === undefined && ks.path) e.path = ks.path;
    e.keystores.push(ks);
    e.files.push(ks.rel);
  }
}

/** Prysm's account store: one KDF for every key in it, opened for listing and reading alike. */
async function addPrysmStore(st: Inspection, keepSecrets: boolean): Promise<void> {
  const prysm = st.scan.prysm;
  if (!prysm) return;
  try {
    st.prysmKeys = await openPrysmStore(prysm, st.warnings);
  } catch (err) {
    // The per-key layouts hold the same keys: go on without it unless Prysm is the only source.
    if (!(err instanceof InputError) || st.scan.keystores.length === 0) throw err;
    st.prysmError = err;
    st.warnings.push(`Prysm account store not used (${err.shortMessage}): ${prysm.rel}`);
  }
  for (const hex of st.prysmKeys.keys()) {
    const e = entryOf(st, hex);
    e.clients.add("prysm");
    e.files.push(prysm.rel);
  }
  if (!keepSecrets) {
    for (const s of st.prysmKeys.values()) s.fill(0);
    st.prysmKeys = new Map();
  }
}

/** Warn about keystores recording another path than the wallet's, and accounts without one. */
function warnAboutWalletEntries(st: Inspection): void {
  const noKeystore: Entry[] = [];
  for (const e of st.entries.values()) {
    if (e.source !== "wallet" || e.index === undefined) continue;
    for (const ks of e.keystores) {
      if (ks.origin !== "custom-keys" && ks.path && ks.path !== e.path) {
        st.warnings.push(
          `Mismatch: ${ks.rel} records path ${ks.path}, but 0x${e.hex} is wallet account ${e.index} (${e.path})`,
        );
      }
    }
    if (!e.orphan && e.clients.size === 0) noKeystore.push(e);
  }
  if (noKeystore.length <= MISSING_KEYSTORE_DETAIL) {
    for (const e of noKeystore)
      st.warnings.push(
        `Wallet account ${e.index} (0x${e.hex}) has no keystore in any client folder: the validator client cannot load it (\`rocketpool wallet rebuild\` recreates keystores)`,
      );
  } else {
    const indices = noKeystore.map((e) => e.index as number).sort((a, b) => a - b);
    st.warnings.push(
      `${noKeystore.length} wallet accounts have no keystore in any client folder (accounts ${indexRanges(indices)}): the validator client cannot load them (\`rocketpool wallet rebuild\` recreates keystores)`,
    );
  }
}

/**
 * Everything known about a data folder's keys: the wallet's accounts (and orphans past
 * next_account), every keystore, Prysm's store, and the warnings found on the way.
 */
async function inspect(
  dir: string,
  keepSecrets: boolean,
  opts: ScanOptions = {},
): Promise<Inspection> {
  const dataDir = await resolveDataDir(dir);
  const wallet = await loadNodeWallet(
    dataDir,
    opts.maxWalletAccounts !== undefined ? { maxAccounts: opts.maxWalletAccounts } : {},
  );
  const scan = await scanKeystores(dataDir);
  const st: Inspection = {
    dataDir,
    wallet,
    scan,
    entries: new Map(),
    derived: new Map(),
    prysmKeys: new Map(),
    prysmError: undefined,
    warnings: [...scan.warnings],
  };
  if (wallet) {
    const derive = validatorKeyDeriver(wallet.seed);
    await deriveAccounts(st, wallet, derive, keepSecrets, opts);
    findOrphans(st, wallet, derive, keepSecrets);
  } else {
    st.warnings.push(
      `No wallet file in ${dataDir}: keys are read from keystores only (one decryption each)`,
    );
  }
  addKeystores(st);
  await addPrysmStore(st, keepSecrets);
  warnAboutWalletEntries(st);
  return st;
}

const SOURCE_ORDER: Record<KeyEntry["source"], number> = {
  wallet: 0,
  "custom-keys": 1,
  "keystore-only": 2,
};

function sortedEntries(entries: Map<string, Entry>): Entry[] {
  return [...entries.values()].sort(
    (a, b) =>
      SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] ||
      (a.index ?? 0) - (b.index ?? 0) ||
      (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0),
  );
}

function toKeyEntry(e: Entry): KeyEntry {
  const clients = [...e.clients].sort((a, b) => CLIENTS.indexOf(a) - CLIENTS.indexOf(b));
  return {
    pubkey: new Uint8Array(Buffer.from(e.hex, "hex")),
    ...(e.index !== undefined ? { index: e.index } : {}),
    source: e.source,
    clients,
    ...(e.path ? { path: e.path } : {}),
    ...(e.orphan ? { orphan: true } : {}),
    files: e.files,
  };
}

/**
 * List the validators of a Smartnode data folder without decrypting any per-key validator keystore:
 * the wallet (one pbkdf2) derives its keys' public keys, Prysm's account store (one pbkdf2) gives
 * its public keys, the other layouts name theirs. The same scan as {@link readRocketPoolKeys}, so
 * both see the same validators.
 *
 * @example
 * const { entries, warnings } = await listRocketPoolKeys("/home/me/.rocketpool");
 */
export async function listRocketPoolKeys(
  dataDir: string,
  opts: ScanOptions = {},
): Promise<{
  entries: KeyEntry[];
  warnings: string[];
  /** The resolved data folder. */
  dataDir: string;
}> {
  const st = await inspect(dataDir, false, opts);
  return {
    entries: sortedEntries(st.entries).map(toKeyEntry),
    warnings: st.warnings,
    dataDir: st.dataDir,
  };
}

/** Relative cost of a KDF (scrypt n=2^18,r=8 ≈ 15× pbkdf2 c=2^18 on this kind of machine). */
function kdfCost(crypto: KeystoreCrypto): number {
  const k = crypto.kdf;
  return k.function === "pbkdf2" ? k.params.c : 2 * k.params.n * k.params.r * k.params.p;
}

function checkSecret(
  secret: Uint8Array,
  hex: string,
  where: { file: string; field: string },
): void {
  let actual: string;
  try {
    actual = hexOf(publicKeyOf(secret));
  } catch (err) {
    throw new InputError("Keystore holds an invalid BLS secret key", { ...where, cause: err });
  }
  if (actual !== hex) {
    throw new InputError("Keystore secret does not match its public key", {
      ...where,
      metaMessages: [`Expected the key of 0x${hex}; the decrypted secret belongs to 0x${actual}.`],
    });
  }
}

/**
 * Open Prysm's account store (one KDF for every key in it). Entries whose secret does not match
 * their public key are left out and reported, so the key falls back to its per-client keystores.
 */
async function openPrysmStore(
  p: FoundPrysmStore,
  warnings: string[],
): Promise<Map<string, Uint8Array>> {
  const password = await readInputFile(
    p.passwordFile,
    smartnodeFile("Prysm account store password file"),
  );
  const plain = await decryptCrypto(p.crypto, password, { file: p.file });
  const store = parseWith(
    prysmAccountStoreSchema,
    parseJsonText(Buffer.from(plain), p.file, { sensitive: true }),
    "Prysm account store does not decrypt to {private_keys, public_keys}",
    p.file,
  );
  plain.fill(0);
  const out = new Map<string, Uint8Array>();
  (store.public_keys ?? []).forEach((pk, i) => {
    const hex = Buffer.from(pk, "base64").toString("hex");
    const secret = new Uint8Array(Buffer.from(store.private_keys?.[i] ?? "", "base64"));
    try {
      checkSecret(secret, hex, { file: p.file, field: `private_keys[${i}]` });
      out.set(hex, secret);
    } catch (err) {
      warnings.push(
        `Mismatch: ${p.rel} entry ${i} (public key 0x${hex}): ${err instanceof InputError ? err.shortMessage : String(err)}`,
      );
    }
  });
  return out;
}

/**
 * Read (derive or decrypt) the validator keys of a Smartnode data folder. `dataDir` may be the
 * Smartnode root (`~/.rocketpool`) or its `data` folder.
 *
 * @example
 * const { keys, entries, warnings } = await readRocketPoolKeys("/home/me/.rocketpool", {
 *   onProgress: (done, total) => bar.update(done, total),
 * });
 */
export async function readRocketPoolKeys(
  dataDir: string,
  opts: ReadOptions = {},
): Promise<{ keys: ValidatorKey[]; entries: KeyEntry[]; warnings: string[]; dataDir: string }> {
  const st = await inspect(dataDir, true, opts);
  const targets = targetEntries(st, opts.validators);
  const secrets = knownSecrets(st, targets);
  const progress = { done: secrets.size, total: targets.length };
  opts.onProgress?.(progress.done, progress.total);
  const jobs: DecryptJob[] = [];
  for (const e of targets) if (!secrets.has(e.hex)) jobs.push(await decryptJob(st, e));
  await mapConcurrent(jobs, defaultConcurrency(), async (job) => {
    secrets.set(job.e.hex, await decryptJobSecret(job));
    opts.onProgress?.(++progress.done, progress.total);
  });
  const keys: ValidatorKey[] = targets.map((e) => {
    const s = secrets.get(e.hex);
    if (!s) throw new Error(`internal: no secret for 0x${e.hex}`);
    return {
      pubkey: new Uint8Array(Buffer.from(e.hex, "hex")),
      secret: s.secret,
      path: s.path,
      source: s.source,
    };
  });
  // Wipe the secrets that are not handed out (other wallet accounts, the rest of Prysm's store).
  const returned = new Set(keys.map((k) => k.secret));
  for (const s of [...st.derived.values(), ...st.prysmKeys.values()])
    if (!returned.has(s)) s.fill(0);
  return {
    keys,
    entries: sortedEntries(st.entries).map(toKeyEntry),
    warnings: st.warnings,
    dataDir: st.dataDir,
  };
}

/** A validator's secret and where it came from. */
type FoundSecret = { secret: Uint8Array; source: string; path?: string | undefined };

/** The entries to read: all, or the wanted validators (each must exist), in listing order. */
function targetEntries(st: Inspection, validators: Uint8Array[] | undefined): Entry[] {
  const wanted = validators?.map((v) => hexOf(v));
  for (const hex of wanted ?? []) {
    if (!st.entries.has(hex)) {
      // The key may be in the Prysm store that could not be opened: that is the error to fix.
      if (st.prysmError) throw st.prysmError;
      throw new InputError(`Validator 0x${hex} is not in this Smartnode data folder`, {
        file: st.dataDir,
        field: "validators",
        metaMessages: [
          `Found ${st.entries.size} validator key(s); list them with \`rpdvt keys list\`.`,
        ],
      });
    }
  }
  const wantedSet = wanted ? new Set(wanted) : undefined;
  return sortedEntries(st.entries).filter((e) => !wantedSet || wantedSet.has(e.hex));
}

/** Secrets known without a decryption: wallet keys (derived), Prysm keys (store decrypted). */
function knownSecrets(st: Inspection, targets: Entry[]): Map<string, FoundSecret> {
  const secrets = new Map<string, FoundSecret>();
  for (const e of targets) {
    const d = st.derived.get(e.hex);
    if (e.source === "wallet" && d) {
      secrets.set(e.hex, { secret: d, source: "wallet", path: e.path });
    } else if (st.prysmKeys.has(e.hex)) {
      secrets.set(e.hex, {
        secret: st.prysmKeys.get(e.hex) as Uint8Array,
        source: st.scan.prysm?.rel ?? "prysm",
        path: e.path,
      });
    }
  }
  return secrets;
}

/** One keystore to decrypt, and how to get its password. */
type DecryptJob = { e: Entry; ks: FoundKeystore; password: () => Promise<Uint8Array | string> };

/**
 * Pick one keystore for a key (filed under the right pubkey, client copies before custom-keys,
 * which need the custom-key-passwords file, cheapest KDF); none with a password is an error.
 */
async function decryptJob(st: Inspection, e: Entry): Promise<DecryptJob> {
  const candidates = e.keystores
    .filter((k) => k.passwordFile !== undefined)
    .sort(
      (a, b) =>
        Number(a.declaredPubkey !== e.hex) - Number(b.declaredPubkey !== e.hex) ||
        Number(a.origin === "custom-keys") - Number(b.origin === "custom-keys") ||
        kdfCost(a.crypto) - kdfCost(b.crypto),
    );
  for (const ks of candidates) {
    if (ks.origin !== "custom-keys") {
      const file = ks.passwordFile as string;
      return {
        e,
        ks,
        password: () => readInputFile(file, smartnodeFile("keystore password file")),
      };
    }
    const pw = (await st.scan.customKeyPasswords())?.get(e.hex);
    if (pw !== undefined) return { e, ks, password: async () => pw };
  }
  const hints: string[] = [];
  if (e.keystores.some((k) => k.origin === "custom-keys")) {
    hints.push(
      `Custom keys need their password in ${join(st.dataDir, CUSTOM_KEY_PASSWORDS_FILE)} (YAML: <PUBKEY HEX>: <password>).`,
    );
  }
  if (e.keystores.some((k) => k.origin !== "custom-keys")) {
    hints.push("Its keystores in the client folders have no password file next to them.");
  }
  throw new InputError(`No password available to decrypt validator 0x${e.hex}`, {
    file: e.keystores[0]?.file,
    metaMessages: hints,
  });
}

/** Decrypt a job's keystore and check the secret is the key's; an empty password is named. */
async function decryptJobSecret(job: DecryptJob): Promise<FoundSecret> {
  const password = await job.password();
  let secret: Uint8Array;
  try {
    secret = await decryptCrypto(job.ks.crypto, password, { file: job.ks.file });
  } catch (err) {
    // A 0-byte password file is the likely cause of a wrong password: say so.
    if (err instanceof InputError && err.field === "crypto.checksum" && password.length === 0)
      throw new InputError("The keystore's password is empty, and it does not decrypt it", {
        file: job.ks.passwordFile,
        metaMessages: [
          `Keystore: ${job.ks.file}`,
          job.ks.origin === "custom-keys"
            ? "Put this validator's password in custom-key-passwords (YAML: <PUBKEY HEX>: <password>)."
            : "The password file is empty (0 bytes): restore it from a backup, or recreate the keystores with `rocketpool wallet rebuild`.",
        ],
      });
    throw err;
  }
  checkSecret(secret, job.e.hex, { file: job.ks.file, field: "pubkey" });
  return { secret, source: job.ks.rel, path: job.e.path };
}
