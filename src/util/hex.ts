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
