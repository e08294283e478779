/**
 * Hex and byte helpers — the one home for them (issue 14: no module keeps its own `hex()`).
 *
 * Hex is lowercase and `0x`-prefixed on output (the Beacon API / consensus-specs "hex-encoded
 * with 0x prefix" convention); input accepts either case, with or without `0x`. Big integers
 * convert as big-endian unsigned (SEC 1 §2.3.7 / §2.3.8 Octet-String ↔ Integer; BLS12-381 and
 * secp256k1 scalars, Shamir shares).
 */
import { InputError } from "../errors.js";

/**
 * Bytes → lowercase hex, `0x`-prefixed by default.
 *
 * @example
 * toHex(new Uint8Array([1, 255])) // "0x01ff"
 */
export function toHex(bytes: Uint8Array, prefix = true): string {
  return (
    (prefix ? "0x" : "") +
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")
  );
}

/**
 * Hex (with or without `0x`) → bytes, with a labelled error on bad input.
 *
 * @example
 * fromHex("0x01ff", { field: "pubkey", length: 2 }) // Uint8Array [1, 255]
 */
export function fromHex(
  hex: string,
  opts: { field?: string; file?: string; length?: number } = {},
): Uint8Array {
  const s = typeof hex === "string" && hex.startsWith("0x") ? hex.slice(2) : hex;
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new InputError("Expected a hex string", {
      field: opts.field,
      file: opts.file,
      details:
        typeof hex === "string"
          ? `got ${hex.length} characters that are not even-length hex`
          : `got ${typeof hex}`,
    });
  }
  const out = new Uint8Array(Buffer.from(s, "hex"));
  if (opts.length !== undefined && out.length !== opts.length) {
    throw new InputError(`Expected ${opts.length} bytes of hex, got ${out.length}`, {
      field: opts.field,
      file: opts.file,
    });
  }
  return out;
}

/**
 * Whether two byte arrays hold the same bytes.
 *
 * @example
 * bytesEqual(a, a.slice()) // true
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // Roots, hashes and keys (≤ 96 bytes) compare fastest in a loop; longer ones via memcmp.
  if (a.length <= 96) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/**
 * Big-endian unsigned integer of bytes (empty → 0n).
 *
 * @example
 * bytesToBigInt(new Uint8Array([1, 0])) // 256n
 */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(toHex(bytes));
}

/**
 * `length` big-endian bytes of a non-negative integer; a RangeError if it does not fit.
 *
 * @example
 * bigIntToBytes(256n, 2) // Uint8Array [1, 0]
 */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const digits = value.toString(16);
  if (value < 0n || digits.length > 2 * length)
    throw new RangeError(`${value} does not fit in ${length} unsigned bytes`);
  return new Uint8Array(Buffer.from(digits.padStart(2 * length, "0"), "hex"));
}
