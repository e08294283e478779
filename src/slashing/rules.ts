/**
 * Slashing rules as pure functions, and the value domains the database stores.
 *
 * Sources:
 * - consensus-specs phase0 `is_slashable_attestation_data(data_1, data_2)`:
 *   `(data_1 != data_2 and data_1.target.epoch == data_2.target.epoch)` (double vote) or
 *   `(data_1.source.epoch < data_2.source.epoch and data_2.target.epoch < data_1.target.epoch)`
 *   (surround vote).
 * - consensus-specs phase0 `process_proposer_slashing`: two different headers for the same slot
 *   signed by the same proposer.
 * - EIP-3076 "Conditions": a record without `signing_root` conflicts with every new message at the
 *   same slot (blocks) or target (attestations); conditions (2), (4), (5) are the low watermarks.
 *
 * Message identity is the signing root (`compute_signing_root`): two messages with equal signing
 * roots are the same message, so re-signing it produces the same signature and is never slashable.
 */
import { InputError } from "../errors.js";
import { fromHex, toHex } from "../util/hex.js";

/**
 * Largest slot/epoch the database can store: SQLite INTEGER is a signed 64-bit value
 * (https://www.sqlite.org/datatype3.html). Real slots are far below this (2^63 slots of 12 s is
 * ~3.5e12 years); larger values are rejected rather than wrapped.
 */
export const MAX_STORABLE_U64 = 2n ** 63n - 1n;

/** BLS12-381 G1 compressed public key length (consensus-specs `BLSPubkey = Bytes48`). */
export const PUBKEY_LENGTH = 48;
/** `Root = Bytes32` (consensus-specs); signing roots and genesis_validators_root. */
export const ROOT_LENGTH = 32;

/** A public key or root given as bytes or 0x-hex. */
export type BytesLike = Uint8Array | string;
/** A slot or epoch: bigint, a safe-integer number, or a decimal string. */
export type U64Like = bigint | number | string;

/** A recorded attestation: `signingRoot === null` means "unknown" (EIP-3076: always conflicting). */
export type AttestationRecord = { source: bigint; target: bigint; signingRoot: string | null };
/** A recorded block proposal: `signingRoot === null` means "unknown". */
export type BlockRecord = { slot: bigint; signingRoot: string | null };

/**
 * Parse a slot/epoch into a bigint in [0, 2^63-1], or throw an InputError naming `field`.
 *
 * @example
 * toU64("81952", "slot") // 81952n
 */
export function toU64(value: U64Like, field: string, file?: string): bigint {
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new InputError(`${field} must be an integer`, { field, file, details: `got ${value}` });
    v = BigInt(value);
  } else if (typeof value === "string" && /^[0-9]{1,20}$/.test(value)) v = BigInt(value);
  else
    throw new InputError(`${field} must be a decimal integer`, {
      field,
      file,
      details: `got ${JSON.stringify(value)}`,
    });
  if (v < 0n || v > MAX_STORABLE_U64)
    throw new InputError(`${field} is out of range`, {
      field,
      file,
      details: `got ${v}; supported range is 0..${MAX_STORABLE_U64}`,
    });
  return v;
}

/**
 * Normalise a fixed-length byte string to lowercase 0x-hex (the form stored and compared).
 *
 * @example
 * toFixedHex(new Uint8Array(32), 32, "signing_root") // "0x00…00"
 */
export function toFixedHex(value: BytesLike, length: number, field: string, file?: string): string {
  const bytes =
    typeof value === "string" ? fromHex(value, { field, file, length }) : new Uint8Array(value);
  if (bytes.length !== length)
    throw new InputError(`Expected ${length} bytes, got ${bytes.length}`, { field, file });
  return toHex(bytes);
}

/**
 * A 32-byte root as lowercase 0x-hex.
 *
 * @example
 * toRootHex("0xAB" + "00".repeat(31)) // "0xab00…"
 */
export function toRootHex(value: BytesLike, field = "signing_root", file?: string): string {
  return toFixedHex(value, ROOT_LENGTH, field, file);
}

/**
 * A 48-byte BLS public key as lowercase 0x-hex.
 *
 * @example
 * toPubkeyHex(pubkeyBytes) // "0xa99a…"
 */
export function toPubkeyHex(value: BytesLike, field = "pubkey", file?: string): string {
  return toFixedHex(value, PUBKEY_LENGTH, field, file);
}

/**
 * True iff two records are the same message: equal, *known* signing roots. A missing root is never
 * "the same" (EIP-3076 Conditions (1)/(3)).
 *
 * @example
 * sameMessage("0x01…", "0x01…") // true
 * sameMessage(null, null)       // false
 */
export function sameMessage(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a === b;
}

/**
 * consensus-specs `is_slashable_attestation_data`, with message identity by signing root.
 *
 * @example
 * isSlashableAttestationPair({ source: 1n, target: 4n, signingRoot: r1 },
 *                            { source: 2n, target: 3n, signingRoot: r2 }) // true (surround)
 */
export function isSlashableAttestationPair(a: AttestationRecord, b: AttestationRecord): boolean {
  const same = sameMessage(a.signingRoot, b.signingRoot);
  const doubleVote = !same && a.target === b.target;
  const surround =
    (a.source < b.source && b.target < a.target) || (b.source < a.source && a.target < b.target);
  return doubleVote || surround;
}

/**
 * `process_proposer_slashing`: same slot, different message.
 *
 * @example
 * isSlashableBlockPair({ slot: 5n, signingRoot: r1 }, { slot: 5n, signingRoot: r2 }) // true
 */
export function isSlashableBlockPair(a: BlockRecord, b: BlockRecord): boolean {
  return a.slot === b.slot && !sameMessage(a.signingRoot, b.signingRoot);
}

/**
 * Merge two records of the same slot/target (and source) into what the database keeps: the known
 * root if both agree, otherwise `null` ("some message was signed here, which one is unknown").
 *
 * @example
 * mergeRoots("0x01…", null) // null
 */
export function mergeRoots(a: string | null, b: string | null): string | null {
  return a !== null && a === b ? a : null;
}

/**
 * Largest of bigints, ignoring undefined/null (undefined if none).
 *
 * @example
 * maxOf(3n, undefined, 7n) // 7n
 */
export function maxOf(...xs: (bigint | null | undefined)[]): bigint | undefined {
  let m: bigint | undefined;
  for (const x of xs) if (x !== null && x !== undefined && (m === undefined || x > m)) m = x;
  return m;
}

/**
 * Smallest of bigints, ignoring undefined/null (undefined if none).
 *
 * @example
 * minOf(3n, undefined, 7n) // 3n
 */
export function minOf(...xs: (bigint | null | undefined)[]): bigint | undefined {
  let m: bigint | undefined;
  for (const x of xs) if (x !== null && x !== undefined && (m === undefined || x < m)) m = x;
  return m;
}
