/**
 * Message framing on a libp2p stream: each message is `uvarint(length) ‖ bytes`.
 *
 * The length prefix is the multiformats unsigned varint (github.com/multiformats/unsigned-varint:
 * little-endian base-128, high bit = "more bytes follow", at most 9 bytes, and "the encoding MUST
 * be minimal" — so a trailing 0x00 continuation byte is rejected). This is the same framing that
 * libp2p protocols use for length-prefixed messages (e.g. identify, Noise handshake payloads via
 * it-length-prefixed) and that Charon uses on its p2p protocols (p2p/sender.go, varint-delimited
 * protobufs).
 *
 * The decoder is incremental and bounded: it never holds more than one frame's received bytes
 * (≤ the maximum message size), rejects a length over the maximum as soon as the prefix shows it
 * (before any body arrives), and can discard a frame's body without buffering it (used for
 * rate-limited messages). Decoding never throws.
 */

/**
 * Default largest message on a channel: 16 MiB. Above the QBFT envelope bound (codec.ts
 * MAX_MESSAGE_SIZE ≈ 10 MiB + justifications) and a full beacon block (consensus-specs
 * `MAX_PAYLOAD_SIZE` = 10 MiB), with headroom for other channels; small enough to bound memory.
 *
 * @example
 * createP2PTransport({ ...opts, maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE });
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 2 ** 20;

/**
 * Hard ceiling on any configured maximum (1 GiB) — keeps varint arithmetic exact and memory sane.
 *
 * @example
 * if (max > MAX_FRAME_LIMIT) throw new InputError("maxMessageSize too large");
 */
export const MAX_FRAME_LIMIT = 2 ** 30;

/**
 * Longest unsigned varint the multiformats spec allows (9 bytes = 63 bits).
 *
 * @example
 * if (prefixBytes > MAX_VARINT_BYTES) reject();
 */
export const MAX_VARINT_BYTES = 9;

/**
 * Why a stream's byte sequence was rejected (counter labels).
 *
 * @example
 * const err: FrameError = "oversize";
 */
export type FrameError = "oversize" | "bad-varint" | "truncated";

/**
 * Number of bytes of the unsigned varint encoding of `n` (n ≥ 0, safe integer).
 *
 * @example
 * varintLength(127) // 1
 * varintLength(128) // 2
 */
export function varintLength(n: number): number {
  let len = 1;
  let v = n;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    len++;
  }
  return len;
}

/**
 * Encode `n` (0 ≤ n ≤ 2^53 − 1) as a minimal unsigned varint into `out` at `offset`; returns the
 * offset after it.
 *
 * @example
 * const b = new Uint8Array(2);
 * writeVarint(300, b, 0); // b = [0xac, 0x02], returns 2
 */
export function writeVarint(n: number, out: Uint8Array, offset: number): number {
  let v = n;
  let o = offset;
  while (v >= 0x80) {
    out[o++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[o++] = v;
  return o;
}

/**
 * One frame: varint length prefix followed by a copy of `bytes`.
 *
 * @example
 * encodeFrame(new Uint8Array([7, 8])) // Uint8Array [2, 7, 8]
 */
export function encodeFrame(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(bytes.length) + bytes.length);
  out.set(bytes, writeVarint(bytes.length, out, 0));
  return out;
}

/**
 * Receiver of decoded frames. `onHeader` is told each frame's length before its body arrives and
 * returns false to have the body discarded unbuffered (rate limiting); `onFrame` gets the body.
 *
 * @example
 * const sink: FrameSink = { onHeader: (len) => limiter.allow(len), onFrame: (b) => deliver(b) };
 */
export interface FrameSink {
  onHeader(length: number): boolean;
  onFrame(bytes: Uint8Array): void;
}

/**
 * Incremental, bounded decoder of `uvarint(length) ‖ bytes` frames. After an error it stays
 * failed (the caller resets the stream).
 *
 * @example
 * const dec = new FrameDecoder(1024);
 * const err = dec.push(chunk, { onHeader: () => true, onFrame: (b) => console.log(b) });
 * if (err) stream.abort(new Error(err));
 */
export class FrameDecoder {
  readonly maxMessageSize: number;
  private readonly maxPrefix: number;
  private mode: "header" | "body" | "skip" = "header";
  private value = 0;
  private prefixBytes = 0;
  private remaining = 0;
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private failed: FrameError | undefined;

  constructor(maxMessageSize: number) {
    if (
      !Number.isInteger(maxMessageSize) ||
      maxMessageSize < 0 ||
      maxMessageSize > MAX_FRAME_LIMIT
    ) {
      throw new RangeError(`maxMessageSize must be an integer in 0..${MAX_FRAME_LIMIT}`);
    }
    this.maxMessageSize = maxMessageSize;
    this.maxPrefix = varintLength(maxMessageSize);
  }

  /** Bytes of an incomplete frame currently held (≤ maxMessageSize). */
  get bufferedBytes(): number {
    return this.partsBytes;
  }

  /** The error this decoder failed with, if any. */
  get error(): FrameError | undefined {
    return this.failed;
  }

  /** Feed a chunk; returns an error (and stops) on an oversize length or a malformed prefix. */
  push(chunk: Uint8Array, sink: FrameSink): FrameError | undefined {
    if (this.failed) return this.failed;
    let i = 0;
    const len = chunk.length;
    while (i < len) {
      if (this.mode === "header") {
        const b = chunk[i++] as number;
        this.prefixBytes++;
        if (this.prefixBytes > 1 && b === 0) return this.fail("bad-varint"); // non-minimal
        this.value += (b & 0x7f) * 2 ** (7 * (this.prefixBytes - 1));
        if (this.value > this.maxMessageSize) return this.fail("oversize");
        if (b & 0x80) {
          // A longer prefix encodes a value above the maximum (maxPrefix ≤ 5 < MAX_VARINT_BYTES).
          if (this.prefixBytes >= this.maxPrefix) return this.fail("oversize");
          continue;
        }
        const frameLen = this.value;
        this.value = 0;
        this.prefixBytes = 0;
        const accept = sink.onHeader(frameLen);
        if (frameLen === 0) {
          if (accept) sink.onFrame(new Uint8Array(0));
          continue;
        }
        this.remaining = frameLen;
        this.mode = accept ? "body" : "skip";
        continue;
      }
      const take = Math.min(this.remaining, len - i);
      if (this.mode === "skip") {
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.mode = "header";
        continue;
      }
      const piece = chunk.subarray(i, i + take);
      i += take;
      this.remaining -= take;
      if (this.remaining === 0 && this.parts.length === 0) {
        this.mode = "header";
        sink.onFrame(piece);
        continue;
      }
      this.parts.push(piece);
      this.partsBytes += take;
      if (this.remaining === 0) {
        const out = new Uint8Array(this.partsBytes);
        let o = 0;
        for (const p of this.parts) {
          out.set(p, o);
          o += p.length;
        }
        this.parts = [];
        this.partsBytes = 0;
        this.mode = "header";
        sink.onFrame(out);
      }
    }
    return undefined;
  }

  /** End of stream: an incomplete frame is "truncated" (and discarded). */
  finish(): FrameError | undefined {
    if (this.failed) return this.failed;
    const partial = this.prefixBytes > 0 || this.mode !== "header";
    this.parts = [];
    this.partsBytes = 0;
    return partial ? this.fail("truncated") : undefined;
  }

  private fail(err: FrameError): FrameError {
    this.failed = err;
    this.parts = [];
    this.partsBytes = 0;
    return err;
  }
}
