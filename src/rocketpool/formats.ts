/**
 * The Smartnode's on-disk JSON/YAML formats: schemas for reading them and serializers that write
 * them byte-for-byte as the Go code does (struct fields in declaration order; `map` keys sorted,
 * which is how Go's encoding/json and goccy/go-json encode the `crypto` map).
 *
 * Sources:
 * - rocket-pool/smartnode@shared/services/wallet/wallet.go (`walletStore`: crypto, name, version,
 *   uuid, derivationPath,omitempty, walletIndex,omitempty, next_account); the encrypted secret is
 *   the 64-byte BIP-39 seed (`bip39.NewSeed(mnemonic, "")`), encryptor `eth2ks.New()` = pbkdf2.
 * - rocket-pool/smartnode@shared/services/wallet/keystore/{lighthouse,lodestar,nimbus,teku}/keystore.go
 *   (`validatorKey`: crypto, version, uuid, path, pubkey — pubkey as lowercase hex without 0x,
 *   `ValidatorPubkey.MarshalJSON` = `json.Marshal(v.Hex())`).
 * - rocket-pool/smartnode@shared/services/wallet/keystore/prysm/keystore.go (`validatorKeystore`:
 *   crypto, name, version, uuid, pubkey (left ""); `accountStore`: private_keys, public_keys as Go
 *   `[][]byte`, i.e. standard base64).
 * - wealdtech/go-eth2-wallet-encryptor-keystorev4@encrypt.go: builds the crypto section as a struct,
 *   then round-trips it through JSON into `map[string]interface{}`; name "keystore", version 4;
 *   pbkdf2 c=2^18 (default cipher) or scrypt n=2^18 r=8 p=1; password NFKD-normalised with C0/DEL
 *   stripped (norm.go).
 * - rocket-pool/smartnode wallet package `CheckForAndRecoverCustomMinipoolKeys` and the CLI's
 *   `promptForSoloKeyPassword`: `custom-key-passwords` is a YAML map (gopkg.in/yaml) from the
 *   UPPERCASE hex pubkey without 0x to the keystore's password, read only while importing keys.
 */
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { z } from "zod";
import { type KeystoreCrypto, keystoreCryptoSchema } from "../crypto/eip2335.js";
import { InputError } from "../errors.js";

/** encryptor Name()/Version() of go-eth2-wallet-encryptor-keystorev4 (encryptor.go). */
export const ENCRYPTOR_NAME = "keystore";
export const ENCRYPTOR_VERSION = 4;

/** The 96-hex-digit pubkey, with or without `0x`, any case (Go's HexToValidatorPubkey accepts 0x). */
const pubkeyHex = z
  .string()
  .regex(/^(0x)?[0-9a-fA-F]{96}$/, "must be a 48-byte hex public key")
  .transform((s) => s.replace(/^0x/, "").toLowerCase());

/** `data/wallet` (walletStore in wallet.go). */
export const walletFileSchema = z.object({
  crypto: keystoreCryptoSchema,
  name: z.string(),
  version: z.literal(ENCRYPTOR_VERSION),
  uuid: z.string(),
  derivationPath: z.string().optional(),
  walletIndex: z.number().int().nonnegative().optional(),
  next_account: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31),
});
export type WalletFile = z.infer<typeof walletFileSchema>;

/** A per-client validator keystore (validatorKey in the lighthouse/lodestar/nimbus/teku managers). */
export const clientKeystoreSchema = z.object({
  crypto: keystoreCryptoSchema,
  version: z.literal(4),
  uuid: z.string(),
  path: z.string(),
  pubkey: pubkeyHex,
});
export type ClientKeystore = z.infer<typeof clientKeystoreSchema>;

/** A keystore in `custom-keys/` (api.ValidatorKeystore; any EIP-2335 keystore with a pubkey). */
export const customKeystoreSchema = z.object({
  crypto: keystoreCryptoSchema,
  version: z.literal(4),
  uuid: z.string().optional(),
  path: z.string().optional(),
  pubkey: pubkeyHex,
});
export type CustomKeystore = z.infer<typeof customKeystoreSchema>;

/** Prysm's all-accounts.keystore.json (validatorKeystore in prysm/keystore.go). */
export const prysmKeystoreSchema = z.object({
  crypto: keystoreCryptoSchema,
  name: z.string().optional(),
  version: z.literal(4),
  uuid: z.string().optional(),
  pubkey: z.string().optional(),
});

/** The decrypted Prysm account store (accountStore in prysm/keystore.go). */
export const prysmAccountStoreSchema = z
  .object({
    private_keys: z.array(z.string().base64()).nullable(),
    public_keys: z.array(z.string().base64()).nullable(),
  })
  .refine((s) => (s.private_keys?.length ?? 0) === (s.public_keys?.length ?? 0), {
    message: "private_keys and public_keys have different lengths",
    path: ["public_keys"],
  });

/** Recursively sort object keys, as Go's encoder does for `map[string]interface{}`. */
function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeysDeep(o[k])]),
    );
  }
  return v;
}

/**
 * The `crypto` section in Go map order (keys sorted at every level: checksum, cipher, kdf; inside
 * each: function, message, params; kdf params c, dklen, prf, salt / dklen, n, p, r, salt).
 *
 * @example
 * JSON.stringify(goCrypto(crypto)).startsWith('{"checksum":') // true
 */
export function goCrypto(crypto: KeystoreCrypto): unknown {
  return sortKeysDeep(crypto);
}

/**
 * `data/wallet` as wallet.go's `json.Marshal(walletStore)` writes it (walletIndex and
 * derivationPath omitted when zero/empty).
 *
 * @example
 * walletFileJson({ crypto, uuid, derivationPath: "m/44'/60'/0'/0/%d", walletIndex: 0, nextAccount: 3 })
 */
export function walletFileJson(w: {
  crypto: KeystoreCrypto;
  uuid: string;
  derivationPath: string;
  walletIndex: number;
  nextAccount: number;
}): string {
  return JSON.stringify({
    crypto: goCrypto(w.crypto),
    name: ENCRYPTOR_NAME,
    version: ENCRYPTOR_VERSION,
    uuid: w.uuid,
    ...(w.derivationPath ? { derivationPath: w.derivationPath } : {}),
    ...(w.walletIndex ? { walletIndex: w.walletIndex } : {}),
    next_account: w.nextAccount,
  });
}

/**
 * A lighthouse/lodestar/nimbus/teku validator keystore as the Smartnode writes it.
 *
 * @example
 * clientKeystoreJson({ crypto, uuid, path: "m/12381/3600/0/0/0", pubkeyHex: "93…" })
 */
export function clientKeystoreJson(k: {
  crypto: KeystoreCrypto;
  uuid: string;
  path: string;
  pubkeyHex: string;
}): string {
  return JSON.stringify({
    crypto: goCrypto(k.crypto),
    version: 4,
    uuid: k.uuid,
    path: k.path,
    pubkey: k.pubkeyHex,
  });
}

/**
 * Prysm's all-accounts.keystore.json (pubkey is never set by the Smartnode, so it is "").
 *
 * @example
 * prysmKeystoreJson({ crypto, uuid })
 */
export function prysmKeystoreJson(k: { crypto: KeystoreCrypto; uuid: string }): string {
  return JSON.stringify({
    crypto: goCrypto(k.crypto),
    name: ENCRYPTOR_NAME,
    version: 4,
    uuid: k.uuid,
    pubkey: "",
  });
}

/**
 * The plaintext of Prysm's account store: Go `[][]byte` fields are standard base64.
 *
 * @example
 * prysmAccountStoreJson([{ secret, pubkey }])
 */
export function prysmAccountStoreJson(keys: { secret: Uint8Array; pubkey: Uint8Array }[]): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
  return JSON.stringify({
    private_keys: keys.map((k) => b64(k.secret)),
    public_keys: keys.map((k) => b64(k.pubkey)),
  });
}

/** keymanageropts.json next to Prysm's accounts folder (prysm/keystore.go walletConfig). */
export const PRYSM_CONFIG_JSON = JSON.stringify({ direct_eip_version: "EIP-2335" });

/**
 * Parse `custom-key-passwords`: YAML map of pubkey → password. Keys are accepted in any case, with
 * or without 0x; returned map is keyed by lowercase hex without 0x.
 *
 * @example
 * parseCustomKeyPasswords("ABCD…: hunter2\n", file).get("abcd…") // "hunter2"
 */
export function parseCustomKeyPasswords(text: string, file: string): Map<string, string> {
  let doc: unknown;
  try {
    // failsafe schema: every scalar stays a string (a password "123" or "yes" must not become a
    // number or boolean; Go unmarshals into map[string]string).
    doc = parseYaml(text, { schema: "failsafe" });
  } catch (err) {
    // The parser's message quotes the offending line (a password): report only its position.
    const pos = (err as { linePos?: { line: number; col: number }[] })?.linePos?.[0];
    throw new InputError("Custom key password file is not valid YAML", {
      file,
      details: pos ? `syntax error at line ${pos.line}, column ${pos.col}` : "syntax error",
    });
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new InputError("Custom key password file must be a YAML map of pubkey: password", {
      file,
    });
  }
  const out = new Map<string, string>();
  for (const [i, [k, v]] of Object.entries(doc as Record<string, unknown>).entries()) {
    const key = String(k).replace(/^0x/i, "").toLowerCase();
    if (!/^[0-9a-f]{96}$/.test(key)) {
      throw new InputError("Custom key password file has an entry that is not a validator pubkey", {
        file,
        field: `entry ${i + 1}`,
        metaMessages: ["Each line must be <96 hex digits of the pubkey>: <password>."],
      });
    }
    if (v !== null && typeof v !== "string") {
      throw new InputError("Custom key password must be a string", { file, field: `0x${key}` });
    }
    out.set(key, v ?? "");
  }
  return out;
}

/**
 * Serialize `custom-key-passwords` as the Smartnode CLI does (sorted keys, UPPERCASE hex pubkey
 * without 0x); values are quoted whenever YAML needs it.
 *
 * @example
 * customKeyPasswordsYaml(new Map([["ab…", "pw"]])) // "AB…: pw\n"
 */
export function customKeyPasswordsYaml(passwords: Map<string, string>): string {
  const obj: Record<string, string> = {};
  for (const k of [...passwords.keys()].map((x) => x.toUpperCase()).sort()) {
    obj[k] = passwords.get(k.toLowerCase()) ?? "";
  }
  return stringifyYaml(obj, { lineWidth: 0 });
}
