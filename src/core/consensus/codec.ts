/**
 * Wire encoding of QBFT envelopes: compact, versioned, big-endian binary with strict, bounded
 * decoding. Decoding never throws: it returns `{ ok: false, reason }` and the caller drops the
 * bytes and bumps a counter.
 *
 * Layout (version 1):
 *
 *   payload (84 bytes, fixed; this is what is signed, prefixed by SIGNING_DOMAIN):
 *     type u8 | slot u64 | dutyType u16 | source u8 | round u32 | valueHash [32] |
 *     preparedRound u32 | preparedHash [32]
 *   signed  = payload | sigLen u8 | signature [sigLen]
 *   envelope = version u8 (=1) | signed | valueLen u32 | value [valueLen] |
 *              justCount u8 | signed × justCount
 *
 * Strictness (one logical message ⇔ one encoding): unknown version/type, zero round, fields that
 * the type does not use being non-zero, a ROUND-CHANGE whose prepared round is not below its round,
 * value bytes that do not hash to the signed hash, justification message types the outer type
 * cannot carry, lengths over the bounds below, and trailing bytes are all rejected.
 * Semantic checks that need the cluster (membership, quorum sizes, same-instance justifications,
 * signatures) happen in justify.ts / node.ts.
 *
 * Compare: Charon uses protobuf (core/corepb/v1/consensus.proto, QBFTMsg with value hashes and
 * `justification` list); SSV uses SSZ (ssv-spec qbft/messages.go). A hand-written fixed layout
 * keeps decoding allocation-light and bounds-checked without a schema dependency.
 */
import { createHash } from "node:crypto";
import { bytesEqual } from "../../util/hex.js";
import {
  type Envelope,
  type InstanceId,
  MsgType,
  type QbftMessage,
  type SignedMessage,
} from "./types.js";

/**
 * Wire format version byte (first byte of every envelope).
 *
 * @example
 * if (bytes[0] !== WIRE_VERSION) drop();
 */
export const WIRE_VERSION = 1;
/**
 * Signed payload length: 1 + 8 + 2 + 1 + 4 + 32 + 4 + 32 (layout in the module header).
 *
 * @example
 * encodePayload(msg).length === PAYLOAD_LENGTH // true
 */
export const PAYLOAD_LENGTH = 84;
/**
 * Largest operator index + 1 the wire format accepts. DV clusters run 4–13 operators (SSV offers
 * 4/7/10/13, Obol up to 10 in practice); 64 leaves headroom while bounding justifications.
 *
 * @example
 * if (n > MAX_OPERATORS) throw new InputError("cluster too large");
 */
export const MAX_OPERATORS = 64;
/**
 * Largest signature: 96 bytes = a compressed BLS12-381 G2 point; secp256k1 compact uses 64.
 *
 * @example
 * if (sig.length > MAX_SIGNATURE_LENGTH) throw new RangeError("signature too long");
 */
export const MAX_SIGNATURE_LENGTH = 96;
/**
 * Justification bound: a quorum of ROUND-CHANGEs plus a quorum of PREPAREs, each ≤ n.
 *
 * @example
 * if (env.justification.length > MAX_JUSTIFICATION) drop();
 */
export const MAX_JUSTIFICATION = 2 * MAX_OPERATORS;
/**
 * Largest value: 10 MiB, the beacon chain's own bound on a gossip/req-resp payload
 * (consensus-specs p2p-interface `GOSSIP_MAX_SIZE`/`MAX_PAYLOAD_SIZE` = 10 * 2**20 since
 * Bellatrix); a duty value (a full block proposal at worst) cannot usefully exceed it.
 *
 * @example
 * if (value.length > MAX_VALUE_SIZE) throw new InputError("value too large");
 */
export const MAX_VALUE_SIZE = 10 * 2 ** 20;
/**
 * Largest encoded signed message (payload + length byte + signature).
 *
 * @example
 * const worstCase = MAX_JUSTIFICATION * MAX_SIGNED_LENGTH;
 */
export const MAX_SIGNED_LENGTH = PAYLOAD_LENGTH + 1 + MAX_SIGNATURE_LENGTH;
/**
 * Largest envelope: header + value + full justification. Anything longer is dropped unread.
 *
 * @example
 * if (bytes.length > MAX_MESSAGE_SIZE) drop();
 */
export const MAX_MESSAGE_SIZE =
  1 + MAX_SIGNED_LENGTH + 4 + MAX_VALUE_SIZE + 1 + MAX_JUSTIFICATION * MAX_SIGNED_LENGTH;
/**
 * Domain separation prefix of every signature ("rpdvt/qbft/v1"), so no other rpdvt signature verifies as a QBFT message.
 *
 * @example
 * signingBytes(msg).subarray(0, SIGNING_DOMAIN.length) // "rpdvt/qbft/v1"
 */
export const SIGNING_DOMAIN: Uint8Array = new TextEncoder().encode("rpdvt/qbft/v1");

/**
 * Why a decode failed (counter labels).
 *
 * @example
 * const r = decodeEnvelope(bytes);
 * if (!r.ok) counters[`decode.${r.reason}`]++;
 */
export type DecodeFailure =
  | "too-large"
  | "truncated"
  | "bad-version"
  | "bad-type"
  | "bad-slot"
  | "bad-source"
  | "bad-round"
  | "non-canonical"
  | "bad-signature-length"
  | "bad-value"
  | "value-hash-mismatch"
  | "bad-justification"
  | "trailing-bytes"
  | "not-bytes";

/**
 * Result of {@link decodeEnvelope}.
 *
 * @example
 * const r: DecodeResult = decodeEnvelope(bytes);
 * if (r.ok) node.handle(r.envelope);
 */
export type DecodeResult = { ok: true; envelope: Envelope } | { ok: false; reason: DecodeFailure };

/**
 * sha256 of a value (messages carry this instead of the value).
 *
 * @example
 * hashValue(new TextEncoder().encode("abc")).length // 32
 */
export function hashValue(value: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(value).digest());
}

function isZero(h: Uint8Array): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

function writePayload(view: DataView, out: Uint8Array, off: number, m: QbftMessage): void {
  view.setUint8(off, m.type);
  view.setBigUint64(off + 1, BigInt(m.instance.slot));
  view.setUint16(off + 9, m.instance.dutyType);
  view.setUint8(off + 11, m.source);
  view.setUint32(off + 12, m.round);
  out.set(m.valueHash, off + 16);
  view.setUint32(off + 48, m.preparedRound);
  out.set(m.preparedHash, off + 52);
}

/**
 * The 84-byte canonical payload of a message (see module header).
 *
 * @example
 * encodePayload(msg).length // 84
 */
export function encodePayload(m: QbftMessage): Uint8Array {
  const out = new Uint8Array(PAYLOAD_LENGTH);
  writePayload(new DataView(out.buffer), out, 0, m);
  return out;
}

/**
 * The bytes a signer signs and a verifier checks: SIGNING_DOMAIN ‖ payload.
 *
 * @example
 * const sig = signer.sign(signingBytes(msg));
 */
export function signingBytes(m: QbftMessage): Uint8Array {
  const out = new Uint8Array(SIGNING_DOMAIN.length + PAYLOAD_LENGTH);
  out.set(SIGNING_DOMAIN, 0);
  writePayload(new DataView(out.buffer), out, SIGNING_DOMAIN.length, m);
  return out;
}

function signedLength(m: SignedMessage): number {
  return PAYLOAD_LENGTH + 1 + m.signature.length;
}

function writeSigned(view: DataView, out: Uint8Array, off: number, m: SignedMessage): number {
  writePayload(view, out, off, m);
  view.setUint8(off + PAYLOAD_LENGTH, m.signature.length);
  out.set(m.signature, off + PAYLOAD_LENGTH + 1);
  return off + signedLength(m);
}

/**
 * Encode an envelope. Throws only on programmer error (fields out of range), never on input
 * from the network — encoding is applied to messages this node builds.
 *
 * @example
 * transport.broadcast(encodeEnvelope({ msg, value, justification: [] }));
 */
export function encodeEnvelope(env: Envelope): Uint8Array {
  const value = env.value ?? new Uint8Array(0);
  let len = 1 + signedLength(env.msg) + 4 + value.length + 1;
  for (const j of env.justification) len += signedLength(j);
  for (const m of [env.msg, ...env.justification]) {
    if (m.signature.length > MAX_SIGNATURE_LENGTH) {
      throw new RangeError(`QBFT signature longer than ${MAX_SIGNATURE_LENGTH} bytes`);
    }
  }
  if (env.justification.length > MAX_JUSTIFICATION || len > MAX_MESSAGE_SIZE) {
    throw new RangeError(`QBFT envelope too large (${len} bytes)`);
  }
  const out = new Uint8Array(len);
  const view = new DataView(out.buffer);
  view.setUint8(0, WIRE_VERSION);
  let off = writeSigned(view, out, 1, env.msg);
  view.setUint32(off, value.length);
  out.set(value, off + 4);
  off += 4 + value.length;
  view.setUint8(off, env.justification.length);
  off += 1;
  for (const j of env.justification) off = writeSigned(view, out, off, j);
  return out;
}

type Cursor = { off: number };

function readSigned(view: DataView, bytes: Uint8Array, cur: Cursor): SignedMessage | DecodeFailure {
  const off = cur.off;
  if (off + PAYLOAD_LENGTH + 1 > bytes.length) return "truncated";
  const type = view.getUint8(off);
  if (type < MsgType.PrePrepare || type > MsgType.Decided) return "bad-type";
  const slot = view.getBigUint64(off + 1);
  if (slot > BigInt(Number.MAX_SAFE_INTEGER)) return "bad-slot";
  const dutyType = view.getUint16(off + 9);
  const source = view.getUint8(off + 11);
  if (source >= MAX_OPERATORS) return "bad-source";
  const round = view.getUint32(off + 12);
  if (round < 1) return "bad-round";
  const valueHash = bytes.slice(off + 16, off + 48);
  const preparedRound = view.getUint32(off + 48);
  const preparedHash = bytes.slice(off + 52, off + 84);
  if (type === MsgType.RoundChange) {
    if (!isZero(valueHash)) return "non-canonical";
    if (preparedRound >= round) return "bad-round";
    if ((preparedRound === 0) !== isZero(preparedHash)) return "non-canonical";
  } else {
    if (preparedRound !== 0 || !isZero(preparedHash)) return "non-canonical";
    if (isZero(valueHash)) return "non-canonical";
  }
  const sigLen = view.getUint8(off + PAYLOAD_LENGTH);
  if (sigLen > MAX_SIGNATURE_LENGTH) return "bad-signature-length";
  const sigStart = off + PAYLOAD_LENGTH + 1;
  if (sigStart + sigLen > bytes.length) return "truncated";
  cur.off = sigStart + sigLen;
  return {
    type: type as MsgType,
    instance: { slot: Number(slot), dutyType },
    source,
    round,
    valueHash,
    preparedRound,
    preparedHash,
    signature: bytes.slice(sigStart, sigStart + sigLen),
  };
}

/** Which justification message types each outer type may carry. */
const JUSTIFICATION_TYPES: Record<number, readonly number[]> = {
  [MsgType.PrePrepare]: [MsgType.RoundChange, MsgType.Prepare],
  [MsgType.Prepare]: [],
  [MsgType.Commit]: [],
  [MsgType.RoundChange]: [MsgType.Prepare],
  [MsgType.Decided]: [MsgType.Commit],
};

/**
 * Strictly decode an envelope from untrusted bytes. Never throws.
 *
 * @example
 * const r = decodeEnvelope(bytes);
 * if (!r.ok) { dropped[r.reason] = (dropped[r.reason] ?? 0) + 1; return; }
 */
export function decodeEnvelope(bytes: unknown): DecodeResult {
  try {
    if (!(bytes instanceof Uint8Array)) return { ok: false, reason: "not-bytes" };
    if (bytes.length > MAX_MESSAGE_SIZE) return { ok: false, reason: "too-large" };
    if (bytes.length < 1) return { ok: false, reason: "truncated" };
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint8(0) !== WIRE_VERSION) return { ok: false, reason: "bad-version" };
    const cur: Cursor = { off: 1 };
    const msg = readSigned(view, bytes, cur);
    if (typeof msg === "string") return { ok: false, reason: msg };
    if (cur.off + 4 > bytes.length) return { ok: false, reason: "truncated" };
    const valueLen = view.getUint32(cur.off);
    cur.off += 4;
    if (valueLen > MAX_VALUE_SIZE) return { ok: false, reason: "bad-value" };
    if (cur.off + valueLen + 1 > bytes.length) return { ok: false, reason: "truncated" };
    const value = valueLen > 0 ? bytes.slice(cur.off, cur.off + valueLen) : undefined;
    cur.off += valueLen;
    // Value presence by type.
    switch (msg.type) {
      case MsgType.PrePrepare:
      case MsgType.Decided:
        if (!value) return { ok: false, reason: "bad-value" };
        if (!bytesEqual(hashValue(value), msg.valueHash)) {
          return { ok: false, reason: "value-hash-mismatch" };
        }
        break;
      case MsgType.RoundChange:
        if (value) {
          if (msg.preparedRound === 0) return { ok: false, reason: "bad-value" };
          if (!bytesEqual(hashValue(value), msg.preparedHash)) {
            return { ok: false, reason: "value-hash-mismatch" };
          }
        }
        break;
      default:
        if (value) return { ok: false, reason: "bad-value" };
    }
    const count = view.getUint8(cur.off);
    cur.off += 1;
    if (count > MAX_JUSTIFICATION) return { ok: false, reason: "bad-justification" };
    const allowed = JUSTIFICATION_TYPES[msg.type] ?? [];
    const justification: SignedMessage[] = [];
    for (let i = 0; i < count; i++) {
      const j = readSigned(view, bytes, cur);
      if (typeof j === "string") return { ok: false, reason: j };
      if (!allowed.includes(j.type)) return { ok: false, reason: "bad-justification" };
      justification.push(j);
    }
    if (cur.off !== bytes.length) return { ok: false, reason: "trailing-bytes" };
    // Justification presence by type.
    const needsNone =
      (msg.type === MsgType.PrePrepare && msg.round === 1) ||
      (msg.type === MsgType.RoundChange && msg.preparedRound === 0);
    const needsSome =
      msg.type === MsgType.Decided ||
      (msg.type === MsgType.PrePrepare && msg.round > 1) ||
      (msg.type === MsgType.RoundChange && msg.preparedRound > 0);
    if ((needsNone && count > 0) || (needsSome && count === 0)) {
      return { ok: false, reason: "bad-justification" };
    }
    return { ok: true, envelope: { msg, value, justification } };
  } catch {
    // Defensive: every read above is bounds-checked, so this is unreachable in practice.
    return { ok: false, reason: "truncated" };
  }
}

/**
 * The instance an envelope is for, read from its fixed header only (no value hashing, no copies,
 * no justification parsing): for taps that only need to know which instance a peer is talking
 * about (e.g. liveness per instance). `undefined` when the header is not a well-formed version-1
 * message header. NOT a validity check: consensus still decodes strictly with
 * {@link decodeEnvelope}.
 *
 * @example
 * const id = peekInstance(bytes); // { slot, dutyType } | undefined
 */
export function peekInstance(bytes: unknown): InstanceId | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1 + PAYLOAD_LENGTH + 1) return undefined;
  if (bytes.length > MAX_MESSAGE_SIZE || bytes[0] !== WIRE_VERSION) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getUint8(1);
  if (type < MsgType.PrePrepare || type > MsgType.Decided) return undefined;
  const slot = view.getBigUint64(2);
  if (slot > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { slot: Number(slot), dutyType: view.getUint16(10) };
}

/**
 * Stable identity of a signed message (payload ‖ signature) as a string map key.
 *
 * @example
 * seen.add(signedKey(msg));
 */
export function signedKey(m: SignedMessage): string {
  const out = new Uint8Array(PAYLOAD_LENGTH + m.signature.length);
  writePayload(new DataView(out.buffer), out, 0, m);
  out.set(m.signature, PAYLOAD_LENGTH);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString("base64");
}
