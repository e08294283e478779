/**
 * BLS12-381 signatures for Ethereum consensus, on blst (`@chainsafe/blst`, native).
 *
 * Spec: IETF draft-irtf-cfrg-bls-signature-05, ciphersuite BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_
 * (consensus-specs phase0 "BLS signatures"): public keys in G1 (48 bytes compressed), signatures
 * in G2 (96 bytes compressed). blst's `fromBytes` does NOT subgroup-check unless asked: every
 * parse of untrusted bytes here asks (rejects identity and out-of-subgroup points).
 */
import { verify as blstVerify, PublicKey, SecretKey, Signature } from "@chainsafe/blst";
import { InputError } from "../errors.js";
import { bytesToBigInt } from "../util/hex.js";

/** BLS12-381 scalar field order r (IETF BLS draft, §2.1; consensus-specs `BLS_MODULUS` of the curve). */
export const CURVE_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
/** Compressed G1 public key length. */
export const PUBKEY_LENGTH = 48;
/** Compressed G2 signature length. */
export const SIGNATURE_LENGTH = 96;
/** Secret key length (big-endian scalar). */
export const SECRET_LENGTH = 32;

type Where = { field?: string | undefined; file?: string | undefined };

/**
 * Parse a 32-byte big-endian secret key; rejects zero and values ≥ r.
 *
 * @example
 * const sk = secretKeyFromBytes(bytes, { field: "share" });
 */
export function secretKeyFromBytes(bytes: Uint8Array, where: Where = {}): SecretKey {
  if (bytes.length !== SECRET_LENGTH) {
    throw new InputError(`Secret key must be ${SECRET_LENGTH} bytes, got ${bytes.length}`, where);
  }
  const v = bytesToBigInt(bytes);
  if (v === 0n || v >= CURVE_ORDER) {
    throw new InputError(
      "Secret key is not a valid BLS12-381 scalar (zero or ≥ curve order)",
      where,
    );
  }
  return SecretKey.fromBytes(bytes);
}

/**
 * Parse an untrusted compressed G1 public key: length, on-curve, in the subgroup, not identity.
 *
 * @example
 * const pk = publicKeyFromBytes(fromHex(json.pubkey), { field: "pubkey", file });
 */
export function publicKeyFromBytes(bytes: Uint8Array, where: Where = {}): PublicKey {
  return pointFromBytes(bytes, "public key", (b) => PublicKey.fromBytes(b, true), where);
}

/** Length and subgroup of the compressed points {@link pointFromBytes} parses. */
const POINTS = {
  "public key": { length: PUBKEY_LENGTH, group: "G1" },
  signature: { length: SIGNATURE_LENGTH, group: "G2" },
} as const;

/** A compressed point, subgroup-checked by `parse`; an InputError naming `what` otherwise. */
function pointFromBytes<P>(
  bytes: Uint8Array,
  what: keyof typeof POINTS,
  parse: (bytes: Uint8Array) => P,
  where: Where,
): P {
  const { length, group } = POINTS[what];
  if (bytes.length !== length) {
    throw new InputError(`BLS ${what} must be ${length} bytes, got ${bytes.length}`, where);
  }
  try {
    return parse(bytes);
  } catch (err) {
    throw new InputError(`Invalid BLS ${what} (not a valid point in the ${group} subgroup)`, {
      ...where,
      cause: err,
    });
  }
}

/**
 * Parse an untrusted compressed G2 signature with the subgroup check.
 *
 * @example
 * const sig = signatureFromBytes(bytes, { field: "sharesData.signature" });
 */
export function signatureFromBytes(bytes: Uint8Array, where: Where = {}): Signature {
  return pointFromBytes(bytes, "signature", (b) => Signature.fromBytes(b, true), where);
}

/**
 * Public key (compressed, 48 bytes) of a 32-byte secret.
 *
 * @example
 * const pubkey = publicKeyOf(secret);
 */
export function publicKeyOf(secret: Uint8Array): Uint8Array {
  return secretKeyFromBytes(secret).toPublicKey().toBytes();
}

/**
 * Sign `message` with a 32-byte secret; returns the 96-byte compressed signature.
 * Callers that sign consensus objects must go through slashing protection first.
 *
 * @example
 * const sig = signMessage(secret, messageHash);
 */
export function signMessage(secret: Uint8Array, message: Uint8Array): Uint8Array {
  return secretKeyFromBytes(secret).sign(message).toBytes();
}

/**
 * Verify a signature over `message` by `pubkey` (both untrusted bytes; subgroup-checked).
 * Returns false (never throws) for a wrong or malformed signature.
 *
 * @example
 * if (!verifySignature(pubkey, message, sig)) throw new VerificationError("bad signature");
 */
export function verifySignature(
  pubkey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return blstVerify(message, publicKeyFromBytes(pubkey), signatureFromBytes(signature));
  } catch {
    return false;
  }
}
