/**
 * Interop ("mocked start") validator keys, as every client's dev mode derives them
 * (ethereum/eth2.0-pm interop/mocked_start/README.md, keygen):
 *   sk_i = int.from_bytes(sha256(i.to_bytes(32, "little")), "little") mod r
 * serialised as 32 bytes big-endian (the BLS secret key encoding). `lodestar dev
 * --genesisValidators 64` puts the public keys of sk_0..sk_63 into its genesis state.
 * Well-known vector: sk_0 = 0x25295f0d…7a6866, pk_0 = 0xa99a76ed…4a38e44c.
 */
import { createHash } from "node:crypto";
import { CURVE_ORDER, publicKeyOf } from "../crypto/bls.js";
import { InputError } from "../errors.js";
import { bigIntToBytes, bytesToBigInt } from "../util/hex.js";

/**
 * The interop secret key of validator `index` (32 bytes, big-endian).
 *
 * @example
 * interopSecretKey(0) // 0x25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866
 */
export function interopSecretKey(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new InputError(`Interop validator index must be a non-negative integer, got ${index}`, {
      field: "index",
    });
  }
  const le = Buffer.alloc(32);
  le.writeUIntLE(index, 0, 6);
  const h = createHash("sha256").update(le).digest();
  const n = bytesToBigInt(Uint8Array.from(h).reverse()) % CURVE_ORDER;
  return bigIntToBytes(n, 32);
}

/**
 * The interop public key of validator `index` (48 bytes, compressed G1).
 *
 * @example
 * toHex(interopPublicKey(0)) // "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c"
 */
export function interopPublicKey(index: number): Uint8Array {
  return publicKeyOf(interopSecretKey(index));
}

/**
 * Parse an index range "a..b" (inclusive, as `lodestar dev --startValidators`) or "a,b,c".
 *
 * @example
 * parseIndexRange("48..63").length // 16
 */
export function parseIndexRange(spec: string): number[] {
  const m = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(spec);
  if (m) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (b < a) throw new InputError(`Empty validator range ${spec}`, { field: "validators" });
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  const parts = spec.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InputError(`Not a validator range: ${spec}`, {
      field: "validators",
      metaMessages: ['Use "a..b" (inclusive) or a comma list, e.g. "48..63" or "48,49,50".'],
    });
  }
  return parts.map(Number);
}
