/**
 * Operator identity signatures on QBFT messages.
 *
 * Every QBFT message is signed by its sender's operator identity key (Moniz arXiv:2002.03613 §2
 * assumes authenticated messages; justifications are relayed messages, so they need signatures,
 * not just authenticated links). The signer/verifier are injected: production uses secp256k1,
 * the key type of libp2p peer ids (libp2p peer-id spec, "Keys": Secp256k1 keys are 33-byte
 * compressed points, signatures ECDSA over sha256 — as Charon signs QBFT messages with its
 * k1 identity key, core/consensus/qbft/msg.go `signMsg`); tests may use cheaper schemes.
 *
 * Signatures are ECDSA over sha256(bytes) (SEC 1 §4.1), 64-byte compact r ‖ s with low S (BIP-62
 * / @noble/curves v2 semantics: a high-S twin is rejected, so a signature is not malleable).
 *
 * Backend: libsecp256k1 (bitcoin-core, the `secp256k1` npm package's prebuilt N-API binding) —
 * measured here sign 0.042 ms, verify 0.054 ms, vs OpenSSL through node:crypto 0.37 / 0.33 ms and
 * @noble/curves ≈ 1.5 ms to verify; every operator signs ~2 and verifies ~4 QBFT messages per
 * duty on the consensus critical path. libsecp256k1 signs with RFC 6979 nonces and low S, and its
 * verify rejects a high S (secp256k1.h `secp256k1_ecdsa_verify`), exactly this scheme. Where the
 * binding does not load (no prebuilt binary for the platform), node:crypto/OpenSSL is used
 * (`dsaEncoding: "ieee-p1363"` is the 64-byte r ‖ s form; OpenSSL does not normalise S, so sign()
 * folds S into the low half and verify() rejects a high S itself; its nonces are random). Both
 * backends produce and accept the same signatures (test/unit/core/consensus/signer.test.ts cross-checks
 * them and @noble/curves). @noble/curves parses and validates keys.
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
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { InputError } from "../../errors.js";

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
 * Which secp256k1 implementation QBFT signatures use here.
 *
 * @example
 * console.log(`QBFT signatures: ${SECP256K1_BACKEND}`);
 */
export const SECP256K1_BACKEND: Secp256k1Backend = libsecp256k1 ? "libsecp256k1" : "openssl";

/**
 * A secp256k1 implementation: the libsecp256k1 binding or node:crypto's OpenSSL.
 *
 * @example
 * const signer = secp256k1Signer(secretKey, "openssl");
 */
export type Secp256k1Backend = "libsecp256k1" | "openssl";

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
const scalarOf = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString("hex")}`);

/** OpenSSL public key of a validated compressed point (JWK needs the affine x, y). */
function publicKeyObject(point: InstanceType<typeof secp256k1.Point>): KeyObject {
  const xy = point.toBytes(false); // 0x04 ‖ x ‖ y
  return createPublicKey({
    key: { kty: "EC", crv: "secp256k1", x: b64url(xy.subarray(1, 33)), y: b64url(xy.subarray(33)) },
    format: "jwk",
  });
}

/**
 * Signs bytes with this operator's identity key.
 *
 * @example
 * const sig = signer.sign(signingBytes(msg));
 */
export interface Signer {
  sign(bytes: Uint8Array): Uint8Array;
}

/**
 * Verifies a signature by operator index. Must return false (never throw) for non-members and
 * malformed signatures. `n` is the cluster size (members are 0..n-1).
 *
 * @example
 * if (!verifier.verify(msg.source, signingBytes(msg), msg.signature)) drop();
 */
export interface Verifier {
  readonly n: number;
  verify(operator: number, bytes: Uint8Array, signature: Uint8Array): boolean;
}

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
 * Signer over a 32-byte secp256k1 secret key.
 *
 * @example
 * const { secretKey } = secp256k1.keygen();
 * const signer = secp256k1Signer(secretKey);
 */
export function secp256k1Signer(
  secretKey: Uint8Array,
  backend: Secp256k1Backend = SECP256K1_BACKEND,
): Signer {
  if (
    secretKey.length !== SECP256K1_SECRET_LENGTH ||
    !secp256k1.utils.isValidSecretKey(secretKey)
  ) {
    throw new InputError("Invalid secp256k1 operator identity key", {
      details: `expected a ${SECP256K1_SECRET_LENGTH}-byte scalar in [1, n)`,
    });
  }
  return backend === "libsecp256k1"
    ? libsecp256k1Signer(nativeLib(), secretKey)
    : opensslSigner(secretKey);
}

function libsecp256k1Signer(lib: typeof import("secp256k1"), secretKey: Uint8Array): Signer {
  const sk = Uint8Array.from(secretKey);
  return { sign: (bytes) => lib.ecdsaSign(sha256(bytes), sk).signature };
}

function opensslSigner(secretKey: Uint8Array): Signer {
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
  return {
    sign(bytes) {
      const sig = new Uint8Array(sign("sha256", bytes, { key, dsaEncoding: "ieee-p1363" }));
      const s = scalarOf(sig.subarray(32));
      if (s > HALF_N) sig.set(Buffer.from((CURVE_N - s).toString(16).padStart(64, "0"), "hex"), 32);
      return sig;
    },
  };
}

/**
 * Verifier over the cluster's operator public keys (33-byte compressed, index = operator index).
 *
 * @example
 * const verifier = secp256k1Verifier(operators.map((o) => o.identityPubkey));
 */
export function secp256k1Verifier(
  publicKeys: Uint8Array[],
  backend: Secp256k1Backend = SECP256K1_BACKEND,
): Verifier {
  const points = publicKeys.map((pk, i) => {
    if (pk.length !== SECP256K1_PUBKEY_LENGTH) {
      throw new InputError(`Operator ${i} identity public key must be 33 bytes compressed`, {
        field: `operators[${i}].publicKey`,
      });
    }
    try {
      return secp256k1.Point.fromBytes(pk);
    } catch (err) {
      throw new InputError(`Operator ${i} identity public key is not a secp256k1 point`, {
        field: `operators[${i}].publicKey`,
        cause: err,
      });
    }
  });
  if (backend === "libsecp256k1") {
    const lib = nativeLib();
    const compressed = points.map((p) => p.toBytes(true));
    return {
      n: compressed.length,
      verify(operator, bytes, signature) {
        const key = compressed[operator];
        if (!key || !(signature instanceof Uint8Array) || signature.length !== 64) return false;
        try {
          // Rejects a high S (not normalised) and r, s ∉ [1, n) (parse error → false).
          return lib.ecdsaVerify(signature, sha256(bytes), key);
        } catch {
          return false;
        }
      },
    };
  }
  const keys = points.map(publicKeyObject);
  return {
    n: keys.length,
    verify(operator, bytes, signature) {
      const key = keys[operator];
      if (!key || !(signature instanceof Uint8Array) || signature.length !== 64) return false;
      // Low S only (OpenSSL accepts both twins); r, s ∈ [1, n) is OpenSSL's own check.
      if (scalarOf(signature.subarray(32)) > HALF_N) return false;
      try {
        return verify("sha256", bytes, { key, dsaEncoding: "ieee-p1363" }, signature);
      } catch {
        return false;
      }
    },
  };
}

/**
 * Deterministic secp256k1 identity keys for tests/benchmarks (NOT for production): key i is
 * derived from `seed` and i.
 *
 * @example
 * const { signers, verifier } = secp256k1TestKeys(4, 1);
 */
export function secp256k1TestKeys(
  n: number,
  seed: number,
): { secretKeys: Uint8Array[]; signers: Signer[]; verifier: Verifier } {
  const secretKeys = Array.from({ length: n }, (_, i) => {
    const s = new Uint8Array(48);
    new DataView(s.buffer).setUint32(0, seed >>> 0);
    new DataView(s.buffer).setUint32(4, i);
    return secp256k1.keygen(s).secretKey;
  });
  return {
    secretKeys,
    signers: secretKeys.map((sk) => secp256k1Signer(sk)),
    verifier: secp256k1Verifier(secretKeys.map((sk) => secp256k1.getPublicKey(sk, true))),
  };
}

/**
 * No-op signing baseline (benchmarks; trusted in-process tests): empty signatures, every
 * signature from a member verifies. Offers NO authenticity.
 *
 * @example
 * const { signer, verifier } = noopSigning(4);
 */
export function noopSigning(n: number): { signer: Signer; verifier: Verifier } {
  const empty = new Uint8Array(0);
  return {
    signer: { sign: () => empty },
    verifier: { n, verify: (op) => Number.isInteger(op) && op >= 0 && op < n },
  };
}
