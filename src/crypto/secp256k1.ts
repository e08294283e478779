/**
 * secp256k1 in one place: operator identity keys, their ECDSA signatures, and their libp2p peer
 * ids. Every other module (p2p identity files, QBFT message signatures, cluster definitions, CLI
 * flags) goes through here; nothing else imports `secp256k1` or `@noble/curves` directly.
 *
 * Keys (SEC 1 §2.3.3, SEC 2 §2.4.1): a secret key is a 32-byte big-endian scalar in [1, n); a
 * public key is the 33-byte compressed point — the libp2p peer-id spec's Secp256k1 public key.
 *
 * Signatures: ECDSA over sha256(bytes) (SEC 1 §4.1), 64-byte compact r ‖ s with low S (BIP-62 /
 * @noble/curves v2 semantics: a high-S twin is rejected, so a signature is not malleable).
 *
 * Backend: libsecp256k1 (bitcoin-core, the `secp256k1` npm package's prebuilt N-API binding) —
 * measured here sign 0.042 ms, verify 0.054 ms, vs OpenSSL through node:crypto 0.37 / 0.33 ms and
 * @noble/curves ≈ 1.5 ms to verify; every operator signs ~2 and verifies ~4 QBFT messages per
 * duty on the consensus critical path. libsecp256k1 signs with RFC 6979 nonces and low S, and its
 * verify rejects a high S (secp256k1.h `secp256k1_ecdsa_verify`), exactly this scheme. Where the
 * binding does not load (no prebuilt binary for the platform), node:crypto/OpenSSL is used
 * (`dsaEncoding: "ieee-p1363"` is the 64-byte r ‖ s form; OpenSSL does not normalise S, so the
 * signer folds S into the low half and the verifier rejects a high S itself; its nonces are
 * random). Both backends produce and accept the same signatures
 * (test/unit/core/consensus/signer.test.ts cross-checks them and @noble/curves). @noble/curves
 * parses and validates keys.
 *
 * Peer ids (libp2p peer-id spec, "Keys"): the identity multihash of the key's protobuf encoding
 * (`08 02 12 21 ‖ key`, 37 bytes ≤ 42, so inlined), base58btc-encoded: "16Uiu2HAm…" (53 chars).
 * Cluster definitions name operators by this string; {@link publicKeyFromIdentity} reads it back
 * (and also accepts the 0x-hex compressed key).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { createRequire } from "node:module";
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import { peerIdFromPublicKey, peerIdFromString } from "@libp2p/peer-id";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { InputError } from "../errors.js";
import { bigIntToBytes, bytesToBigInt, fromHex } from "../util/hex.js";

/**
 * secp256k1 secret key length (bytes).
 *
 * @example
 * if (sk.length !== SECP256K1_SECRET_LENGTH) throw new InputError("bad key");
 */
export const SECP256K1_SECRET_LENGTH = 32;

/**
 * Compressed secp256k1 public key length (SEC1; libp2p peer-id Secp256k1 public key format).
 *
 * @example
 * if (pk.length !== SECP256K1_PUBKEY_LENGTH) throw new InputError("bad key");
 */
export const SECP256K1_PUBKEY_LENGTH = 33;

/**
 * Length of a compact ECDSA signature r ‖ s (bytes).
 *
 * @example
 * if (sig.length !== SECP256K1_SIGNATURE_LENGTH) return false;
 */
export const SECP256K1_SIGNATURE_LENGTH = 64;

/** libsecp256k1's binding, or undefined where its prebuilt binary does not load. */
const libsecp256k1: typeof import("secp256k1") | undefined = (() => {
  try {
    // "secp256k1/bindings" is the native addon only (the package's main would fall back to
    // pure-JS elliptic, slower than OpenSSL).
    return createRequire(import.meta.url)("secp256k1/bindings");
  } catch {
    return undefined;
  }
})();

/**
 * A secp256k1 implementation: the libsecp256k1 binding or node:crypto's OpenSSL.
 *
 * @example
 * const sign = ecdsaSigner(secretKey, "openssl");
 */
export type Secp256k1Backend = "libsecp256k1" | "openssl";

/**
 * Which secp256k1 implementation signatures use here.
 *
 * @example
 * console.log(`QBFT signatures: ${SECP256K1_BACKEND}`);
 */
export const SECP256K1_BACKEND: Secp256k1Backend = libsecp256k1 ? "libsecp256k1" : "openssl";

function nativeLib(): typeof import("secp256k1") {
  if (!libsecp256k1) {
    throw new InputError("The libsecp256k1 binding did not load on this platform", {
      metaMessages: ['Use the "openssl" backend (the default here).'],
    });
  }
  return libsecp256k1;
}

const sha256 = (bytes: Uint8Array): Uint8Array => createHash("sha256").update(bytes).digest();

/** secp256k1 group order n (SEC 2 §2.4.1) and ⌊n/2⌋, the largest low S (BIP-62). */
const CURVE_N = secp256k1.Point.CURVE().n;
const HALF_N = CURVE_N >> 1n;

const b64url = (b: Uint8Array): string => Buffer.from(b).toString("base64url");

/**
 * Whether `secretKey` is a valid secp256k1 secret key: 32 bytes, a scalar in [1, n).
 *
 * @example
 * isValidSecretKey(new Uint8Array(32)) // false (zero)
 */
export function isValidSecretKey(secretKey: unknown): secretKey is Uint8Array {
  return (
    secretKey instanceof Uint8Array &&
    secretKey.length === SECP256K1_SECRET_LENGTH &&
    secp256k1.utils.isValidSecretKey(secretKey)
  );
}

/**
 * Throws InputError "Invalid secp256k1 operator identity key" unless {@link isValidSecretKey}.
 * The key itself never goes into the error.
 *
 * @example
 * assertSecretKey(sk);
 */
export function assertSecretKey(secretKey: unknown): asserts secretKey is Uint8Array {
  if (!isValidSecretKey(secretKey)) {
    throw new InputError("Invalid secp256k1 operator identity key", {
      details: `expected a ${SECP256K1_SECRET_LENGTH}-byte scalar in [1, n)`,
    });
  }
}

/**
 * A secret key: random (CSPRNG), or derived deterministically from `seed` (≥ 48 bytes; for tests
 * and benchmarks only) as @noble/curves `keygen` does.
 *
 * @example
 * const sk = generateSecretKey();
 */
export function generateSecretKey(seed?: Uint8Array): Uint8Array {
  return secp256k1.keygen(seed).secretKey;
}

/**
 * The 33-byte compressed public key of a secret key.
 *
 * @example
 * const pk = publicKeyOf(generateSecretKey()); // pk.length === 33
 */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(secretKey, true);
}

/**
 * Checks that `publicKey` encodes a point on the curve (compressed or uncompressed SEC1) and
 * returns its 33-byte compressed form. Throws the parser's Error otherwise (callers wrap it in an
 * InputError naming their field).
 *
 * @example
 * const pk = compressPublicKey(bytes);
 */
export function compressPublicKey(publicKey: Uint8Array): Uint8Array {
  return secp256k1.Point.fromBytes(publicKey).toBytes(true);
}

/**
 * ECDSA signing function of a secret key (scheme and backends in the module header).
 *
 * @example
 * const sign = ecdsaSigner(sk);
 * const sig = sign(new TextEncoder().encode("hello")); // 64 bytes, low S
 */
export function ecdsaSigner(
  secretKey: Uint8Array,
  backend: Secp256k1Backend = SECP256K1_BACKEND,
): (bytes: Uint8Array) => Uint8Array {
  assertSecretKey(secretKey);
  return backend === "libsecp256k1"
    ? libsecp256k1Signer(nativeLib(), secretKey)
    : opensslSigner(secretKey);
}

function libsecp256k1Signer(
  lib: typeof import("secp256k1"),
  secretKey: Uint8Array,
): (bytes: Uint8Array) => Uint8Array {
  const sk = Uint8Array.from(secretKey);
  return (bytes) => lib.ecdsaSign(sha256(bytes), sk).signature;
}

function opensslSigner(secretKey: Uint8Array): (bytes: Uint8Array) => Uint8Array {
  const xy = secp256k1.getPublicKey(secretKey, false);
  const key = createPrivateKey({
    key: {
      kty: "EC",
      crv: "secp256k1",
      x: b64url(xy.subarray(1, 33)),
      y: b64url(xy.subarray(33)),
      d: b64url(secretKey),
    },
    format: "jwk",
  });
  return (bytes) => {
    const sig = new Uint8Array(sign("sha256", bytes, { key, dsaEncoding: "ieee-p1363" }));
    const s = bytesToBigInt(sig.subarray(32));
    if (s > HALF_N) sig.set(bigIntToBytes(CURVE_N - s, 32), 32);
    return sig;
  };
}

/**
 * ECDSA verification function of a public key: returns false (never throws) for a malformed or
 * high-S signature. Throws the parser's Error when `publicKey` is not a curve point.
 *
 * @example
 * const ok = ecdsaVerifier(pk)(bytes, sig);
 */
export function ecdsaVerifier(
  publicKey: Uint8Array,
  backend: Secp256k1Backend = SECP256K1_BACKEND,
): (bytes: Uint8Array, signature: Uint8Array) => boolean {
  const point = secp256k1.Point.fromBytes(publicKey);
  if (backend === "libsecp256k1") {
    const lib = nativeLib();
    const compressed = point.toBytes(true);
    return (bytes, signature) => {
      if (!(signature instanceof Uint8Array) || signature.length !== SECP256K1_SIGNATURE_LENGTH)
        return false;
      try {
        // Rejects a high S (not normalised) and r, s ∉ [1, n) (parse error → false).
        return lib.ecdsaVerify(signature, sha256(bytes), compressed);
      } catch {
        return false;
      }
    };
  }
  const key = publicKeyObject(point);
  return (bytes, signature) => {
    if (!(signature instanceof Uint8Array) || signature.length !== SECP256K1_SIGNATURE_LENGTH)
      return false;
    // Low S only (OpenSSL accepts both twins); r, s ∈ [1, n) is OpenSSL's own check.
    if (bytesToBigInt(signature.subarray(32)) > HALF_N) return false;
    try {
      return verify("sha256", bytes, { key, dsaEncoding: "ieee-p1363" }, signature);
    } catch {
      return false;
    }
  };
}

/** OpenSSL public key of a validated point (JWK needs the affine x, y). */
function publicKeyObject(point: InstanceType<typeof secp256k1.Point>): KeyObject {
  const xy = point.toBytes(false); // 0x04 ‖ x ‖ y
  return createPublicKey({
    key: { kty: "EC", crv: "secp256k1", x: b64url(xy.subarray(1, 33)), y: b64url(xy.subarray(33)) },
    format: "jwk",
  });
}

/**
 * Shape of a secp256k1 peer id string: base58btc of the 39-byte identity multihash
 * `00 25 08 02 12 21 ‖ key`, which always starts "16Uiu2HA" and is 53 characters long.
 *
 * @example
 * SECP256K1_PEER_ID_PATTERN.test("16Uiu2HAm…") // true for a real peer id
 */
export const SECP256K1_PEER_ID_PATTERN = /^16Uiu2HA[1-9A-HJ-NP-Za-km-z]{45}$/;

/**
 * libp2p peer id string of a 33-byte compressed secp256k1 public key.
 *
 * @example
 * peerIdOfPublicKey(publicKeyOf(sk)) // "16Uiu2HAm…"
 */
export function peerIdOfPublicKey(publicKey: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString();
}

/**
 * The 33-byte compressed public key named by a cluster-definition identity string: a secp256k1
 * libp2p peer id ("16Uiu2HA…") or "0x" + 33 bytes of hex. Throws InputError naming `field`.
 *
 * @example
 * const pk = publicKeyFromIdentity(op.identity, `operators[${i}].identity`);
 */
export function publicKeyFromIdentity(identity: string, field = "identity"): Uint8Array {
  const pk =
    typeof identity === "string" && identity.startsWith("0x")
      ? fromHex(identity, { field, length: SECP256K1_PUBKEY_LENGTH })
      : publicKeyOfPeerId(identity, field);
  try {
    secp256k1.Point.fromBytes(pk);
  } catch (err) {
    throw new InputError("Operator identity is not a secp256k1 public key", { field, cause: err });
  }
  return pk;
}

function publicKeyOfPeerId(identity: string, field: string): Uint8Array {
  if (typeof identity !== "string" || !SECP256K1_PEER_ID_PATTERN.test(identity)) {
    throw new InputError("Operator identity is not a secp256k1 peer id", {
      field,
      details: `expected "16Uiu2HA…" (53 characters) or 0x + 33 bytes hex`,
      metaMessages: ["Print it with `rpdvt node identity --show FILE` on that operator's node."],
    });
  }
  try {
    const pid = peerIdFromString(identity);
    if (pid.type !== "secp256k1") throw new Error(`key type ${pid.type}`);
    return pid.publicKey.raw;
  } catch (err) {
    throw new InputError("Operator identity is not a valid secp256k1 peer id", {
      field,
      cause: err,
    });
  }
}
