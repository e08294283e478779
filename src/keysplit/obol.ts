/**
 * Obol Charon input for `charon create cluster --split-existing-keys --split-keys-dir DIR`: the
 * FULL validator keys (charon does the splitting), one EIP-2335 keystore per key.
 *
 * Layout (from charon's loader: ObolNetwork/charon eth2util/keystore/keystore.go@be7a234,
 * eth2util/keystore/load.go@05f8a64, and cmd/createcluster.go whose `getKeys` calls
 * `keystore.LoadFilesUnordered(splitKeysDir).Keys()`; older releases called `LoadKeys`):
 * - `keystore-N.json`: charon globs `DIR/keystore-*.json`; its index regex is
 *   `keystore-(?:insecure-)?([0-9]+).json` and `SequencedKeys` (used for node key shares) demands
 *   indices 0..N−1 with no gaps or duplicates, so rpdvt numbers from 0, contiguously.
 * - `keystore-N.txt`: the password, the whole file as-is (`loadPassword` = string(os.ReadFile),
 *   same name with .json → .txt). rpdvt writes no trailing newline (keystorev4 would strip one:
 *   EIP-2335 normalisation removes control codes).
 * - charon decrypts with go-eth2-wallet-encryptor-keystorev4 (scrypt and pbkdf2 accepted) and
 *   reads only `crypto`; `pubkey`/`path` are written anyway (EIP-2335) and checked by verify.
 * - README.txt (ignored by charon's glob) holds the matching command line and the key list.
 */
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import { publicKeyFromBytes, publicKeyOf, secretKeyFromBytes } from "../crypto/bls.js";
import {
  decryptKeystore,
  encryptKeystore,
  type KdfChoice,
  parseKeystore,
  randomPassword,
} from "../crypto/eip2335.js";
import { InputError, VerificationError } from "../errors.js";
import { parseAddress } from "../util/address.js";
import { kdfConcurrency, mapConcurrent } from "../util/concurrency.js";
import { writeDirAtomic, writeSecretFile } from "../util/fs.js";
import { bytesEqual, fromHex, toHex } from "../util/hex.js";
import { readJsonFile } from "../util/json-file.js";
import { startProgress } from "../util/progress.js";
import {
  assertKdfParams,
  type KdfParams,
  listDir,
  outputFileWording,
  readPasswordFile,
} from "./format-io.js";
import type { ValidatorKey } from "./split.js";
import type { VerifyReport } from "./verify-report.js";

/** Format name in {@link VerifyReport}. */
export const OBOL_FORMAT = "obol-split-keys eip2335-v4";
/** Charon's keystore index pattern (eth2util/keystore/load.go `extractor`), anchored. */
const KEYSTORE_NAME = /^keystore-(?:insecure-)?([0-9]+)\.json$/;
/** What charon's glob `keystore-*.json` picks up. */
const CHARON_GLOB = /^keystore-.*\.json$/;
/** Charon's minimum --nodes (cmd/createcluster.go `minNodes`). */
const CHARON_MIN_NODES = 3;

export type ObolWriteOptions = {
  /** KDF of the keystores; default scrypt with EIP-2335 parameters (n=2^18, r=8, p=1). */
  kdf?: KdfChoice;
  /** Lighter KDF parameters (tests only). */
  kdfParams?: KdfParams;
  /** Only used to fill in the README command line. */
  name?: string;
  nodes?: number;
  network?: string;
  feeRecipient?: string;
  /** One withdrawal address for every validator. */
  withdrawalAddress?: string;
  /**
   * One withdrawal address per validator: pubkey (0x-hex) → address. Written to the command line
   * in keystore order (charon pairs keystore-N with the N-th address); every key needs one.
   */
  withdrawalAddresses?: ReadonlyMap<string, string>;
  quiet?: boolean;
};

/**
 * The withdrawal address of each key, in keystore order (undefined: one address or none given).
 * Refuses a key without an address and an address for a key that is not written.
 */
function perKeyWithdrawalAddresses(
  keys: readonly ValidatorKey[],
  opts: ObolWriteOptions,
): string[] | undefined {
  const given = opts.withdrawalAddresses;
  if (!given) return undefined;
  if (opts.withdrawalAddress) {
    throw new InputError("Give one withdrawal address or one per validator, not both", {
      field: "withdrawalAddresses",
    });
  }
  const map = new Map([...given].map(([pk, a]) => [pk.toLowerCase(), a]));
  const hexes = keys.map((k) => toHex(k.pubkey));
  const missing = hexes.filter((h) => !map.has(h));
  if (missing.length) {
    throw new InputError(`No withdrawal address for ${missing.length} validator(s)`, {
      field: "--withdrawal-addresses",
      details: missing.join(", "),
      metaMessages: [
        "Charon pairs keystore-N with the N-th withdrawal address: give one per validator split.",
      ],
    });
  }
  const unused = [...map.keys()].filter((pk) => !hexes.includes(pk));
  if (unused.length) {
    throw new InputError(
      `--withdrawal-addresses names ${unused.length} validator(s) that are not being split`,
      {
        field: "--withdrawal-addresses",
        details: unused.join(", "),
        metaMessages: ["Check the public keys (typo?) and --validators."],
      },
    );
  }
  return hexes.map((h) =>
    parseAddress(map.get(h) as string, { field: `--withdrawal-addresses (validator ${h})` }),
  );
}

function assertKeys(keys: readonly ValidatorKey[]): void {
  if (keys.length === 0) throw new InputError("No validator keys to write", { field: "keys" });
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    const field = `keys[${i}]`;
    secretKeyFromBytes(k.secret, { field: `${field}.secret` });
    if (!bytesEqual(publicKeyOf(k.secret), k.pubkey)) {
      throw new VerificationError(
        `Validator key ${i} (${toHex(k.pubkey)}): secret does not match its public key`,
        {
          metaMessages: ["Nothing was written."],
        },
      );
    }
    const hex = toHex(k.pubkey);
    if (seen.has(hex)) throw new InputError(`Validator ${hex} is given twice`, { field });
    seen.add(hex);
  });
}

function readme(
  dir: string,
  keys: readonly ValidatorKey[],
  opts: ObolWriteOptions,
  withdrawals: string[] | undefined,
): string {
  const fee = opts.feeRecipient
    ? parseAddress(opts.feeRecipient, { field: "feeRecipient" })
    : "<0xFEE_RECIPIENT>";
  const wd = withdrawals
    ? withdrawals.join(",")
    : opts.withdrawalAddress
      ? parseAddress(opts.withdrawalAddress, { field: "withdrawalAddress" })
      : "<0xWITHDRAWAL_ADDRESS>";
  const lines = [
    "rpdvt -> Obol Charon: existing validator keys to split",
    "=======================================================",
    "",
    `This folder holds ${keys.length} FULL validator key(s) (not shares) as EIP-2335 keystores`,
    "(keystore-N.json) with their passwords (keystore-N.txt, no trailing newline). Charon splits",
    "them into key shares for the cluster's nodes. Keep this folder secret and delete it (securely)",
    "once the cluster is running.",
    "",
    "Command (charon v1.x; replace the <...> values):",
    "",
    "  charon create cluster \\",
    `    --name="${opts.name ?? "<cluster name>"}" \\`,
    `    --network=${opts.network ?? "<mainnet|holesky|...>"} \\`,
    `    --nodes=${opts.nodes ?? "<number of nodes, e.g. 4>"} \\`,
    "    --split-existing-keys \\",
    `    --split-keys-dir="${dir}" \\`,
    `    --fee-recipient-addresses=${fee} \\`,
    `    --withdrawal-addresses=${wd} \\`,
    "    --cluster-dir=./cluster",
    "",
    "Notes (from charon's cmd/createcluster.go):",
    "- Do not pass --num-validators: charon counts the keystores here, and refuses",
    "  --num-validators together with --split-existing-keys.",
    "- Leave --threshold unset: the default ceil(2n/3) is 2F+1 for n = 3F+1 nodes.",
    "- Addresses: with one --withdrawal-addresses and one --fee-recipient-addresses value, charon",
    "  applies each to every validator (and loads the keystores in any order). With several, it",
    "  loads keystore-0.json, keystore-1.json, ... in index order and pairs keystore-N with the",
    "  N-th address of each list (charon cmd/createcluster.go: SequencedKeys when either list has",
    "  more than one address); the list above is in that order when rpdvt was given",
    "  --withdrawal-addresses. Rocket Pool: a minipool's withdrawal address is the minipool",
    "  contract (its withdrawal credentials 0x01 + 11 zero bytes + address), so give each",
    "  validator its own. The fee recipient is the node's fee distributor or the smoothing pool.",
    "  cluster-lock.json records these addresses; charon does not change the on-chain withdrawal",
    "  credentials.",
    "- Stop the existing validator client and wait at least 2 finalised epochs before the charon",
    "  cluster starts signing, or the validator can be slashed.",
    "",
    "Keys in this folder:",
    ...keys.map(
      (k, i) =>
        `  keystore-${i}.json  ${toHex(k.pubkey)}${withdrawals ? `  withdrawal ${withdrawals[i]}` : ""}${k.path ? `  ${k.path}` : ""}`,
    ),
    "",
  ];
  return lines.join("\n");
}

/**
 * Write the folder for `charon create cluster --split-existing-keys --split-keys-dir OUT`:
 * keystore-N.json + keystore-N.txt (fresh 256-bit password each) for N = 0.., plus README.txt with
 * the command line. Atomic: nothing is left at `out` if anything fails.
 *
 * @example
 * const { files } = await writeObol("/out/obol-keys", keys, { nodes: 4, network: "mainnet" });
 */
export async function writeObol(
  out: string,
  keys: readonly ValidatorKey[],
  opts: ObolWriteOptions = {},
): Promise<{ out: string; files: number }> {
  assertKeys(keys);
  const kdf = opts.kdf ?? "scrypt";
  assertKdfParams(kdf, opts.kdfParams);
  if (
    opts.nodes !== undefined &&
    (!Number.isInteger(opts.nodes) || opts.nodes < CHARON_MIN_NODES)
  ) {
    throw new InputError(`Charon needs at least ${CHARON_MIN_NODES} nodes, got ${opts.nodes}`, {
      field: "nodes",
    });
  }
  const withdrawals = perKeyWithdrawalAddresses(keys, opts);
  const dir = resolve(out);
  const text = readme(dir, keys, opts, withdrawals);
  const progress = startProgress("Encrypting keystores", keys.length, { quiet: opts.quiet });
  try {
    await writeDirAtomic(dir, async (tmp) => {
      // Keystores first, passwords in the last step: a killed run leaves no decryptable key.
      const passwords = keys.map(() => randomPassword());
      await mapConcurrent(keys, kdfConcurrency(kdf, opts.kdfParams), async (k, i) => {
        const password = passwords[i] as string;
        const ks = await encryptKeystore(k.secret, password, {
          pubkey: k.pubkey,
          path: k.path ?? "",
          description: `rpdvt: validator ${toHex(k.pubkey)} for charon --split-existing-keys`,
          kdf,
          kdfParams: opts.kdfParams,
        });
        await writeSecretFile(join(tmp, `keystore-${i}.json`), `${JSON.stringify(ks, null, 2)}\n`);
        progress.tick();
      });
      for (const [i, password] of passwords.entries()) {
        await writeSecretFile(join(tmp, `keystore-${i}.txt`), password);
      }
      await writeSecretFile(join(tmp, "README.txt"), text);
    });
  } finally {
    progress.stop();
  }
  return { out: dir, files: 2 * keys.length + 1 };
}

/**
 * Verify a charon split-keys folder: keystore names keystore-0..N−1 with no gaps, duplicates or
 * strays, every keystore decrypts with its .txt password, its `pubkey` matches the decrypted
 * secret, and no validator key appears twice. (Operators/threshold: charon decides; reported as
 * [] and 0.)
 *
 * @example
 * const report = await verifyObol("/out/obol-keys");
 */
export async function verifyObol(
  path: string,
  opts: { quiet?: boolean } = {},
): Promise<VerifyReport> {
  const dir = resolve(path);
  const names = await listDir(dir);
  if (names === null) throw new InputError("Not a readable directory", { file: dir });
  const files = charonKeystoreFiles(dir, names);
  const pubkeys = await decryptCharonKeystores(dir, files, opts);
  rejectRepeatedKeys(pubkeys, files);
  return {
    format: OBOL_FORMAT,
    file: dir,
    validators: files.length,
    operators: [],
    threshold: 0,
    checks: [
      `${files.length} keystore(s) keystore-0..keystore-${files.length - 1}.json, numbered from 0 without gaps`,
      "every keystore decrypts with its keystore-N.txt password",
      "every keystore pubkey matches its decrypted secret",
      "no validator key appears twice",
    ],
  };
}

/**
 * The folder's Charon keystore names in index order: keystore-<N>.json, each N once, 0..count−1
 * without gaps (Charon loads every keystore-*.json).
 */
function charonKeystoreFiles(dir: string, names: readonly string[]): string[] {
  const indexed = new Map<number, string>();
  for (const name of names.filter((n) => CHARON_GLOB.test(n)).sort()) {
    const m = KEYSTORE_NAME.exec(name);
    if (!m) {
      throw new InputError(`Unexpected keystore file name ${name}`, {
        file: join(dir, name),
        metaMessages: ["Charon loads every keystore-*.json here; names must be keystore-<N>.json."],
      });
    }
    const idx = Number(m[1]);
    const other = indexed.get(idx);
    if (other !== undefined) {
      throw new InputError(`Keystore index ${idx} is used twice (${other}, ${name})`, {
        file: join(dir, name),
      });
    }
    indexed.set(idx, name);
  }
  if (indexed.size === 0) {
    throw new InputError("No keystore-N.json files found", {
      file: dir,
      metaMessages: [
        "Charon's --split-keys-dir expects keystore-*.json with keystore-*.txt passwords.",
      ],
    });
  }
  for (let i = 0; i < indexed.size; i++) {
    if (!indexed.has(i)) {
      throw new InputError(`Keystore numbering has a gap: keystore-${i}.json is missing`, {
        file: dir,
        metaMessages: [`Expected keystore-0.json .. keystore-${indexed.size - 1}.json.`],
      });
    }
  }
  return [...indexed.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
}

/**
 * Decrypt each keystore with its keystore-N.txt password (KDF-bounded concurrency, progress
 * shown) and check its pubkey against the secret; resolves to the pubkeys (0x-hex) in file order.
 */
async function decryptCharonKeystores(
  dir: string,
  files: readonly string[],
  opts: { quiet?: boolean },
): Promise<string[]> {
  const firstFile = join(dir, files[0] as string);
  const first = parseKeystore(
    await readJsonFile(firstFile, outputFileWording(firstFile)),
    firstFile,
  );
  const kdf: KdfChoice = first.crypto.kdf.function;
  const progress = startProgress("Decrypting keystores", files.length, { quiet: opts.quiet });
  try {
    return await mapConcurrent(files, kdfConcurrency(kdf, { n: 2 ** 18 }), async (name) => {
      const file = join(dir, name);
      const ks = parseKeystore(await readJsonFile(file, outputFileWording(file)), file);
      if (!ks.pubkey) throw new InputError("Keystore has no pubkey", { file, field: "pubkey" });
      const claimed = fromHex(ks.pubkey, { field: "pubkey", file, length: 48 });
      publicKeyFromBytes(claimed, { field: "pubkey", file });
      const password = await readPasswordFile(file.replace(/\.json$/, ".txt"));
      const secret = await decryptKeystore(ks, password, file);
      const actual = publicKeyOf(secret);
      secret.fill(0);
      if (!bytesEqual(actual, claimed)) {
        throw new VerificationError("Keystore pubkey does not match its decrypted secret", {
          metaMessages: [`File: ${file}`, "Field: pubkey"],
        });
      }
      progress.tick();
      return toHex(actual);
    });
  } finally {
    progress.stop();
  }
}

/** Charon would split the same key twice: refuse a validator key held by two files. */
function rejectRepeatedKeys(pubkeys: readonly string[], files: readonly string[]): void {
  const seen = new Map<string, string>();
  pubkeys.forEach((pk, i) => {
    const prev = seen.get(pk);
    if (prev !== undefined) {
      throw new VerificationError(`Validator ${pk} appears twice (${prev}, ${files[i]})`, {
        metaMessages: ["Charon would split the same key twice: remove one of the two files."],
      });
    }
    seen.set(pk, files[i] as string);
  });
}

/**
 * Cheap sniff: a directory holding keystore-0.json and keystore-0.txt (no decryption).
 *
 * @example
 * if (await detectObol(path)) report = await verifyObol(path);
 */
export async function detectObol(path: string): Promise<boolean> {
  const names = await listDir(path);
  if (names === null) return false;
  const set = new Set(names);
  if (!(set.has("keystore-0.json") && set.has("keystore-0.txt"))) return false;
  try {
    const stat = await fsp.stat(join(path, "keystore-0.json"));
    return stat.isFile();
  } catch {
    return false;
  }
}
