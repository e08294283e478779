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
 * The secp256k1 scheme (ECDSA over sha256, 64-byte compact low-S signatures) and its backends
 * (libsecp256k1, OpenSSL) live in src/crypto/secp256k1.ts; this module adapts them to the
 * operator-indexed {@link Signer} / {@link Verifier} that QBFT takes.
 */
import {
  compressPublicKey,
  ecdsaSigner,
  ecdsaVerifier,
  generateSecretKey,
  publicKeyOf,
  SECP256K1_BACKEND,
  SECP256K1_PUBKEY_LENGTH,
  type Secp256k1Backend,
} from "../../crypto/secp256k1.js";
import { InputError } from "../../errors.js";

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
 * Signer over a 32-byte secp256k1 secret key.
 *
 * @example
 * const signer = secp256k1Signer(generateSecretKey());
 */
export function secp256k1Signer(
  secretKey: Uint8Array,
  backend: Secp256k1Backend = SECP256K1_BACKEND,
): Signer {
  return { sign: ecdsaSigner(secretKey, backend) };
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
  const verifiers = publicKeys.map((pk, i) => {
    if (pk.length !== SECP256K1_PUBKEY_LENGTH) {
      throw new InputError(`Operator ${i} identity public key must be 33 bytes compressed`, {
        field: `operators[${i}].publicKey`,
      });
    }
    try {
      return ecdsaVerifier(compressPublicKey(pk), backend);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`Operator ${i} identity public key is not a secp256k1 point`, {
        field: `operators[${i}].publicKey`,
        cause: err,
      });
    }
  });
  return {
    n: verifiers.length,
    verify: (operator, bytes, signature) => verifiers[operator]?.(bytes, signature) ?? false,
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
    return generateSecretKey(s);
  });
  return {
    secretKeys,
    signers: secretKeys.map((sk) => secp256k1Signer(sk)),
    verifier: secp256k1Verifier(secretKeys.map(publicKeyOf)),
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
