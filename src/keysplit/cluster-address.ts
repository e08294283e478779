/**
 * Ethereum addresses with the EIP-55 mixed-case checksum
 * (https://eips.ethereum.org/EIPS/eip-55): hex digit i is upper-cased when nibble i of
 * keccak256(lowercase hex, as ASCII) is ≥ 8. Used for fee recipients and withdrawal addresses.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InputError } from "../errors.js";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/**
 * EIP-55 checksum form of a 20-byte address given as `0x` + 40 hex (any case).
 *
 * @example
 * checksumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") // "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
 */
export function checksumAddress(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(lower))).toString("hex");
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i] as string;
    out += Number.parseInt(hash[i] as string, 16) >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}

/**
 * Validate an address from the user and return its EIP-55 form. All-lowercase or all-uppercase
 * input is accepted (it carries no checksum); mixed case must be a correct checksum (a typo guard).
 *
 * @example
 * parseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", { field: "feeRecipient" })
 */
export function parseAddress(
  address: string,
  where: { field?: string; file?: string } = {},
): string {
  if (typeof address !== "string" || !ADDRESS_RE.test(address)) {
    throw new InputError("Expected an Ethereum address (0x followed by 40 hex digits)", {
      ...where,
      details:
        typeof address === "string" ? `got ${address.length} characters` : `got ${typeof address}`,
    });
  }
  const body = address.slice(2);
  const checksummed = checksumAddress(address);
  if (body !== body.toLowerCase() && body !== body.toUpperCase() && checksummed !== address) {
    throw new InputError("Address has an invalid EIP-55 checksum (mistyped?)", {
      ...where,
      details: `expected ${checksummed}`,
      metaMessages: ["Copy the address again from its source, or give it in all lowercase."],
    });
  }
  return checksummed;
}

/**
 * True when `address` is exactly in EIP-55 checksum form.
 *
 * @example
 * isChecksumAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") // true
 */
export function isChecksumAddress(address: string): boolean {
  return (
    typeof address === "string" && ADDRESS_RE.test(address) && checksumAddress(address) === address
  );
}
