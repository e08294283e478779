/**
 * One logical channel = one libp2p protocol id (e.g. /rpdvt/qbft/1.0.0) carrying framed messages
 * (framing.ts) between the operators of a cluster, exposed as a {@link MessageTransport}.
 *
 * Outbound ("reuse" mode, the default): one long-lived outbound stream per peer, opened on the
 * first send over the peer's current connection and reused for every later message; a bounded
 * queue holds messages while the stream opens or while the muxer applies backpressure
 * (`writableNeedsDrain`), anything beyond is dropped and counted — never buffered unbounded.
 * A stream that closes or resets is forgotten and re-opened by the next send. Benchmarks can
 * select "per-message" mode (a fresh stream per message, closed after the write) for comparison.
 *
 * Inbound: libp2p calls {@link Channel.accept} with each stream the remote opens for this
 * protocol. The sender's operator index is looked up from the *connection's* remote peer id —
 * authenticated by Noise — and never read from the message. Each frame's length is checked against
 * the channel maximum (oversize → counted, stream reset) and against the peer's token buckets
 * (rate-limited → counted, body discarded unbuffered) before its body is read. Malformed prefixes
 * reset the stream; nothing on this path throws.
 */
import type { Connection, Stream, StreamMessageEvent } from "@libp2p/interface";
import { encodeFrame, FrameDecoder, type FrameError, type FrameSink } from "./framing.js";
import type { MessageHandler, MessageTransport } from "./message-transport.js";
import { PeerRateLimiter, type RateLimit } from "./rate-limit.js";

/**
 * Per-peer counters of one channel (message counts; byte counts are payload bytes).
 *
 * @example
 * const c = transport.stats().peers[1]; console.log(c.sent, c.received, c.rateLimited);
 */
export type PeerCounters = {
  /** Messages handed to the peer's stream. */
  sent: number;
  sentBytes: number;
  /** Messages received intact and delivered to the handlers. */
  received: number;
  receivedBytes: number;
  /** Outbound messages dropped: peer not connected, queue full, too large, stream failed. */
  dropped: number;
  /** Inbound messages dropped by the peer's token buckets. */
  rateLimited: number;
  /** Inbound frames whose length exceeded the channel maximum (stream reset). */
  oversize: number;
  /** Inbound malformed or truncated frames, or data on a stream we opened (stream reset). */
  decodeErrors: number;
  /** Exceptions thrown by message handlers (caught). */
  handlerErrors: number;
};

/**
 * All-zero counters.
 *
 * @example
 * const c = zeroCounters(); c.sent++;
 */
export function zeroCounters(): PeerCounters {
  return {
    sent: 0,
    sentBytes: 0,
    received: 0,
    receivedBytes: 0,
    dropped: 0,
    rateLimited: 0,
    oversize: 0,
    decodeErrors: 0,
    handlerErrors: 0,
  };
}

/**
 * How outbound messages use streams: one reused stream per peer, or a new stream per message.
 *
 * @example
 * createP2PTransport({ ...opts, streamMode: "per-message" }); // benchmarks only
 */
export type StreamMode = "reuse" | "per-message";

/**
 * What a channel needs from its transport.
 *
 * @example
 * const ctx: ChannelContext = { self: 0, n: 4, running: () => true, ... };
 */
export type ChannelContext = {
  readonly self: number;
  readonly n: number;
  running(): boolean;
  /** Operator index of a peer id string, if it is another member. */
  indexOf(peerId: string): number | undefined;
  /** The connection to use for operator `index`, if connected. */
  connection(index: number): Connection | undefined;
  readonly streamMode: StreamMode;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly streamOpenTimeoutMs: number;
  /** A stream arrived from a peer that is not another member (should not pass the gater). */
  onUnknownPeerStream(): void;
};

/**
 * Channel settings.
 *
 * @example
 * const cfg: ChannelConfig = { protocol: "/rpdvt/qbft/1.0.0", maxMessageSize: 1 << 20, rateLimit };
 */
export type ChannelConfig = { protocol: string; maxMessageSize: number; rateLimit: RateLimit };

type Outbox = {
  stream: Stream | undefined;
  /** The connection `stream` runs on. */
  conn: Connection | undefined;
  opening: boolean;
  draining: boolean;
  queue: { frame: Uint8Array; size: number }[];
  head: number;
  queuedBytes: number;
};

const chunksOf = (data: StreamMessageEvent["data"]): Iterable<Uint8Array> =>
  data instanceof Uint8Array ? [data] : data;

/**
 * A {@link MessageTransport} over one protocol id of a libp2p node. Created by the P2P transport.
 *
 * @example
 * const ch = new Channel(ctx, { protocol: "/rpdvt/parsigex/1.0.0", maxMessageSize, rateLimit });
 * await libp2p.handle(ch.protocol, (stream, conn) => ch.accept(stream, conn));
 */
export class Channel implements MessageTransport {
  readonly self: number;
  readonly n: number;
  readonly protocol: string;
  readonly maxMessageSize: number;
  private readonly handlers = new Set<MessageHandler>();
  private readonly counters: PeerCounters[];
  private readonly limiters: (PeerRateLimiter | undefined)[];
  private readonly outboxes: Outbox[];

  constructor(
    private readonly ctx: ChannelContext,
    private readonly cfg: ChannelConfig,
  ) {
    this.self = ctx.self;
    this.n = ctx.n;
    this.protocol = cfg.protocol;
    this.maxMessageSize = cfg.maxMessageSize;
    this.counters = Array.from({ length: ctx.n }, zeroCounters);
    this.limiters = Array.from({ length: ctx.n }, () => undefined);
    this.outboxes = Array.from({ length: ctx.n }, () => ({
      stream: undefined,
      conn: undefined,
      opening: false,
      draining: false,
      queue: [],
      head: 0,
      queuedBytes: 0,
    }));
  }

  send(to: number, bytes: Uint8Array): void {
    try {
      this.sendOne(to, bytes);
    } catch {
      const c = this.counters[to];
      if (c) c.dropped++;
    }
  }

  broadcast(bytes: Uint8Array): void {
    for (let to = 0; to < this.n; to++) if (to !== this.self) this.send(to, bytes);
  }

  onMessage(cb: MessageHandler): () => void {
    this.handlers.add(cb);
    return () => {
      this.handlers.delete(cb);
    };
  }

  /** Counters per operator index (the self entry stays zero). */
  stats(): PeerCounters[] {
    return this.counters.map((c) => ({ ...c }));
  }

  /** Forget outbound state (transport stopping): queued messages are dropped and counted. */
  reset(): void {
    for (let i = 0; i < this.n; i++) this.dropQueued(i);
    for (const ob of this.outboxes) {
      ob.stream = undefined;
      ob.conn = undefined;
      ob.opening = false;
      ob.draining = false;
    }
  }

  /** Inbound stream handler (registered with libp2p `handle` for {@link protocol}). */
  accept(stream: Stream, connection: Connection): void {
    const from = this.ctx.indexOf(connection.remotePeer.toString());
    if (from === undefined || from === this.self || !this.ctx.running()) {
      if (from === undefined) this.ctx.onUnknownPeerStream();
      stream.abort(new Error("rpdvt p2p: not accepting this peer"));
      return;
    }
    const c = this.counters[from] as PeerCounters;
    const limiter = this.limiter(from);
    const decoder = new FrameDecoder(this.maxMessageSize);
    const sink: FrameSink = {
      onHeader: (length) => {
        if (limiter.allow(length)) return true;
        c.rateLimited++;
        return false;
      },
      onFrame: (bytes) => {
        c.received++;
        c.receivedBytes += bytes.length;
        this.deliver(from, bytes);
      },
    };
    const fail = (err: FrameError): void => {
      if (err === "oversize") c.oversize++;
      else c.decodeErrors++;
      stream.abort(new Error(`rpdvt p2p: ${err} frame`));
    };
    stream.addEventListener("message", (e) => {
      if (decoder.error) return;
      try {
        for (const chunk of chunksOf(e.data)) {
          const err = decoder.push(chunk, sink);
          if (err) return fail(err);
        }
      } catch {
        fail("bad-varint");
      }
    });
    stream.addEventListener("end", () => {
      if (decoder.error) return;
      const err = decoder.finish();
      if (err) c.decodeErrors++;
    });
    // We never write on an inbound stream: half-close our side at once.
    stream.close().catch(() => {});
  }

  private limiter(from: number): PeerRateLimiter {
    let l = this.limiters[from];
    if (!l) {
      l = new PeerRateLimiter(this.cfg.rateLimit, () => performance.now());
      this.limiters[from] = l;
    }
    return l;
  }

  private deliver(from: number, bytes: Uint8Array): void {
    for (const h of this.handlers) {
      try {
        h(from, bytes);
      } catch {
        (this.counters[from] as PeerCounters).handlerErrors++;
      }
    }
  }

  private sendOne(to: number, bytes: Uint8Array): void {
    if (!Number.isInteger(to) || to < 0 || to >= this.n) return;
    if (to === this.self) {
      // As on the simulated network: a send to oneself is delivered locally, asynchronously.
      if (!(bytes instanceof Uint8Array) || !this.ctx.running()) return;
      const copy = bytes.slice();
      setImmediate(() => {
        if (this.ctx.running()) this.deliver(this.self, copy);
      });
      return;
    }
    const c = this.counters[to] as PeerCounters;
    if (
      !(bytes instanceof Uint8Array) ||
      bytes.length > this.maxMessageSize ||
      !this.ctx.running()
    ) {
      c.dropped++;
      return;
    }
    const conn = this.ctx.connection(to);
    if (!conn) {
      c.dropped++;
      return;
    }
    const frame = encodeFrame(bytes);
    if (this.ctx.streamMode === "per-message") {
      this.sendOnNewStream(to, conn, frame, bytes.length);
      return;
    }
    const ob = this.outboxes[to] as Outbox;
    let s = ob.stream;
    if (s && !writable(s)) {
      this.forget(to, s); // died before its "close" event: re-open below
      s = undefined;
    } else if (s && ob.conn !== conn) {
      // The peer's canonical connection changed (duplicate being retired): finish the old stream
      // gracefully (what it holds is still delivered) and continue on a new one.
      ob.stream = undefined;
      ob.conn = undefined;
      ob.draining = false;
      const old = s;
      old.close().catch(() => old.abort(new Error("rpdvt p2p: stream retired")));
      s = undefined;
    }
    if (s && ob.head === ob.queue.length && !s.writableNeedsDrain) {
      this.write(to, s, frame, bytes.length);
      return;
    }
    if (
      ob.queue.length - ob.head >= this.ctx.maxQueuedMessages ||
      ob.queuedBytes + frame.length > this.ctx.maxQueuedBytes
    ) {
      c.dropped++;
      return;
    }
    ob.queue.push({ frame, size: bytes.length });
    ob.queuedBytes += frame.length;
    if (s) this.flush(to);
    else this.open(to, conn);
  }

  private write(to: number, s: Stream, frame: Uint8Array, size: number): boolean {
    const c = this.counters[to] as PeerCounters;
    try {
      s.send(frame);
      c.sent++;
      c.sentBytes += size;
      return true;
    } catch {
      c.dropped++;
      this.forget(to, s);
      return false;
    }
  }

  private open(to: number, conn: Connection): void {
    const ob = this.outboxes[to] as Outbox;
    if (ob.opening) return;
    ob.opening = true;
    conn
      .newStream(this.protocol, { signal: AbortSignal.timeout(this.ctx.streamOpenTimeoutMs) })
      .then(
        (s) => {
          ob.opening = false;
          if (!this.ctx.running()) {
            s.abort(new Error("rpdvt p2p: stopped"));
            return;
          }
          ob.stream = s;
          ob.conn = conn;
          s.addEventListener("close", () => this.forget(to, s));
          // The remote never writes on a stream we opened; if it does, reset the stream.
          s.addEventListener("message", () => {
            (this.counters[to] as PeerCounters).decodeErrors++;
            s.abort(new Error("rpdvt p2p: unexpected data on outbound stream"));
          });
          this.flush(to);
        },
        () => {
          ob.opening = false;
          this.dropQueued(to);
        },
      );
  }

  private flush(to: number): void {
    const ob = this.outboxes[to] as Outbox;
    const s = ob.stream;
    if (!s) return;
    while (ob.head < ob.queue.length) {
      if (!writable(s)) {
        this.forget(to, s);
        return;
      }
      if (s.writableNeedsDrain) {
        // Wait for the muxer's "drain" event. Not `onDrain()`: in @libp2p/utils 7.4 its promise
        // is created once and never reset, so after the first drain it resolves at once while
        // `writableNeedsDrain` is still true — a microtask loop that starves the event loop.
        if (!ob.draining) {
          ob.draining = true;
          s.addEventListener(
            "drain",
            () => {
              if (ob.stream !== s) return;
              ob.draining = false;
              this.flush(to);
            },
            { once: true },
          );
        }
        return;
      }
      const item = ob.queue[ob.head] as { frame: Uint8Array; size: number };
      ob.queue[ob.head++] = undefined as never;
      ob.queuedBytes -= item.frame.length;
      if (!this.write(to, s, item.frame, item.size)) return;
    }
    ob.queue = [];
    ob.head = 0;
  }

  /** Stream `s` of peer `to` is unusable: forget it and drop what was queued for it. */
  private forget(to: number, s: Stream): void {
    const ob = this.outboxes[to] as Outbox;
    if (ob.stream !== s) return;
    ob.stream = undefined;
    ob.conn = undefined;
    ob.draining = false;
    this.dropQueued(to);
  }

  private dropQueued(to: number): void {
    const ob = this.outboxes[to] as Outbox;
    (this.counters[to] as PeerCounters).dropped += ob.queue.length - ob.head;
    ob.queue = [];
    ob.head = 0;
    ob.queuedBytes = 0;
  }

  private sendOnNewStream(to: number, conn: Connection, frame: Uint8Array, size: number): void {
    const c = this.counters[to] as PeerCounters;
    conn
      .newStream(this.protocol, {
        signal: AbortSignal.timeout(this.ctx.streamOpenTimeoutMs),
        negotiateFully: false,
      })
      .then(
        (s) => {
          if (this.write(to, s, frame, size)) s.close().catch(() => s.abort(new Error("close")));
        },
        () => {
          c.dropped++;
        },
      );
  }
}

const writable = (s: Stream): boolean => s.status === "open" && s.writeStatus === "writable";
