/**
 * EIP-2335 BLS12-381 keystores (version 4): scrypt or PBKDF2-HMAC-SHA256 KDF, SHA-256 checksum,
 * AES-128-CTR cipher. https://eips.ethereum.org/EIPS/eip-2335
 *
 * KDF parameters are always read from the file (never assumed). Passwords are normalised as the
 * EIP says: NFKD, then C0 (0x00–0x1F), DEL (0x7F) and C1 (0x80–0x9F) control codes stripped; on
 * request as wealdtech/go-eth2-wallet-encryptor-keystorev4 does (C1 kept; see
 * {@link PasswordNormalization}). scrypt runs on libuv's thread pool, so concurrent decryptions
 * use all cores.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  pbkdf2,
  randomBytes,
  randomUUID,
  scrypt,
  timingSafeEqual,
} from "node:crypto";
import { promisify } from "node:util";
import { z } from "zod";
import { InputError } from "../errors.js";
import { fromHex, toHex } from "../util/hex.js";
import { parseWith } from "../util/schema.js";

const scryptAsync = promisify(scrypt) as (
  password: Uint8Array,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/** EIP-2335 defaults for new keystores ("Test Cases"/"Definition": scrypt n=2^18, r=8, p=1; pbkdf2 c=2^18). */
export const SCRYPT_DEFAULTS = { dklen: 32, n: 262144, r: 8, p: 1 } as const;
export const PBKDF2_DEFAULTS = { dklen: 32, c: 262144, prf: "hmac-sha256" } as const;
/**
 * Bytes scrypt allocates for these parameters (OpenSSL EVP_PBE_scrypt, which Node uses:
 * B = 128·r·p, V = 128·r·(N+2)), the figure checked against {@link SCRYPT_MAXMEM}.
 *
 * @example
 * scryptMemory({ n: 2 ** 18, r: 8, p: 1 }) // 268437504 (≈ 256 MiB)
 */
export function scryptMemory(params: { n: number; r: number; p: number }): number {
  return 128 * params.r * params.p + 128 * params.r * (params.n + 2);
}

/**
 * Memory cap of one scrypt KDF: what n=2^19, r=8, p=1 needs (≈512 MiB), twice EIP-2335's default
 * (n=2^18: 256 MiB; Node's own default maxmem is 32 MiB). Keystores are decrypted several at a
 * time and their parameters come from untrusted files (the schema allows n=2^24, r=64: 128 GiB),
 * so a keystore asking for more (n=2^21, r=8: 2 GiB) is refused with an error naming it.
 */
export const SCRYPT_MAXMEM = scryptMemory({ n: 2 ** 19, r: 8, p: 1 });

const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MiB`;

function kdfTooCostly(
  kdf: Extract<KeystoreCrypto["kdf"], { function: "scrypt" }>,
  file: string | undefined,
  cause?: unknown,
): InputError {
  const { n, r, p } = kdf.params;
  const log2 = Math.log2(n);
  return new InputError(
    `Keystore KDF parameters need ${mib(scryptMemory(kdf.params))} of memory (scrypt n=${Number.isInteger(log2) ? `2^${log2}` : n}, r=${r}, p=${p}), more than the ${mib(SCRYPT_MAXMEM)} rpdvt allows per keystore`,
    {
      file,
      field: "crypto.kdf.params",
      cause,
      metaMessages: [
        "EIP-2335's standard scrypt parameters (n=2^18, r=8, p=1) need 256 MiB.",
        "Re-encrypt this key with standard parameters (e.g. import it into a validator client or `ethdo` and export it again), then retry.",
      ],
    },
  );
}

const hexString = z.string().regex(/^(0x)?([0-9a-fA-F]{2})*$/, "must be hex");

const kdfSchema = z.discriminatedUnion("function", [
  z.object({
    function: z.literal("scrypt"),
    params: z.object({
      dklen: z.number().int().min(32).max(64),
      n: z
        .number()
        .int()
        .min(2)
        .max(2 ** 24)
        .refine((n) => (n & (n - 1)) === 0, "n must be a power of 2"),
      r: z.number().int().min(1).max(64),
      p: z.number().int().min(1).max(16),
      salt: hexString,
    }),
    message: z.string(),
  }),
  z.object({
    function: z.literal("pbkdf2"),
    params: z.object({
      dklen: z.number().int().min(32).max(64),
      c: z
        .number()
        .int()
        .min(1)
        .max(2 ** 24),
      prf: z.literal("hmac-sha256"),
      salt: hexString,
    }),
    message: z.string(),
  }),
]);

/** The `crypto` object of an EIP-2335 keystore (also used by go-eth2-wallet and Smartnode wallets). */
export const keystoreCryptoSchema = z.object({
  kdf: kdfSchema,
  checksum: z.object({
    function: z.literal("sha256"),
    params: z.object({}).passthrough(),
    message: hexString,
  }),
  cipher: z.object({
    function: z.literal("aes-128-ctr"),
    params: z.object({ iv: hexString }),
    message: hexString,
  }),
});
export type KeystoreCrypto = z.infer<typeof keystoreCryptoSchema>;

/** A whole EIP-2335 keystore. `path` may be empty (keys not derived from a seed). */
export const keystoreSchema = z.object({
  crypto: keystoreCryptoSchema,
  description: z.string().optional(),
  pubkey: z.string().optional(),
  path: z.string(),
  uuid: z.string(),
  version: z.literal(4),
});
export type Keystore = z.infer<typeof keystoreSchema>;

/**
 * How a password becomes KDF input.
 * - "eip-2335": EIP-2335 "Password requirements": NFKD, then C0 (0x00–0x1F), DEL (0x7F) and C1
 *   (0x80–0x9F) control codes stripped.
 * - "keystorev4-go": wealdtech/go-eth2-wallet-encryptor-keystorev4 `normPassphrase` (norm.go,
 *   used by both its Encrypt and Decrypt), the encryptor of the Smartnode's wallets: NFKD, C0 and
 *   DEL stripped, C1 kept. Its strip table lists 0x80–0x9F, but it is looked up only for one-byte runes, and a
 *   C1 character (U+0080–U+009F) is two bytes in UTF-8. The two differ only for passwords with C1
 *   characters.
 *
 * @example
 * const n: PasswordNormalization = "keystorev4-go";
 */
export type PasswordNormalization = "eip-2335" | "keystorev4-go";

/**
 * Normalise a password for the KDF (see {@link PasswordNormalization}; EIP-2335 by default).
 *
 * @example
 * normalizePassword("𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑") // UTF-8 bytes of "testpassword🔑"
 * normalizePassword("pass\u0085word", "keystorev4-go") // UTF-8 bytes of "pass\u0085word"
 */
export function normalizePassword(
  password: string | Uint8Array,
  normalization: PasswordNormalization = "eip-2335",
): Uint8Array {
  const s = typeof password === "string" ? password : Buffer.from(password).toString("utf8");
  const controls =
    normalization === "eip-2335"
      ? // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control codes is the point
        /[\u0000-\u001f\u007f-\u009f]/g
      : // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control codes is the point
        /[\u0000-\u001f\u007f]/g;
  const cleaned = s.normalize("NFKD").replace(controls, "");
  return new Uint8Array(Buffer.from(cleaned, "utf8"));
}

/**
 * True when the password holds a C1 control character (U+0080–U+009F) after NFKD, i.e. when the
 * EIP-2335 and keystorev4-go normalisations give different KDF input.
 *
 * @example
 * hasC1Control("pass\u0085word") // true
 */
export function hasC1Control(password: string | Uint8Array): boolean {
  const s = typeof password === "string" ? password : Buffer.from(password).toString("utf8");
  return /[\u0080-\u009f]/.test(s.normalize("NFKD"));
}

/**
 * Validate JSON as an EIP-2335 keystore, with an error naming the file and the field.
 *
 * @example
 * const ks = parseKeystore(JSON.parse(text), "/keys/keystore-0.json");
 */
export function parseKeystore(json: unknown, file?: string): Keystore {
  return parseWith(keystoreSchema, json, "Not a valid EIP-2335 keystore", file);
}

async function deriveKey(
  kdf: KeystoreCrypto["kdf"],
  password: Uint8Array,
  file?: string,
): Promise<Uint8Array> {
  const salt = fromHex(kdf.params.salt, { field: "crypto.kdf.params.salt", file });
  if (kdf.function === "scrypt") {
    const { n, r, p, dklen } = kdf.params;
    if (scryptMemory(kdf.params) > SCRYPT_MAXMEM) throw kdfTooCostly(kdf, file);
    try {
      return await scryptAsync(password, salt, dklen, { N: n, r, p, maxmem: SCRYPT_MAXMEM });
    } catch (err) {
      // node:crypto refuses parameters over maxmem (ERR_CRYPTO_INVALID_SCRYPT_PARAMS) and can fail
      // to allocate below it: both are about this keystore's KDF parameters.
      throw kdfTooCostly(kdf, file, err);
    }
  }
  return pbkdf2Async(password, salt, kdf.params.c, kdf.params.dklen, "sha256");
}

function checksum(dk: Uint8Array, cipherMessage: Uint8Array): Uint8Array {
  return createHash("sha256").update(dk.subarray(16, 32)).update(cipherMessage).digest();
}

/**
 * Decrypt an EIP-2335 `crypto` section; throws an InputError on a wrong password (checksum,
 * field `crypto.checksum`). `where.normalization` picks the password normalisation.
 *
 * @example
 * const secret = await decryptCrypto(ks.crypto, password, { file });
 */
export async function decryptCrypto(
  crypto: KeystoreCrypto,
  password: string | Uint8Array,
  where: { file?: string | undefined; normalization?: PasswordNormalization } = {},
): Promise<Uint8Array> {
  const dk = await deriveKey(
    crypto.kdf,
    normalizePassword(password, where.normalization),
    where.file,
  );
  const cipherMessage = fromHex(crypto.cipher.message, {
    field: "crypto.cipher.message",
    file: where.file,
  });
  const expected = fromHex(crypto.checksum.message, {
    field: "crypto.checksum.message",
    file: where.file,
  });
  const actual = checksum(dk, cipherMessage);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new InputError("Keystore checksum mismatch: wrong password, or the keystore is corrupt", {
      file: where.file,
      field: "crypto.checksum",
      metaMessages: ["Check the password file that belongs to this keystore."],
    });
  }
  const iv = fromHex(crypto.cipher.params.iv, {
    field: "crypto.cipher.params.iv",
    file: where.file,
    length: 16,
  });
  const d = createDecipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  return new Uint8Array(Buffer.concat([d.update(cipherMessage), d.final()]));
}

export type KdfChoice = "scrypt" | "pbkdf2";

/**
 * Encrypt a secret into an EIP-2335 `crypto` section with a fresh salt and IV.
 * `kdfParams` overrides the defaults (e.g. lighter parameters for test fixtures);
 * `normalization` picks the password normalisation (EIP-2335 unless told).
 *
 * @example
 * const crypto = await encryptCrypto(secret, password, "scrypt");
 */
export async function encryptCrypto(
  secret: Uint8Array,
  password: string | Uint8Array,
  kdf: KdfChoice = "scrypt",
  kdfParams: { n?: number; c?: number } = {},
  normalization: PasswordNormalization = "eip-2335",
): Promise<KeystoreCrypto> {
  const salt = toHex(randomBytes(32), false);
  const kdfSection: KeystoreCrypto["kdf"] =
    kdf === "scrypt"
      ? {
          function: "scrypt",
          params: { ...SCRYPT_DEFAULTS, n: kdfParams.n ?? SCRYPT_DEFAULTS.n, salt },
          message: "",
        }
      : {
          function: "pbkdf2",
          params: { ...PBKDF2_DEFAULTS, c: kdfParams.c ?? PBKDF2_DEFAULTS.c, salt },
          message: "",
        };
  const dk = await deriveKey(kdfSection, normalizePassword(password, normalization));
  const iv = randomBytes(16);
  const c = createCipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  const cipherMessage = new Uint8Array(Buffer.concat([c.update(secret), c.final()]));
  return {
    kdf: kdfSection,
    checksum: {
      function: "sha256",
      params: {},
      message: toHex(checksum(dk, cipherMessage), false),
    },
    cipher: {
      function: "aes-128-ctr",
      params: { iv: toHex(iv, false) },
      message: toHex(cipherMessage, false),
    },
  };
}

/**
 * Build a whole EIP-2335 keystore for a BLS secret (`pubkey` given without `0x`, as the EIP's examples).
 *
 * @example
 * const ks = await encryptKeystore(secret, password, { pubkey, path: "m/12381/3600/0/0/0" });
 */
export async function encryptKeystore(
  secret: Uint8Array,
  password: string | Uint8Array,
  opts: {
    pubkey: Uint8Array;
    path?: string;
    description?: string;
    kdf?: KdfChoice;
    kdfParams?: { n?: number; c?: number };
  },
): Promise<Keystore> {
  return {
    crypto: await encryptCrypto(secret, password, opts.kdf ?? "scrypt", opts.kdfParams),
    description: opts.description ?? "",
    pubkey: toHex(opts.pubkey, false),
    path: opts.path ?? "",
    uuid: randomUUID(),
    version: 4,
  };
}

/**
 * Decrypt a keystore and return its secret.
 *
 * @example
 * const secret = await decryptKeystore(ks, password, "/keys/keystore-0.json");
 */
export async function decryptKeystore(
  ks: Keystore,
  password: string | Uint8Array,
  file?: string,
): Promise<Uint8Array> {
  return decryptCrypto(ks.crypto, password, { file });
}

/**
 * A fresh strong password for a generated keystore: 32 random bytes as hex (256 bits).
 *
 * @example
 * const pw = randomPassword();
 */
export function randomPassword(): string {
  return randomBytes(32).toString("hex");
}
