/**
 * Where a Rocket Pool Smartnode keeps its keys, relative to its data folder (`~/.rocketpool/data`).
 *
 * Sources (rocket-pool/smartnode, v1 line):
 * - shared/services/config/smartnode-config.go: `wallet`, `password`, `validators/`, `custom-keys/`,
 *   `custom-key-passwords` (GetWalletPath, GetPasswordPath, GetValidatorKeychainPath, GetCustomKeyPath,
 *   GetCustomKeyPasswordFilePath).
 * - shared/services/services.go: the node wallet gets a keystore manager for every client
 *   (lighthouse, lodestar, nimbus, prysm, teku), so each validator key is written in all five layouts.
 * - shared/services/wallet/keystore/{lighthouse,lodestar,nimbus,teku,prysm}/keystore.go: the
 *   `KeystoreDir`/`ValidatorsDir`/`SecretsDir`/`KeyFileName` constants mirrored below; file and
 *   directory names are `0x` + lowercase hex pubkey (`hexutil.AddPrefix(pubkey.Hex())`).
 */
import { join } from "node:path";
import { type FileWording, fileWording } from "../util/json-file.js";

/** Consensus clients whose keystore layout the Smartnode writes (services.go AddKeystore calls). */
export const CLIENTS = ["lighthouse", "lodestar", "nimbus", "teku", "prysm"] as const;
export type ClientName = (typeof CLIENTS)[number];

/** Data-folder entries (smartnode-config.go). */
export const WALLET_FILE = "wallet";
export const PASSWORD_FILE = "password";
export const VALIDATORS_DIR = "validators";
export const CUSTOM_KEYS_DIR = "custom-keys";
export const CUSTOM_KEY_PASSWORDS_FILE = "custom-key-passwords";

/** Added to "Cannot read …" / "Cannot list folder" errors when the OS refuses access. */
export const ROOT_OWNED_HINT =
  "The Smartnode's files are often owned by root: run as the owner of the data folder (e.g. with sudo).";

/**
 * How errors about a Smartnode file described as `what` are worded ("<what> not found", "Cannot
 * read <what>" plus {@link ROOT_OWNED_HINT} when access is refused, "File is empty", …).
 *
 * @example
 * const json = await readJsonFile(file, smartnodeFile("Smartnode wallet file"));
 */
export function smartnodeFile(what: string): FileWording {
  return fileWording(what, { permissionHints: [ROOT_OWNED_HINT] });
}

/** A client that keeps one keystore file plus one password file per validator. */
export type PerKeyLayout = {
  client: Exclude<ClientName, "prysm">;
  /** Keystore file of `name` (= `0x` + hex pubkey), relative to the data folder. */
  keystore(name: string): string;
  /** Password file of `name`, relative to the data folder. */
  password(name: string): string;
  /** Folder listed to find the validators, relative to the data folder. */
  listDir: string;
  /** Matches a `listDir` entry and captures the hex pubkey. */
  entry: RegExp;
  /** KDF the Smartnode uses for this client (`eth2ks.New(eth2ks.WithCipher("scrypt"))` or default pbkdf2). */
  kdf: "scrypt" | "pbkdf2";
};

const PUBKEY_DIR = /^0x([0-9a-fA-F]{96})$/;

/**
 * The layout of lighthouse, lodestar and nimbus: validators/<0xpk>/<keystoreFile> and
 * secrets/<0xpk> under validators/<client>/.
 */
function validatorsDirLayout(
  client: "lighthouse" | "lodestar" | "nimbus",
  keystoreFile: string,
  kdf: PerKeyLayout["kdf"],
): PerKeyLayout {
  const root = join(VALIDATORS_DIR, client);
  return {
    client,
    listDir: join(root, "validators"),
    keystore: (name) => join(root, "validators", name, keystoreFile),
    password: (name) => join(root, "secrets", name),
    entry: PUBKEY_DIR,
    kdf,
  };
}

/** lighthouse/keystore.go: validators/<0xpk>/voting-keystore.json + secrets/<0xpk>; scrypt. */
const lighthouse = validatorsDirLayout("lighthouse", "voting-keystore.json", "scrypt");

/** lodestar/keystore.go: validators/<0xpk>/voting-keystore.json + secrets/<0xpk>; scrypt. */
const lodestar = validatorsDirLayout("lodestar", "voting-keystore.json", "scrypt");

/** nimbus/keystore.go: validators/<0xpk>/keystore.json + secrets/<0xpk>; pbkdf2 (eth2ks default). */
const nimbus = validatorsDirLayout("nimbus", "keystore.json", "pbkdf2");

/** teku/keystore.go: keys/<0xpk>.json + passwords/<0xpk>.txt; scrypt. */
const teku: PerKeyLayout = {
  client: "teku",
  listDir: join(VALIDATORS_DIR, "teku", "keys"),
  keystore: (name) => join(VALIDATORS_DIR, "teku", "keys", `${name}.json`),
  password: (name) => join(VALIDATORS_DIR, "teku", "passwords", `${name}.txt`),
  entry: /^0x([0-9a-fA-F]{96})\.json$/,
  kdf: "scrypt",
};

/** The per-key layouts, in {@link CLIENTS} order. */
export const PER_KEY_LAYOUTS: readonly PerKeyLayout[] = [lighthouse, lodestar, nimbus, teku];

/**
 * prysm/keystore.go: one "direct" (non-HD) Prysm wallet holding every key — an EIP-2335-encrypted
 * JSON (pbkdf2, eth2ks default) whose plaintext is `{"private_keys":[b64…],"public_keys":[b64…]}`,
 * its random password in `accounts/secret`, and `keymanageropts.json` = `{"direct_eip_version":"EIP-2335"}`.
 */
export const PRYSM = {
  dir: join(VALIDATORS_DIR, "prysm-non-hd", "direct"),
  keystore: join(
    VALIDATORS_DIR,
    "prysm-non-hd",
    "direct",
    "accounts",
    "all-accounts.keystore.json",
  ),
  password: join(VALIDATORS_DIR, "prysm-non-hd", "direct", "accounts", "secret"),
  config: join(VALIDATORS_DIR, "prysm-non-hd", "direct", "keymanageropts.json"),
  kdf: "pbkdf2",
} as const;

/** Smartnode default node-key derivation path, written into the wallet (wallet.go DefaultNodeKeyPath). */
export const DEFAULT_NODE_KEY_PATH = "m/44'/60'/0'/0/%d";

/**
 * How far past `next_account` the Smartnode looks for a validator key when recovering one by
 * pubkey (validator.go MaxValidatorKeyRecoverAttempts = 100); the reader uses the same window to
 * recognise orphan keystores.
 */
export const ORPHAN_SEARCH_WINDOW = 100;

/**
 * Directory/file name of a validator in the client layouts: `0x` + lowercase hex.
 *
 * @example
 * pubkeyName("AB".repeat(48)) // "0xabab…"
 */
export function pubkeyName(hex: string): string {
  return `0x${hex.toLowerCase()}`;
}
