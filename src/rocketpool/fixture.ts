/**
 * Generate a realistic Rocket Pool Smartnode data folder for tests and demos, laid out and
 * serialized as the Smartnode writes it (see ./layout.ts and ./formats.ts for the sources):
 *
 *   <out>/data/wallet, password                 node wallet (pbkdf2 c=2^18, secret = BIP-39 seed)
 *   <out>/data/validators/{lighthouse,lodestar,nimbus,teku,prysm-non-hd}/…
 *                                               every key in every client layout (services.go adds
 *                                               all five keystore managers; validator.go
 *                                               StoreValidatorKey writes to each), each with its own
 *                                               random password (keystore.go GenerateRandomPassword)
 *   <out>/data/custom-keys/keystore-m_12381_3600_<j>_0_0-<ts>.json + custom-key-passwords
 *                                               imported solo keys (also re-encrypted into every
 *                                               client layout, as the Smartnode's import does)
 *
 * Orphans are wallet accounts at and above `next_account` whose keystores exist (a key created
 * but the wallet never saved). Files are 0600 and folders 0700 (the Smartnode's older modes;
 * recent releases use 0640/0770 for validator files) and the whole tree is written atomically.
 *
 * KDFs: the wallet always uses the Smartnode's pbkdf2 c=2^18 (≈50 ms). Validator keystores use
 * each client's KDF function (scrypt: lighthouse, lodestar, teku; pbkdf2: nimbus, prysm) with
 * `kdf: "fast"` (default) scrypt n=2^10 / pbkdf2 c=2^10, or `kdf: "real"` n=2^18 / c=2^18
 * (≈0.8 s per scrypt keystore here).
 */
import { createHash, randomInt, randomUUID } from "node:crypto";
import { promises as fsp } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { publicKeyOf, secretKeyFromBytes } from "../crypto/bls.js";
import { deriveSecretKey, validatorKeyPath } from "../crypto/eip2333.js";
import { encryptCrypto, encryptKeystore } from "../crypto/eip2335.js";
import { InputError } from "../errors.js";
import { defaultConcurrency, mapConcurrent } from "../util/concurrency.js";
import { SECRET_DIR_MODE, writeDirAtomic, writeSecretFile } from "../util/fs.js";
import { toHex } from "../util/hex.js";
import {
  clientKeystoreJson,
  customKeyPasswordsYaml,
  PRYSM_CONFIG_JSON,
  prysmAccountStoreJson,
  prysmKeystoreJson,
} from "./formats.js";
import {
  CUSTOM_KEY_PASSWORDS_FILE,
  CUSTOM_KEYS_DIR,
  ORPHAN_SEARCH_WINDOW,
  PASSWORD_FILE,
  PER_KEY_LAYOUTS,
  PRYSM,
  pubkeyName,
  VALIDATORS_DIR,
  WALLET_FILE,
} from "./layout.js";
import { encryptNodeWallet } from "./wallet.js";

/** Light KDF parameters for test fixtures (EIP-2335 allows any; tests decrypt in ~1 ms). */
export const FAST_KDF = { n: 2 ** 10, c: 2 ** 10 } as const;
/** The Smartnode's real parameters (go-eth2-wallet-encryptor-keystorev4 encrypt.go: 2^18). */
export const REAL_KDF = { n: 2 ** 18, c: 2 ** 18 } as const;
/** Mnemonic strength the Smartnode uses (wallet.go EntropyBits = 256 → 24 words). */
export const MNEMONIC_BITS = 256;
/** Upper bound on generated validators (keeps a mistyped flag from filling the disk). */
export const MAX_FIXTURE_KEYS = 100_000;

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
/** sethvargo/go-password Symbols. */
const SYMBOLS = '~!@#$%^&*()_+`-={}|[]\\:"<>?,./';

function pickDistinct(alphabet: string, count: number): string[] {
  const pool = [...alphabet];
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pool.splice(randomInt(pool.length), 1)[0] as string);
  return out;
}

/**
 * A password like the Smartnode's GenerateRandomPassword (go-password `Generate(32, 6, 6, false,
 * false)`): 32 characters — 6 digits, 6 symbols, 20 letters — none repeated, in random order.
 *
 * @example
 * smartnodeRandomPassword().length // 32
 */
export function smartnodeRandomPassword(): string {
  const chars = [
    ...pickDistinct(LETTERS, 20),
    ...pickDistinct(DIGITS, 6),
    ...pickDistinct(SYMBOLS, 6),
  ];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}

export type FixtureOptions = {
  /** Wallet validators (accounts 0 … validators-1; the wallet's next_account). */
  validators: number;
  /** 12–24 word English BIP-39 mnemonic; default a fresh random 24-word one. */
  mnemonic?: string;
  /** Imported keys in custom-keys/ (not derived from the wallet). */
  customKeys?: number;
  /**
   * Secrets of imported keys to place in custom-keys/ (after the `customKeys` generated ones),
   * e.g. the devnet's interop keys, so a demo node holds validators that are live on the devnet.
   */
  customSecrets?: readonly Uint8Array[];
  /** Orphan keystores: wallet accounts validators … validators+orphans-1 (≤ 100). */
  orphans?: number;
  /** Validator keystore KDF cost: "fast" (default, 2^10) or "real" (2^18). */
  kdf?: "fast" | "real";
  onProgress?: (done: number, total: number) => void;
};

export type FixtureResult = {
  /** `<out>/data`. */
  dataDir: string;
  mnemonic: string;
  /** 0x-hex pubkeys of the wallet validators, in account order. */
  pubkeys: string[];
  /** 0x-hex pubkeys of the orphan keystores (accounts validators, validators+1, …). */
  orphanPubkeys: string[];
  /** 0x-hex pubkeys of the custom (imported) keys. */
  customPubkeys: string[];
};

type GenKey = { secret: Uint8Array; pubkey: Uint8Array; path: string };

function assertCount(name: string, v: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new InputError(`${name} must be a whole number from 0 to ${max}`, {
      field: name,
      details: `got ${v}`,
    });
  }
}

/**
 * Normalise and check a mnemonic (English wordlist). The mnemonic itself never goes into errors.
 *
 * @example
 * checkMnemonic("abandon  abandon … about") // "abandon abandon … about"
 */
export function checkMnemonic(mnemonic: string): string {
  const m = mnemonic.trim().split(/\s+/).join(" ");
  if (!validateMnemonic(m, wordlist)) {
    throw new InputError("Not a valid English BIP-39 mnemonic", {
      field: "mnemonic",
      metaMessages: ["Check the word count (12–24), the spelling of each word and the word order."],
    });
  }
  return m;
}

async function mkdirs(root: string, rel: string): Promise<void> {
  await fsp.mkdir(join(root, rel), { recursive: true, mode: SECRET_DIR_MODE });
}

async function writeIn(root: string, rel: string, data: string): Promise<void> {
  await mkdirs(root, dirname(rel));
  await writeSecretFile(join(root, rel), data);
}

type KdfParams = typeof FAST_KDF | typeof REAL_KDF;

function deriveKey(seed: Uint8Array, i: number): GenKey {
  const path = validatorKeyPath(i);
  const secret = deriveSecretKey(seed, path);
  return { secret, pubkey: publicKeyOf(secret), path };
}

/** The wallet's validator keys, the orphans after them, and the custom (non-wallet) keys. */
function fixtureKeys(
  opts: FixtureOptions,
  seed: Uint8Array,
): { walletKeys: GenKey[]; orphanKeys: GenKey[]; customKeys: GenKey[] } {
  const walletKeys = Array.from({ length: opts.validators }, (_, i) => deriveKey(seed, i));
  const orphanKeys = Array.from({ length: opts.orphans ?? 0 }, (_, i) =>
    deriveKey(seed, opts.validators + i),
  );
  // Custom keys stand for keys made elsewhere (e.g. staking-deposit-cli from another mnemonic):
  // derived from a seed tied to the mnemonic so a given mnemonic always yields the same fixture keys.
  const customSeed = createHash("sha256").update("rpdvt fixture custom keys").update(seed).digest();
  const customKeys = [
    ...Array.from({ length: opts.customKeys ?? 0 }, (_, j) => deriveKey(customSeed, j)),
    ...(opts.customSecrets ?? []).map((secret, j) => ({
      secret: secretKeyFromBytes(secret, { field: `customSecrets[${j}]` }).toBytes(),
      pubkey: publicKeyOf(secret),
      path: "",
    })),
  ];
  return { walletKeys, orphanKeys, customKeys };
}

/** Node wallet + its password (passwords/manager.go: raw, no newline), and the key folders. */
async function writeWallet(data: string, seed: Uint8Array, nextAccount: number): Promise<void> {
  await mkdirs(data, VALIDATORS_DIR);
  await mkdirs(data, CUSTOM_KEYS_DIR);
  const walletPassword = smartnodeRandomPassword();
  await writeSecretFile(join(data, PASSWORD_FILE), walletPassword);
  await writeSecretFile(
    join(data, WALLET_FILE),
    await encryptNodeWallet(seed, walletPassword, { nextAccount, pbkdf2C: REAL_KDF.c }),
  );
  for (const layout of PER_KEY_LAYOUTS) {
    await mkdirs(data, layout.listDir);
    await mkdirs(data, dirname(layout.password(pubkeyName("00".repeat(48)))));
  }
}

/** Every key into every per-key client layout, each with its own random password. */
async function writeClientKeystores(
  data: string,
  all: readonly GenKey[],
  params: KdfParams,
  onProgress: FixtureOptions["onProgress"],
): Promise<void> {
  let done = 0;
  await mapConcurrent(all, defaultConcurrency(), async (k) => {
    const hex = toHex(k.pubkey, false);
    const name = pubkeyName(hex);
    for (const layout of PER_KEY_LAYOUTS) {
      const password = smartnodeRandomPassword();
      const crypto = await encryptCrypto(k.secret, password, layout.kdf, params);
      await writeIn(data, layout.password(name), password);
      await writeIn(
        data,
        layout.keystore(name),
        clientKeystoreJson({ crypto, uuid: randomUUID(), path: k.path, pubkeyHex: hex }),
      );
    }
    onProgress?.(++done, all.length);
  });
}

/** Prysm: one account store holding every key, in creation order. */
async function writePrysmStore(
  data: string,
  all: readonly GenKey[],
  params: KdfParams,
): Promise<void> {
  if (all.length === 0) return;
  const prysmPassword = smartnodeRandomPassword();
  await writeIn(data, PRYSM.password, prysmPassword);
  const crypto = await encryptCrypto(
    new TextEncoder().encode(prysmAccountStoreJson([...all])),
    prysmPassword,
    PRYSM.kdf,
    params,
  );
  await writeIn(data, PRYSM.keystore, prysmKeystoreJson({ crypto, uuid: randomUUID() }));
  await writeIn(data, PRYSM.config, PRYSM_CONFIG_JSON);
}

/** custom-keys/: the original keystores (staking-deposit-cli naming and scrypt) + their passwords. */
async function writeCustomKeys(
  data: string,
  customKeys: readonly GenKey[],
  params: KdfParams,
): Promise<void> {
  if (customKeys.length === 0) return;
  const ts = Math.floor(Date.now() / 1000);
  const passwords = new Map<string, string>();
  for (const [j, k] of customKeys.entries()) {
    const password = smartnodeRandomPassword();
    const ks = await encryptKeystore(k.secret, password, {
      pubkey: k.pubkey,
      path: k.path,
      kdf: "scrypt",
      kdfParams: params,
    });
    await writeIn(
      data,
      join(CUSTOM_KEYS_DIR, `keystore-m_12381_3600_${j}_0_0-${ts}.json`),
      JSON.stringify(ks),
    );
    passwords.set(toHex(k.pubkey, false), password);
  }
  await writeIn(data, CUSTOM_KEY_PASSWORDS_FILE, customKeyPasswordsYaml(passwords));
}

/**
 * Write a Smartnode data folder at `<outDir>/data` (outDir must not exist; written atomically).
 *
 * @example
 * const fx = await writeRocketPoolFixture("/tmp/rp", { validators: 3, customKeys: 1, orphans: 1 });
 * // fx.dataDir === "/tmp/rp/data"
 */
export async function writeRocketPoolFixture(
  outDir: string,
  opts: FixtureOptions,
): Promise<FixtureResult> {
  assertCount("validators", opts.validators, MAX_FIXTURE_KEYS);
  assertCount("custom keys", opts.customKeys ?? 0, MAX_FIXTURE_KEYS);
  assertCount("orphans", opts.orphans ?? 0, ORPHAN_SEARCH_WINDOW);
  const mnemonic =
    opts.mnemonic === undefined
      ? generateMnemonic(wordlist, MNEMONIC_BITS)
      : checkMnemonic(opts.mnemonic);
  const params = opts.kdf === "real" ? REAL_KDF : FAST_KDF;
  // wallet.go initializeStore: seed = bip39.NewSeed(mnemonic, "").
  const seed = mnemonicToSeedSync(mnemonic);
  const { walletKeys, orphanKeys, customKeys } = fixtureKeys(opts, seed);
  const dataDir = join(resolve(outDir), "data");
  const all = [...walletKeys, ...orphanKeys, ...customKeys];
  await writeDirAtomic(resolve(outDir), async (tmp) => {
    const data = join(tmp, "data");
    await fsp.mkdir(data, { mode: SECRET_DIR_MODE });
    await writeWallet(data, seed, opts.validators);
    await writeClientKeystores(data, all, params, opts.onProgress);
    await writePrysmStore(data, all, params);
    await writeCustomKeys(data, customKeys, params);
  });

  for (const k of all) k.secret.fill(0);
  seed.fill(0);
  const hexes = (ks: GenKey[]) => ks.map((k) => toHex(k.pubkey));
  return {
    dataDir,
    mnemonic,
    pubkeys: hexes(walletKeys),
    orphanPubkeys: hexes(orphanKeys),
    customPubkeys: hexes(customKeys),
  };
}
