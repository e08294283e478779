/**
 * SSV Network keyshares file: types, schema, and the byte layout of `payload.sharesData`.
 *
 * Sources: ssvlabs/ssv-keys src/lib/KeyShares/{KeyShares,KeySharesItem}.ts and
 * KeySharesData/KeySharesPayload.ts (JSON shape, version gate, sharesData layout, signed message);
 * ssvlabs/ssv eth/eventhandler/handlers.go (the node's checks: signature over
 * keccak256("<EIP-55 owner>:<nonce>"), 48-byte share keys, one 256-byte RSA block per operator).
 *
 *   sharesData = 0x ‖ signature(96) ‖ sharePubkey_i(48)×n ‖ encryptedShare_i(256)×n
 *
 * with operators in ascending id order. File forms: `{version, createdAt, shares: [item…]}` and
 * the older single item `{version, createdAt, data, payload}` (ssv-keys `KeyShares.fromJson`).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { z } from "zod";
import { PUBKEY_LENGTH, SIGNATURE_LENGTH } from "../crypto/bls.js";
import { RSA_CIPHERTEXT_LENGTH } from "../crypto/rsa.js";
import { InputError } from "../errors.js";
import { type AddressWording, parseAddress } from "../util/address.js";
import { parseWith } from "../util/schema.js";

/** Versions SSV's tools write; ssv-keys accepts a file whose major.minor equals its own. */
export const SSV_VERSIONS = ["v1.1.0", "v1.2.0"] as const;
/**
 * A version this package writes.
 *
 * @example
 * const v: SsvVersion = "v1.2.0";
 */
export type SsvVersion = (typeof SSV_VERSIONS)[number];
/**
 * Default output version: v1.1.0, what the latest published `ssv-keys` (1.1.0 on npm) accepts
 * and what ssv-sdk's mainnet sample uses. ssv-dkg and ssv-keys 1.2.x write v1.2.0.
 */
export const DEFAULT_SSV_VERSION: SsvVersion = "v1.1.0";
/** Bytes per operator in sharesData: one share public key plus one RSA-2048 ciphertext. */
export const BYTES_PER_OPERATOR = PUBKEY_LENGTH + RSA_CIPHERTEXT_LENGTH;

/**
 * One operator of an item: id and base64 PEM RSA public key.
 *
 * @example
 * const op: SsvOperator = { id: 11, operatorKey: "LS0tLS1CRUdJTiBSU0EgUFVCTElDIEtFWS0tLS0t…" };
 */
export type SsvOperator = { id: number; operatorKey: string };
/**
 * One validator's registration data (`data`) and contract call arguments (`payload`).
 *
 * @example
 * const { publicKey, operatorIds, sharesData } = item.payload; // bulkRegisterValidator arguments
 */
export type SsvKeysharesItem = {
  data: { ownerNonce: number; ownerAddress: string; publicKey: string; operators: SsvOperator[] };
  payload: { publicKey: string; operatorIds: number[]; sharesData: string };
};
/**
 * A whole keyshares file (bulk form).
 *
 * @example
 * const file: SsvKeysharesFile = { version: "v1.1.0", createdAt: new Date().toISOString(), shares: [item] };
 */
export type SsvKeysharesFile = { version: string; createdAt: string; shares: SsvKeysharesItem[] };

const hexBytes = (n: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${2 * n}}$`), `must be 0x + ${n} bytes of hex`);

const operatorSchema = z.object({
  id: z
    .number()
    .int()
    .min(1)
    .max(2 ** 53 - 1),
  operatorKey: z.string().min(1),
});
const itemSchema = z.object({
  data: z.object({
    ownerNonce: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    ownerAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address"),
    publicKey: hexBytes(PUBKEY_LENGTH),
    operators: z.array(operatorSchema).min(1),
  }),
  payload: z.object({
    publicKey: hexBytes(PUBKEY_LENGTH),
    operatorIds: z.array(z.number().int().min(1)).min(1),
    sharesData: z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "must be 0x-prefixed hex"),
  }),
});
const versionSchema = z.string().regex(/^v?\d+\.\d+\.\d+/, "must be a version like v1.1.0");
const bulkSchema = z.object({
  version: versionSchema,
  createdAt: z.string().optional(),
  shares: z.array(itemSchema).min(1, "must hold at least one validator"),
});
const singleSchema = z
  .object({ version: versionSchema, createdAt: z.string().optional() })
  .and(itemSchema);

const NOT_KEYSHARES = "Not a valid SSV keyshares file";

/**
 * Validate untrusted JSON as a keyshares file (either form); the single-item form is returned as a
 * one-element `shares` list. Field paths in errors are those of the file as written.
 *
 * @example
 * const ks = parseSsvKeysharesJson(JSON.parse(text), "/out/keyshares.json");
 */
export function parseSsvKeysharesJson(
  json: unknown,
  file?: string,
): SsvKeysharesFile & { singleItem: boolean } {
  const isBulk = typeof json === "object" && json !== null && "shares" in json;
  if (isBulk) {
    const bulk = parseWith(bulkSchema, json, NOT_KEYSHARES, file);
    return {
      version: bulk.version,
      createdAt: bulk.createdAt ?? "",
      shares: bulk.shares,
      singleItem: false,
    };
  }
  const { version, createdAt, data, payload } = parseWith(singleSchema, json, NOT_KEYSHARES, file);
  return { version, createdAt: createdAt ?? "", shares: [{ data, payload }], singleItem: true };
}

/**
 * The version gate of SSV's tools: same major.minor as a version they write (v1.1.x or v1.2.x).
 *
 * @example
 * assertSsvVersion("v1.2.0"); // ok
 * assertSsvVersion("v2.0.0"); // throws InputError
 */
export function assertSsvVersion(version: string, file?: string): void {
  const m = /^v?(\d+)\.(\d+)\.\d+/.exec(version);
  const ok = m && SSV_VERSIONS.some((v) => v.startsWith(`v${m[1]}.${m[2]}.`));
  if (!ok) {
    throw new InputError(`Unsupported SSV keyshares version ${JSON.stringify(version)}`, {
      file,
      field: "version",
      metaMessages: [
        `SSV's tools accept ${SSV_VERSIONS.map((v) => v.replace(/\.0$/, ".x")).join(" and ")}.`,
      ],
    });
  }
}

/**
 * How errors about the cluster owner's address are worded (see {@link parseAddress}).
 *
 * @example
 * const owner = parseAddress(opts.owner, { field: "owner" }, OWNER_ADDRESS);
 */
export const OWNER_ADDRESS: AddressWording = {
  malformed: "Owner address must be 0x followed by 40 hex digits",
  malformedHints: [
    "Give the Ethereum address that will register the validators (the cluster owner).",
  ],
  badChecksum: "Owner address has an invalid EIP-55 checksum (typo?)",
  badChecksumHints: ["Copy the address again from your wallet, or give it all lower-case."],
};

/**
 * The 32-byte message the validator key signs to prove ownership for registration:
 * keccak256(utf8("<EIP-55 owner>:<nonce>")).
 *
 * @example
 * ownershipMessage("0x81592c3de184a3e2c0dcb5a261bc107bfa91f494", 1)
 */
export function ownershipMessage(owner: string, nonce: number): Uint8Array {
  return keccak_256(new TextEncoder().encode(`${parseAddress(owner, {}, OWNER_ADDRESS)}:${nonce}`));
}

/**
 * sharesData split into its parts (views into one buffer).
 *
 * @example
 * const parts: SharesDataParts = { signature, sharePubkeys: [pk1, pk2, pk3, pk4], encryptedShares: [c1, c2, c3, c4] };
 */
export type SharesDataParts = {
  signature: Uint8Array;
  sharePubkeys: Uint8Array[];
  encryptedShares: Uint8Array[];
};

/**
 * Concatenate signature ‖ share pubkeys ‖ encrypted shares as `0x` hex.
 *
 * @example
 * const sharesData = encodeSharesData({ signature, sharePubkeys, encryptedShares });
 */
export function encodeSharesData(parts: SharesDataParts): string {
  return `0x${Buffer.concat([parts.signature, ...parts.sharePubkeys, ...parts.encryptedShares]).toString("hex")}`;
}

/**
 * Split `sharesData` for n operators; the length must be exactly 96 + 304·n bytes.
 *
 * @example
 * const { signature, sharePubkeys, encryptedShares } = decodeSharesData(item.payload.sharesData, 4);
 */
export function decodeSharesData(
  sharesData: string,
  n: number,
  where: { file?: string; field?: string } = {},
): SharesDataParts {
  const bytes = new Uint8Array(Buffer.from(sharesData.replace(/^0x/, ""), "hex"));
  const expected = SIGNATURE_LENGTH + BYTES_PER_OPERATOR * n;
  if (bytes.length !== expected) {
    throw new InputError(
      `sharesData is ${bytes.length} bytes, expected ${expected} for ${n} operators`,
      {
        ...where,
        metaMessages: [
          `Layout: signature(96) ‖ share public key(48)×${n} ‖ encrypted share(256)×${n}.`,
        ],
      },
    );
  }
  const pkStart = SIGNATURE_LENGTH;
  const encStart = pkStart + PUBKEY_LENGTH * n;
  return {
    signature: bytes.subarray(0, SIGNATURE_LENGTH),
    sharePubkeys: Array.from({ length: n }, (_, i) =>
      bytes.subarray(pkStart + i * PUBKEY_LENGTH, pkStart + (i + 1) * PUBKEY_LENGTH),
    ),
    encryptedShares: Array.from({ length: n }, (_, i) =>
      bytes.subarray(
        encStart + i * RSA_CIPHERTEXT_LENGTH,
        encStart + (i + 1) * RSA_CIPHERTEXT_LENGTH,
      ),
    ),
  };
}
