/**
 * The Smartnode node wallet (`data/wallet` + `data/password`): an EIP-2335-style JSON
 * (go-eth2-wallet-encryptor-keystorev4, pbkdf2 c=2^18 by default) whose secret is the 64-byte
 * BIP-39 seed — not the mnemonic. Validator keys are EIP-2333/2334 `m/12381/3600/{i}/0/0` of that
 * seed for i in [0, next_account).
 *
 * Sources: rocket-pool/smartnode@shared/services/wallet/wallet.go (walletStore, loadStore,
 * initializeStore: `bip39.NewSeed(mnemonic, "")`, `w.encryptor.Encrypt(w.seed, password)`),
 * @shared/services/wallet/validator.go (ValidatorKeyPath "m/12381/3600/%d/0/0", NextAccount),
 * @shared/services/passwords/manager.go (password file read raw: `string(password)`, no trimming;
 * MinPasswordLength 12). KDF parameters are read from the file, never assumed. The password is
 * normalised as EIP-2335 says, and — only on a checksum mismatch with a password holding C1
 * control characters — as the Go encryptor does (wealdtech/go-eth2-wallet-encryptor-keystorev4
 * norm.go strips C0 and DEL but keeps C1).
 */

import { randomUUID } from "node:crypto";
import { join } from "node:path";
import {
  decryptCrypto,
  encryptCrypto,
  hasC1Control,
  type KeystoreCrypto,
  type PasswordNormalization,
} from "../crypto/eip2335.js";
import { InputError } from "../errors.js";
import { pathExists } from "../util/fs.js";
import { readInputFile, readJsonFile } from "../util/json-file.js";
import { parseWith } from "../util/schema.js";
import { type WalletFile, walletFileJson, walletFileSchema } from "./formats.js";
import { DEFAULT_NODE_KEY_PATH, PASSWORD_FILE, smartnodeFile, WALLET_FILE } from "./layout.js";

/** Shortest wallet password the Smartnode accepts (passwords/manager.go MinPasswordLength). */
export const MIN_PASSWORD_LENGTH = 12;

/** BIP-39 seed length (PBKDF2-HMAC-SHA512 output), what the Smartnode encrypts. */
export const BIP39_SEED_LENGTH = 64;

/** A decrypted node wallet. */
export type NodeWallet = {
  /** The 64-byte BIP-39 seed (secret). */
  seed: Uint8Array;
  /** Number of validator keys the wallet has handed out (`next_account`). */
  nextAccount: number;
  /** Node-key derivation path template, e.g. "m/44'/60'/0'/0/%d". */
  derivationPath: string | undefined;
  walletIndex: number;
  /** Absolute path of the wallet file. */
  file: string;
};

/**
 * Read and validate `data/wallet` without decrypting it.
 *
 * @example
 * const w = await readWalletFile("/home/me/.rocketpool/data/wallet");
 */
export async function readWalletFile(file: string): Promise<WalletFile> {
  const json = await readJsonFile(file, smartnodeFile("Smartnode wallet file"));
  return parseWith(walletFileSchema, json, "Not a valid Smartnode wallet file", file);
}

const isChecksumMismatch = (err: unknown): boolean =>
  err instanceof InputError && err.field === "crypto.checksum";

/**
 * Decrypt the wallet's seed. EIP-2335 password normalisation first; only when the checksum does
 * not match and the password holds C1 control characters, the normalisation of the Go encryptor
 * that wrote the wallet (go-eth2-wallet-encryptor-keystorev4 keeps C1; see
 * {@link PasswordNormalization}).
 */
async function decryptWalletSeed(
  crypto: KeystoreCrypto,
  password: Uint8Array,
  file: string,
): Promise<Uint8Array> {
  try {
    return await decryptCrypto(crypto, password, { file });
  } catch (err) {
    if (!isChecksumMismatch(err) || !hasC1Control(password)) throw err;
    return decryptCrypto(crypto, password, { file, normalization: "keystorev4-go" });
  }
}

/**
 * Upper bound on a wallet's `next_account` (override with `maxAccounts`, CLI `--max-wallet-accounts`).
 * Every account up to it is derived (EIP-2333, ≈1 ms each here) and listed, so a corrupt or
 * hostile `next_account` (the file format allows up to 2^31) would otherwise run for hours (5·10^7
 * did not finish). Where the value comes from: a Smartnode node runs one validator per minipool or
 * megapool validator, and Rocket Pool nodes run from a handful to a few hundred of them; 10,000 is
 * well over an order of magnitude above that while bounding the derivation to seconds.
 */
export const MAX_WALLET_ACCOUNTS = 10_000;

/** Options of {@link loadNodeWallet}. */
export type LoadWalletOptions = {
  /** Refuse a wallet whose `next_account` is above this (default {@link MAX_WALLET_ACCOUNTS}). */
  maxAccounts?: number;
};

/**
 * Refuse a `next_account` above the cap, naming the file, the field and the override.
 *
 * @example
 * checkNextAccount(20_000, "/data/wallet", 10_000); // throws InputError
 */
export function checkNextAccount(nextAccount: number, file: string, max: number): void {
  if (nextAccount <= max) return;
  throw new InputError(
    `The Smartnode wallet says it handed out ${nextAccount} validator keys (next_account), above rpdvt's bound of ${max}`,
    {
      file,
      field: "next_account",
      metaMessages: [
        "Rocket Pool nodes run a handful to a few hundred validators: a value this large usually means a corrupt or edited wallet file (compare with `rocketpool minipool status`).",
        `If this node really has that many validators, raise the bound with --max-wallet-accounts ${nextAccount} (each account is derived, ≈1 ms each).`,
      ],
    },
  );
}

/**
 * Load and decrypt the node wallet of a data folder. Returns undefined when there is no wallet
 * file; throws when the password file is missing, empty, not a regular file or wrong, and when
 * `next_account` is above the cap ({@link MAX_WALLET_ACCOUNTS}).
 *
 * @example
 * const wallet = await loadNodeWallet("/home/me/.rocketpool/data");
 */
export async function loadNodeWallet(
  dataDir: string,
  opts: LoadWalletOptions = {},
): Promise<NodeWallet | undefined> {
  const file = join(dataDir, WALLET_FILE);
  if (!(await pathExists(file))) return undefined;
  const w = await readWalletFile(file);
  checkNextAccount(w.next_account, file, opts.maxAccounts ?? MAX_WALLET_ACCOUNTS);
  const passwordFile = join(dataDir, PASSWORD_FILE);
  // passwords/manager.go reads the file raw (no trimming): so does this.
  const password = await readInputFile(passwordFile, {
    ...smartnodeFile("Smartnode wallet password file"),
    missing: "The Smartnode wallet password file is missing",
    hints: [
      `The wallet ${file} is decrypted with the password stored in ${passwordFile}.`,
      "If the node was set up with `rocketpool wallet forget-password`, write the password (no newline) to that file first.",
    ],
  });
  if (password.length === 0) {
    throw new InputError("The Smartnode wallet password file is empty", {
      file: passwordFile,
      metaMessages: [
        `It must hold the password of the wallet ${file} (the Smartnode requires at least ${MIN_PASSWORD_LENGTH} characters, written without a newline).`,
        "If the node was set up with `rocketpool wallet forget-password`, write the password to that file first.",
      ],
    });
  }
  let seed: Uint8Array;
  try {
    seed = await decryptWalletSeed(w.crypto, password, file);
  } catch (err) {
    if (isChecksumMismatch(err)) {
      throw new InputError("Wrong wallet password: it does not decrypt the Smartnode wallet", {
        file,
        field: "crypto.checksum",
        metaMessages: [
          `Password file: ${passwordFile}`,
          "Check that the password file belongs to this wallet.",
        ],
      });
    }
    throw err;
  }
  if (seed.length !== BIP39_SEED_LENGTH) {
    throw new InputError(
      `Wallet secret is ${seed.length} bytes, expected the ${BIP39_SEED_LENGTH}-byte BIP-39 seed`,
      {
        file,
        field: "crypto.cipher.message",
      },
    );
  }
  return {
    seed,
    nextAccount: w.next_account,
    derivationPath: w.derivationPath,
    walletIndex: w.walletIndex ?? 0,
    file,
  };
}

/**
 * Encrypt a seed into a Smartnode wallet file (pbkdf2, as `eth2ks.New()`); `c` defaults to 2^18,
 * the password normalisation to EIP-2335 ("keystorev4-go" writes it as the Go encryptor does).
 *
 * @example
 * const json = await encryptNodeWallet(seed, password, { nextAccount: 2 });
 */
export async function encryptNodeWallet(
  seed: Uint8Array,
  password: string,
  opts: {
    nextAccount: number;
    derivationPath?: string;
    walletIndex?: number;
    pbkdf2C?: number;
    normalization?: PasswordNormalization;
  },
): Promise<string> {
  const crypto = await encryptCrypto(
    seed,
    password,
    "pbkdf2",
    opts.pbkdf2C ? { c: opts.pbkdf2C } : {},
    opts.normalization,
  );
  return walletFileJson({
    crypto,
    uuid: randomUUID(),
    derivationPath: opts.derivationPath ?? DEFAULT_NODE_KEY_PATH,
    walletIndex: opts.walletIndex ?? 0,
    nextAccount: opts.nextAccount,
  });
}
