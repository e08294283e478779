/**
 * RSA operator keys for SSV Network: parse, encrypt shares to them, decrypt shares with them.
 *
 * Formats (ssvlabs/ssv-keys src/commands/actions/validators/operator.ts and ssv-dkg examples):
 * - an operator public key is base64 of a PEM labelled "RSA PUBLIC KEY" whose DER is actually
 *   an X.509 SubjectPublicKeyInfo (not PKCS#1 RSAPublicKey), so it is parsed from the DER here,
 *   trying SPKI first and PKCS#1 second. SSV operators use RSA-2048; anything else is refused.
 * - a share is encrypted with RSAES-PKCS1-v1_5 (RFC 8017 §7.2), as ssv-keys does with JSEncrypt.
 *
 * Decryption: Node 20 refuses RSA_PKCS1_PADDING in `privateDecrypt` (CVE-2023-46809, the Marvin
 * attack) unless a process-wide flag is set. We do the raw RSA operation with `RSA_NO_PADDING`
 * (still allowed, measured ~1 ms per 2048-bit block) and strip the type-2 padding ourselves
 * (RFC 8017 §7.2.2 step 3), scanning every byte without early exit. Decryption only ever runs
 * offline on files and keys the user holds (the `verify` command), never as a network oracle,
 * so the Bleichenbacher/Marvin timing side channel has no attacker to talk to; we still report
 * one uniform error for every padding fault. No extra dependency is needed.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
} from "node:crypto";
import { InputError, VerificationError } from "../errors.js";

/** SSV operator keys are RSA-2048 (ssv node `rsaencryption.GenerateKeys`, ssv-dkg `crypto.GenerateRSAKeys`). */
export const OPERATOR_KEY_BITS = 2048;
/**
 * Ciphertext length of one encrypted share: the modulus size in bytes, 2048/8. Real mainnet
 * operator keys (e.g. in ssv-sdk's valid_keyshares.json) include 2047-bit moduli, so "RSA-2048"
 * means a modulus of exactly this many bytes (2041..2048 bits), which is what the format needs.
 */
export const RSA_CIPHERTEXT_LENGTH = OPERATOR_KEY_BITS / 8;

/** Modulus length in bytes (RFC 8017 `k`). */
function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}
/** RFC 8017 §7.2.2: PKCS#1 v1.5 type-2 padding string is at least 8 non-zero bytes. */
const MIN_PS_LENGTH = 8;

type Where = {
  operatorId?: number | undefined;
  file?: string | undefined;
  field?: string | undefined;
};

function who(where: Where): string {
  return where.operatorId !== undefined ? `operator ${where.operatorId}` : "operator";
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** Strip PEM armour; returns the label and the DER bytes, or undefined if `text` is not PEM. */
function unPem(text: string): { label: string; der: Buffer } | undefined {
  const m = PEM_RE.exec(text);
  if (!m) return undefined;
  const body = (m[2] ?? "").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return undefined;
  return { label: m[1] ?? "", der: Buffer.from(body, "base64") };
}

function assertRsa2048(key: KeyObject, where: Where, kind: string): void {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== "rsa" || modulusBytes(key) !== RSA_CIPHERTEXT_LENGTH) {
    throw new InputError(`The ${kind} of ${who(where)} is not an RSA-${OPERATOR_KEY_BITS} key`, {
      file: where.file,
      field: where.field,
      details: `got ${key.asymmetricKeyType ?? "unknown"}${bits ? `-${bits}` : ""}`,
      metaMessages: [
        "SSV operators use RSA-2048 keys: check that the key belongs to this operator id.",
      ],
    });
  }
}

/**
 * Parse an SSV operator public key: base64 of a PEM (the form in SSV's API, contract events and
 * keyshares files), or the PEM itself. Must be RSA-2048.
 *
 * @example
 * const key = parseOperatorPublicKey(operatorsInfo[0].public_key, { operatorId: 11 });
 */
export function parseOperatorPublicKey(text: string, where: Where = {}): KeyObject {
  const trimmed = typeof text === "string" ? text.trim() : "";
  const pemText = trimmed.startsWith("-----BEGIN")
    ? trimmed
    : /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)
      ? Buffer.from(trimmed, "base64").toString("latin1")
      : "";
  const pem = unPem(pemText);
  if (!pem || !/PUBLIC KEY$/.test(pem.label)) {
    throw new InputError(`The public key of ${who(where)} is not a base64 PEM public key`, {
      file: where.file,
      field: where.field,
      metaMessages: [
        'Give the operator key as SSV shows it (base64 of "-----BEGIN RSA PUBLIC KEY-----…"), e.g. from the SSV explorer or operators_info.json.',
      ],
    });
  }
  let key: KeyObject | undefined;
  for (const type of ["spki", "pkcs1"] as const) {
    try {
      key = createPublicKey({ key: pem.der, format: "der", type });
      break;
    } catch {
      // try the other DER layout
    }
  }
  if (!key) {
    throw new InputError(`The public key of ${who(where)} cannot be parsed`, {
      file: where.file,
      field: where.field,
      details: "DER is neither SubjectPublicKeyInfo nor PKCS#1 RSAPublicKey",
    });
  }
  assertRsa2048(key, where, "public key");
  return key;
}

/**
 * A stable identity for an RSA public key (hex of its SPKI DER), to match private keys to
 * operator keys whatever PEM label or base64 wrapping each side used.
 *
 * @example
 * if (publicKeyId(createPublicKey(priv)) === publicKeyId(opKey)) { ... }
 */
export function publicKeyId(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "der" }).toString("hex");
}

/**
 * The canonical SSV text of an operator public key: base64 of a PEM labelled "RSA PUBLIC KEY"
 * around the SPKI DER in 64-column lines, with a trailing newline (what the SSV node generates).
 *
 * @example
 * encodeOperatorPublicKey(parseOperatorPublicKey(b64)) === b64 // for keys from SSV
 */
export function encodeOperatorPublicKey(key: KeyObject): string {
  const b64 = Buffer.from(publicKeyId(key), "hex").toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN RSA PUBLIC KEY-----\n${lines.join("\n")}\n-----END RSA PUBLIC KEY-----\n`;
  return Buffer.from(pem, "latin1").toString("base64");
}

/**
 * Parse an RSA private key PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY"); must be RSA-2048.
 *
 * @example
 * const priv = parseOperatorPrivateKey(pemText, { file: "op1.json" });
 */
export function parseOperatorPrivateKey(pemText: string, where: Where = {}): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pemText, format: "pem" });
  } catch (err) {
    throw new InputError("Not a PEM RSA private key", {
      file: where.file,
      field: where.field,
      details: (err as NodeJS.ErrnoException)?.code ?? "unparseable key",
      metaMessages: [
        "An operator private key is a PEM file, or an ssv-dkg encrypted_private_key.json with its password.",
      ],
    });
  }
  assertRsa2048(key, where, "private key");
  return key;
}

/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1) of `plaintext` to an RSA public key.
 *
 * @example
 * const ct = rsaEncrypt(operatorKey, Buffer.from("0x" + shareHex)); // 256 bytes
 */
export function rsaEncrypt(key: KeyObject, plaintext: Uint8Array): Uint8Array {
  return new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, plaintext));
}

/**
 * RSAES-PKCS1-v1_5 decryption (RFC 8017 §7.2.2): raw RSA, then the type-2 padding
 * `00 02 PS(≥8 non-zero) 00 M` is checked over every byte and stripped. One error for any fault.
 *
 * @example
 * const plaintext = rsaDecrypt(privateKey, ciphertext, { operatorId: 11, field: "shares[0].sharesData" });
 */
export function rsaDecrypt(key: KeyObject, ciphertext: Uint8Array, where: Where = {}): Uint8Array {
  const k = modulusBytes(key);
  const fail = (details: string) =>
    new VerificationError(
      `Encrypted share for ${who(where)} does not decrypt with its private key`,
      {
        details,
        metaMessages: [
          where.field ? `Field: ${where.field}` : "",
          where.file ? `File: ${where.file}` : "",
        ].filter((m) => m !== ""),
      },
    );
  if (ciphertext.length !== k)
    throw fail(`ciphertext is ${ciphertext.length} bytes, expected ${k}`);
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw fail("RSA decryption failed (ciphertext not below the modulus)");
  }
  // Branch-free scan: find the first 0x00 after the two header bytes, track validity.
  let bad = (em[0] ?? 1) | ((em[1] ?? 0) ^ 0x02);
  let sep = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = (em[i] as number) === 0 ? 1 : 0;
    const first = isZero & (sep === 0 ? 1 : 0);
    sep = first ? i : sep;
  }
  bad |= sep === 0 ? 1 : 0;
  bad |= sep < 2 + MIN_PS_LENGTH ? 1 : 0;
  if (bad !== 0) throw fail("PKCS#1 v1.5 padding is invalid (wrong key or corrupted ciphertext)");
  return new Uint8Array(em.subarray(sep + 1));
}
