/**
 * Partial-signature exchange (Charon core/parsigex): broadcast this operator's partial signatures
 * of a duty to the other operators over the parsigex {@link Transport} channel, and receive
 * theirs, bound to the sender's share index, for sigagg.
 *
 * Wire format (big-endian), one duty per message:
 *   version u8 (=1) ‖ shareIdx u32 ‖ slot u64 ‖ dutyType u16 ‖ count u16 (≥ 1) ‖
 *   count × ( validatorPubkey[48] ‖ signingRoot[32] ‖ signature[96] )
 *
 * Receive rules, in order (each drop increments a `drop.<reason>` counter, nothing throws):
 * decode strictly → the claimed shareIdx must be the operator id of the transport-authenticated
 * sender → known duty type and slot inside the window → per entry: a cluster validator, not yet
 * received from this sender for this duty (same root → `duplicate`, other root → `mismatch`, the
 * first received stays). So each sender contributes at most one partial per (duty, validator).
 *
 * Signatures are NOT verified here, unlike Charon (core/parsigex verifies each partial with
 * `eth2util/signing.Verify`): sigagg verifies the aggregate of t partials once and verifies
 * partials only when that fails (src/core/sigagg/sigagg.ts, "aggregate first"), which replaces
 * n − 1 partial verifications per validator with none. Measured in bench/dv.bench.ts.
 */

import { fromHex, toHex } from "../../util/hex.js";
import type { Transport } from "../transport.js";
import { type Duty, DutyType, dutyKey, type ParSig, type PubkeyHex } from "../types.js";

/**
 * Wire version byte.
 *
 * @example
 * bytes[0] === PARSIGEX_VERSION
 */
export const PARSIGEX_VERSION = 1;
/**
 * Header: version u8 + shareIdx u32 + slot u64 + dutyType u16 + count u16 = 17 bytes.
 *
 * @example
 * const count = (bytes.length - PARSIGEX_HEADER) / PARSIGEX_ENTRY;
 */
export const PARSIGEX_HEADER = 1 + 4 + 8 + 2 + 2;
/**
 * One entry: pubkey 48 + signing root 32 + signature 96 = 176 bytes.
 *
 * @example
 * const size = PARSIGEX_HEADER + n * PARSIGEX_ENTRY;
 */
export const PARSIGEX_ENTRY = 48 + 32 + 96;
/**
 * Entries per message (u16 count field): larger sets are split across messages.
 *
 * @example
 * for (let i = 0; i < ps.length; i += PARSIGEX_MAX_ENTRIES) send(ps.slice(i, i + PARSIGEX_MAX_ENTRIES));
 */
export const PARSIGEX_MAX_ENTRIES = 0xffff;
const KNOWN_TYPES = new Set<number>(Object.values(DutyType));

/**
 * A decoded parsigex message.
 *
 * @example
 * const m: ParSigMessage = { shareIdx: 2, duty, partials: [{ pubkey, signingRoot, signature }] };
 */
export type ParSigMessage = {
  shareIdx: number;
  duty: Duty;
  partials: { pubkey: PubkeyHex; signingRoot: Uint8Array; signature: Uint8Array }[];
};

/**
 * Encode a message (throws on out-of-range fields: caller bug).
 *
 * @example
 * transport.broadcast(encodeParSigMessage({ shareIdx, duty, partials }));
 */
export function encodeParSigMessage(m: ParSigMessage): Uint8Array {
  if (m.partials.length < 1 || m.partials.length > PARSIGEX_MAX_ENTRIES) {
    throw new RangeError(`parsigex: 1..${PARSIGEX_MAX_ENTRIES} partials per message`);
  }
  const buf = Buffer.alloc(PARSIGEX_HEADER + m.partials.length * PARSIGEX_ENTRY);
  let o = buf.writeUInt8(PARSIGEX_VERSION, 0);
  o = buf.writeUInt32BE(m.shareIdx, o);
  o = buf.writeBigUInt64BE(BigInt(m.duty.slot), o);
  o = buf.writeUInt16BE(m.duty.type, o);
  o = buf.writeUInt16BE(m.partials.length, o);
  for (const p of m.partials) {
    const pk = fromHex(p.pubkey);
    if (pk.length !== 48 || p.signingRoot.length !== 32 || p.signature.length !== 96) {
      throw new RangeError("parsigex: bad entry length");
    }
    buf.set(pk, o);
    buf.set(p.signingRoot, o + 48);
    buf.set(p.signature, o + 80);
    o += PARSIGEX_ENTRY;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/**
 * Decode a message strictly; undefined for anything malformed (never throws).
 *
 * @example
 * const m = decodeParSigMessage(bytes);
 * if (!m) count("drop.malformed");
 */
export function decodeParSigMessage(bytes: Uint8Array): ParSigMessage | undefined {
  try {
    if (bytes.length < PARSIGEX_HEADER) return undefined;
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (b.readUInt8(0) !== PARSIGEX_VERSION) return undefined;
    const shareIdx = b.readUInt32BE(1);
    const slot = b.readBigUInt64BE(5);
    const type = b.readUInt16BE(13);
    const count = b.readUInt16BE(15);
    if (slot > BigInt(Number.MAX_SAFE_INTEGER) || count < 1) return undefined;
    if (b.length !== PARSIGEX_HEADER + count * PARSIGEX_ENTRY) return undefined;
    const partials: ParSigMessage["partials"] = [];
    for (let i = 0, o = PARSIGEX_HEADER; i < count; i++, o += PARSIGEX_ENTRY) {
      partials.push({
        pubkey: toHex(b.subarray(o, o + 48)),
        signingRoot: new Uint8Array(b.subarray(o + 48, o + 80)),
        signature: new Uint8Array(b.subarray(o + 80, o + 176)),
      });
    }
    return { shareIdx, duty: { slot: Number(slot), type: type as DutyType }, partials };
  } catch {
    return undefined;
  }
}

/**
 * Options of {@link createParSigEx}.
 *
 * @example
 * const opts: ParSigExOptions = { transport, operatorIds: [1, 2, 3, 4], sharePubkeys, currentSlot, onReceived };
 */
export type ParSigExOptions = {
  transport: Transport;
  /** Operator id (share index) of each operator index (cluster definition order). */
  operatorIds: readonly number[];
  /** validator pubkey → (operator id → share public key bytes), from the cluster definition. */
  sharePubkeys: ReadonlyMap<PubkeyHex, ReadonlyMap<number, Uint8Array>>;
  /** The current slot (window checks). */
  currentSlot: () => number;
  /** A peer's partials, bound to its share index, NOT verified (one call per message, never empty). */
  onReceived: (duty: Duty, partials: ParSig[], from: number) => void;
  /** Counter hook (metrics): `received`, `accepted`, `drop.<reason>`. */
  count?: ((label: string, by?: number) => void) | undefined;
  /** Accept duties up to this many slots ahead of the current slot (clock skew; default 2). */
  maxSlotsAhead?: number | undefined;
  /** Keep state for this many slots (default 64 = 2 epochs of mainnet SLOTS_PER_EPOCH). */
  maxSlotsBehind?: number | undefined;
};

/**
 * The parsigex component.
 *
 * @example
 * const px = createParSigEx(opts);
 * px.broadcast(duty, ownPartials);
 */
export interface ParSigEx {
  /** Send our partials of `duty` to every other operator. */
  broadcast(duty: Duty, partials: readonly ParSig[]): void;
  /** Feed raw bytes (wired to the transport; public for fuzzing). Never throws. */
  receive(from: number, bytes: Uint8Array): void;
  /** Forget per-duty state older than the window. */
  prune(): void;
  close(): void;
}

/**
 * Create the parsigex component and subscribe it to its transport.
 *
 * @example
 * const px = createParSigEx({ transport, operatorIds, sharePubkeys, currentSlot, onReceived });
 */
export function createParSigEx(opts: ParSigExOptions): ParSigEx {
  return new PartialExchange(opts);
}

/** Per duty: the window slot and, per sender, pubkey → root hex of the partial received. */
type Seen = { slot: number; bySender: Map<number, Map<PubkeyHex, string>> };

/** The {@link ParSigEx} (module header): receive rules as named steps, per-duty dedupe state. */
class PartialExchange implements ParSigEx {
  private readonly ahead: number;
  private readonly behind: number;
  private readonly self: number;
  private readonly selfId: number;
  /** dutyKey → {@link Seen}. */
  private readonly seen = new Map<string, Seen>();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: ParSigExOptions) {
    this.ahead = opts.maxSlotsAhead ?? 2;
    this.behind = opts.maxSlotsBehind ?? 64;
    this.self = opts.transport.self;
    this.selfId = opts.operatorIds[this.self] as number;
    this.unsubscribe = opts.transport.onMessage(this.receive);
  }

  broadcast(duty: Duty, partials: readonly ParSig[]): void {
    for (let i = 0; i < partials.length; i += PARSIGEX_MAX_ENTRIES) {
      const chunk = partials.slice(i, i + PARSIGEX_MAX_ENTRIES);
      try {
        this.opts.transport.broadcast(
          encodeParSigMessage({ shareIdx: this.selfId, duty, partials: chunk }),
        );
        this.count("sent", chunk.length);
      } catch {
        this.count("transport-error");
      }
    }
  }

  /** Feed raw bytes: decode → sender → window → per-entry dedupe → `onReceived`. Never throws. */
  readonly receive = (from: number, bytes: Uint8Array): void => {
    try {
      this.count("received");
      const m = this.admit(from, bytes);
      if (!m) return;
      const accepted = this.acceptEntries(m, this.senderState(m, from));
      if (accepted.length) {
        this.count("accepted", accepted.length);
        this.opts.onReceived(m.duty, accepted, from);
      }
    } catch {
      this.count("drop.internal-error");
    }
  };

  prune(): void {
    const min = this.opts.currentSlot() - this.behind;
    for (const [k, d] of this.seen) if (d.slot < min) this.seen.delete(k);
  }

  close(): void {
    this.unsubscribe();
  }

  private count(label: string, by = 1): void {
    this.opts.count?.(label, by);
  }

  /** Message-level rules: decodes, from the claimed share index, known duty, inside the window. */
  private admit(from: number, bytes: Uint8Array): ParSigMessage | undefined {
    const m = decodeParSigMessage(bytes);
    if (!m) return this.drop("malformed");
    if (from === this.self || this.opts.operatorIds[from] !== m.shareIdx) {
      return this.drop("share-mismatch");
    }
    if (!KNOWN_TYPES.has(m.duty.type)) return this.drop("unknown-duty");
    const now = this.opts.currentSlot();
    if (m.duty.slot > now + this.ahead) return this.drop("too-far-ahead");
    if (m.duty.type !== DutyType.Exit && m.duty.slot < now - this.behind) {
      return this.drop("too-old");
    }
    return m;
  }

  private drop(reason: string): undefined {
    this.count(`drop.${reason}`);
    return undefined;
  }

  /** pubkey → root already received from `from` for this duty (created on first use). */
  private senderState(m: ParSigMessage, from: number): Map<PubkeyHex, string> {
    const k = dutyKey(m.duty);
    let d = this.seen.get(k);
    if (!d) {
      const slot = m.duty.type === DutyType.Exit ? this.opts.currentSlot() : m.duty.slot;
      d = { slot, bySender: new Map() };
      this.seen.set(k, d);
    }
    let mine = d.bySender.get(from);
    if (!mine) {
      mine = new Map();
      d.bySender.set(from, mine);
    }
    return mine;
  }

  /** Entry-level rules: a cluster validator, first partial from this sender (others dropped). */
  private acceptEntries(m: ParSigMessage, mine: Map<PubkeyHex, string>): ParSig[] {
    const accepted: ParSig[] = [];
    for (const p of m.partials) {
      if (!this.opts.sharePubkeys.get(p.pubkey)?.has(m.shareIdx)) {
        this.count("drop.unknown-validator");
        continue;
      }
      const root = toHex(p.signingRoot);
      const prev = mine.get(p.pubkey);
      if (prev !== undefined) {
        this.count(prev === root ? "drop.duplicate" : "drop.mismatch");
        continue;
      }
      mine.set(p.pubkey, root);
      accepted.push({ ...p, shareIdx: m.shareIdx });
    }
    return accepted;
  }
}
