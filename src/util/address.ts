/**
 * Ethereum addresses with the EIP-55 mixed-case checksum
 * (https://eips.ethereum.org/EIPS/eip-55): hex digit i is upper-cased when nibble i of
 * keccak256(lowercase hex, as ASCII) is ≥ 8. Used for SSV owners, fee recipients and withdrawal
 * addresses. All-lowercase or all-uppercase input carries no checksum and is accepted; mixed case
 * must be a correct checksum (a typo guard).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { InputError } from "../errors.js";

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/**
 * The words of the two errors {@link parseAddress} raises, so a caller can say which address it
 * wanted (e.g. the SSV cluster owner).
 *
 * @example
 * const OWNER: AddressWording = {
 *   malformed: "Owner address must be 0x followed by 40 hex digits",
 *   badChecksum: "Owner address has an invalid EIP-55 checksum (typo?)",
 *   badChecksumHints: ["Copy the address again from your wallet, or give it all lower-case."],
 * };
 */
export type AddressWording = {
  /** Short message when the input is not `0x` followed by 40 hex digits. */
  malformed: string;
  /** Extra lines for that error. */
  malformedHints?: string[];
  /** Say in that error's details how long (or of what type) the input was. */
  malformedLength?: boolean;
  /** Short message when mixed case does not match the checksum (the details give the right form). */
  badChecksum: string;
  /** Extra lines for that error. */
  badChecksumHints: string[];
};

/**
 * Default wording: any Ethereum address.
 *
 * @example
 * parseAddress(input, { field: "feeRecipient" }, ADDRESS_WORDING);
 */
export const ADDRESS_WORDING: AddressWording = {
  malformed: "Expected an Ethereum address (0x followed by 40 hex digits)",
  malformedLength: true,
  badChecksum: "Address has an invalid EIP-55 checksum (mistyped?)",
  badChecksumHints: ["Copy the address again from its source, or give it in all lowercase."],
};

/** EIP-55 form of a well-formed address (any case); no checks. */
function eip55(address: string): string {
  const lower = address.slice(2).toLowerCase();
  const hash = keccak_256(new TextEncoder().encode(lower));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    const c = lower[i] as string;
    out += nibble >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/**
 * Validate an address from the user and return its EIP-55 form. Errors are InputErrors naming
 * `where` (file, field), worded by `wording`.
 *
 * @example
 * parseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", { field: "feeRecipient" })
 * // "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
 */
export function parseAddress(
  address: string,
  where: { field?: string; file?: string } = {},
  wording: AddressWording = ADDRESS_WORDING,
): string {
  if (typeof address !== "string" || !ADDRESS_RE.test(address)) {
    throw new InputError(wording.malformed, {
      ...where,
      details: !wording.malformedLength
        ? undefined
        : typeof address === "string"
          ? `got ${address.length} characters`
          : `got ${typeof address}`,
      metaMessages: wording.malformedHints,
    });
  }
  const body = address.slice(2);
  const checksummed = eip55(address);
  if (body !== body.toLowerCase() && body !== body.toUpperCase() && checksummed !== address) {
    throw new InputError(wording.badChecksum, {
      ...where,
      details: `expected ${checksummed}`,
      metaMessages: wording.badChecksumHints,
    });
  }
  return checksummed;
}

/**
 * EIP-55 checksum form of an address given as `0x` + 40 hex (any case): {@link parseAddress} with
 * the default wording and no place to name.
 *
 * @example
 * checksumAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") // "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
 */
export function checksumAddress(address: string): string {
  return parseAddress(address);
}

/**
 * True when `address` is exactly in EIP-55 checksum form.
 *
 * @example
 * isChecksumAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") // true
 */
export function isChecksumAddress(address: string): boolean {
  return typeof address === "string" && ADDRESS_RE.test(address) && eip55(address) === address;
}
