/**
 * The production transport ({@link MessageTransport}; src/core/transport.ts calls it `Transport`):
 * libp2p (TCP + Noise + Yamux, node.ts) between the n operators of a cluster, one libp2p protocol
 * id per logical channel (channel.ts).
 *
 * - Identity: the operator's secp256k1 key is the libp2p peer id (identity.ts); peers are the
 *   other operators' 33-byte public keys → peer ids → operator indices. The sender index of every
 *   message is the Noise-authenticated remote peer id of its connection.
 * - Admission: a cluster-only connection gater (gater.ts) refuses any other peer id at dial and
 *   after the Noise handshake (inbound and outbound), counted.
 * - Dialing: the lower index dials the higher one as soon as the transport starts, and redials
 *   with backoff (dialer.ts) after a disconnect. The higher index waits `dialGraceMs` before
 *   dialing a lower peer itself (a fallback for a lower peer that is not reachable inbound, or
 *   that lost our address after we restarted on another port), so normally exactly one
 *   connection exists. If both dials race, the connection initiated by the lower index is kept
 *   and the other closed — both sides apply the same rule (cf. Charon, which lets both dial and
 *   relies on libp2p to reuse a connection).
 * - Sends are fire-and-forget: to a disconnected peer they are dropped and counted.
 */
import { publicKeyFromRaw } from "@libp2p/crypto/keys";
import type { Connection, Libp2p, PeerId } from "@libp2p/interface";
import { peerIdFromPublicKey } from "@libp2p/peer-id";
import type { Multiaddr } from "@multiformats/multiaddr";
import { publicKeyFromIdentity } from "../crypto/secp256k1.js";
import { BaseError, InputError } from "../errors.js";
import { toHex } from "../util/hex.js";
import { DEFAULT_LISTEN, dialAddress, toMultiaddr } from "./address.js";
import {
  Channel,
  type ChannelContext,
  type PeerCounters,
  type StreamMode,
  zeroCounters,
} from "./channel.js";
import { DEFAULT_REDIAL, type DialCounters, Redialer, type RedialOptions } from "./dialer.js";
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_FRAME_LIMIT } from "./framing.js";
import { clusterGater, type GaterCounters } from "./gater.js";
import type { NodeIdentity } from "./identity.js";
import type { MessageHandler, MessageTransport } from "./message-transport.js";
import { createLibp2pNode } from "./node.js";
import { type RateLimit, resolveRateLimit } from "./rate-limit.js";

/**
 * Protocol id of QBFT consensus messages (libp2p protocol-id convention `/name/semver`).
 *
 * @example
 * transport.channel(QBFT_PROTOCOL)
 */
export const QBFT_PROTOCOL = "/rpdvt/qbft/1.0.0";
/**
 * Protocol id of partial-signature exchange.
 *
 * @example
 * const parsigex = transport.channel("parsigex"); // same as channel(PARSIGEX_PROTOCOL)
 */
export const PARSIGEX_PROTOCOL = "/rpdvt/parsigex/1.0.0";

/**
 * Most operators one transport serves: 64, the largest cluster rpdvt runs (the same bound as
 * QBFT's MAX_OPERATORS in core/consensus/codec.ts, which a unit test holds equal; p2p keeps its
 * own copy so it does not depend on the protocols it carries).
 *
 * @example
 * if (n > MAX_PEERS) throw new InputError("cluster too large");
 */
export const MAX_PEERS = 64;

/**
 * Default grace before a higher-index node dials a lower one itself (the lower one is expected to
 * dial first): 2 s — several loopback/LAN handshakes, well under a 12 s slot.
 *
 * @example
 * createP2PTransport({ ...opts, dialGraceMs: DEFAULT_DIAL_GRACE_MS });
 */
export const DEFAULT_DIAL_GRACE_MS = 2_000;
/**
 * Default outbound queue bound per peer and channel: 10,000 messages (≫ one slot of traffic
 * for 1,000 validators, see rate-limit.ts) …
 *
 * @example
 * createP2PTransport({ ...opts, maxQueuedMessages: DEFAULT_MAX_QUEUED_MESSAGES });
 */
export const DEFAULT_MAX_QUEUED_MESSAGES = 10_000;
/**
 * … and 32 MiB (two maximal 16 MiB messages), raised to 2 × the channel maximum if larger.
 *
 * @example
 * createP2PTransport({ ...opts, maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES });
 */
export const DEFAULT_MAX_QUEUED_BYTES = 32 * 2 ** 20;
/**
 * Default stream-open timeout: 5 s (one multistream-select round trip normally).
 *
 * @example
 * createP2PTransport({ ...opts, streamOpenTimeoutMs: DEFAULT_STREAM_OPEN_TIMEOUT_MS });
 */
export const DEFAULT_STREAM_OPEN_TIMEOUT_MS = 5_000;

/**
 * Delay before closing a duplicate connection: 500 ms, ≫ a loopback/LAN connection upgrade, so
 * the remote has seen both connections and moved its streams to the canonical one.
 *
 * @example
 * setTimeout(() => dedupe(i), DEDUPE_DELAY_MS);
 */
export const DEDUPE_DELAY_MS = 500;

/**
 * Another operator: index in the cluster definition, identity public key (33-byte compressed, or
 * its identity string: peer id / 0x-hex), and where to dial it (multiaddr or host:port; omit for
 * a peer that only dials us).
 *
 * @example
 * const peer: P2PPeer = { index: 1, publicKey: pk1, address: "127.0.0.1:9001" };
 */
export type P2PPeer = {
  index: number;
  publicKey: Uint8Array | string;
  address?: string | undefined;
};

/**
 * Per-channel settings (defaults from the transport options).
 *
 * @example
 * transport.channel("parsigex", { maxMessageSize: 1 << 20, rateLimit: { messagesPerSecond: 5000 } });
 */
export type ChannelOptions = {
  maxMessageSize?: number | undefined;
  rateLimit?: Partial<RateLimit> | undefined;
};

/**
 * Options of {@link createP2PTransport}.
 *
 * @example
 * const opts: P2PTransportOptions = { identity, self: 0, peers, listen: "127.0.0.1:0" };
 */
export type P2PTransportOptions = {
  identity: NodeIdentity;
  /** This operator's index. */
  self: number;
  /** The other operators (an entry for `self` is allowed and checked against `identity`). */
  peers: P2PPeer[];
  /** Listen address(es): host:port or multiaddr. Default "127.0.0.1:0". */
  listen?: string | string[] | undefined;
  /** Protocol id of the transport itself (its default channel). Default {@link QBFT_PROTOCOL}. */
  protocol?: string | undefined;
  /**
   * Largest message of the default channel and default for other channels: 16 MiB unless given
   * (framing.ts). The protocol's owner passes its own bound (the node passes QBFT's
   * MAX_MESSAGE_SIZE, core/consensus/codec.ts): p2p does not know the protocols it carries.
   */
  maxMessageSize?: number | undefined;
  /** Inbound per-peer limits (rate-limit.ts defaults). */
  rateLimit?: Partial<RateLimit> | undefined;
  redial?: Partial<RedialOptions> | undefined;
  dialGraceMs?: number | undefined;
  dialTimeoutMs?: number | undefined;
  streamMode?: StreamMode | undefined;
  maxQueuedMessages?: number | undefined;
  maxQueuedBytes?: number | undefined;
  streamOpenTimeoutMs?: number | undefined;
};

/**
 * Counters of one peer (summed over channels) plus its identity and connection state.
 *
 * @example
 * for (const p of transport.stats().peers) console.log(p.index, p.connected, p.dropped);
 */
export type PeerStats = PeerCounters & {
  index: number;
  peerId: string;
  connected: boolean;
  /** Open libp2p connections to the peer (1 when healthy; 2 only briefly, before dedupe). */
  connections: number;
};

/**
 * Transport statistics.
 *
 * @example
 * const s = transport.stats();
 * console.log(s.refused.inbound, s.channels["/rpdvt/qbft/1.0.0"]?.[1]?.received);
 */
export type P2PStats = {
  /** Other operators, in index order. */
  peers: PeerStats[];
  /** Per protocol id: counters per operator index (self entry zero). */
  channels: Record<string, PeerCounters[]>;
  /** Connections refused by the gater (non-members). */
  refused: { inbound: number; outbound: number };
  /** Streams from peers that are not members (0 unless the gater is bypassed). */
  unknownPeerStreams: number;
  dials: DialCounters;
  /** Duplicate connections closed by the dedupe rule. */
  duplicateConnectionsClosed: number;
};

/**
 * A change in a peer's connectivity.
 *
 * @example
 * transport.onPeerChange((e) => console.log(`operator ${e.index} ${e.connected ? "up" : "down"}`));
 */
export type PeerChange = { index: number; peerId: string; connected: boolean };

/**
 * The libp2p transport: a {@link MessageTransport} for its default protocol, plus lifecycle,
 * channels and observability.
 *
 * @example
 * const t = await createP2PTransport({ identity, self: 0, peers });
 * await t.start();
 * const qbft = createQbftNode({ ...cfg, transport: t });
 * const parsigex = t.channel("parsigex");
 * await t.stop();
 */
export interface P2PTransport extends MessageTransport {
  /** This node's peer id. */
  readonly peerId: string;
  /** Protocol id of the default channel. */
  readonly protocol: string;
  /** Listen and start dialing peers. Once. */
  start(): Promise<void>;
  /** Close every connection and stop redialing. Idempotent; the transport cannot restart. */
  stop(): Promise<void>;
  /** Listen multiaddrs with /p2p/<peer id> (empty before start). */
  addresses(): string[];
  /** Operator indices currently connected, ascending. */
  connectedPeers(): number[];
  stats(): P2PStats;
  /** Subscribe to connect/disconnect events; returns unsubscribe. */
  onPeerChange(cb: (e: PeerChange) => void): () => void;
  /**
   * The channel for a protocol: `name` is a full protocol id ("/x/1.0.0") or a short name
   * ("parsigex" → /rpdvt/parsigex/1.0.0). Same name → same channel (options of the first call).
   */
  channel(name: string, opts?: ChannelOptions): MessageTransport;
  /**
   * Set (or clear, with undefined) where operator `index` is dialed, e.g. after it moved; dials
   * it per the dialing rule if not connected.
   */
  setPeerAddress(index: number, address: string | undefined): void;
}

/**
 * Protocol id of a channel name.
 *
 * @example
 * protocolId("parsigex") // "/rpdvt/parsigex/1.0.0"
 * protocolId("/rpdvt/qbft/1.0.0") // "/rpdvt/qbft/1.0.0"
 */
export function protocolId(name: string): string {
  if (typeof name === "string" && /^\/[\x21-\x7e]+$/.test(name)) return name;
  if (typeof name === "string" && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
    return `/rpdvt/${name}/1.0.0`;
  }
  throw new InputError(`Invalid channel name ${JSON.stringify(name)}`, {
    field: "channel",
    metaMessages: ['Use a short name like "parsigex" or a protocol id like "/rpdvt/x/1.0.0".'],
  });
}

type Member = { index: number; publicKey: Uint8Array; peerId: PeerId; dial: Multiaddr | undefined };

function positiveInt(v: number | undefined, dflt: number, field: string, min = 1): number {
  const x = v ?? dflt;
  if (!Number.isSafeInteger(x) || x < min) {
    throw new InputError(`${field} must be an integer ≥ ${min}`, { field, details: String(x) });
  }
  return x;
}

function resolveMembers(opts: P2PTransportOptions): { n: number; members: (Member | undefined)[] } {
  const { self, identity } = opts;
  if (!Array.isArray(opts.peers))
    throw new InputError("peers must be an array", { field: "peers" });
  const indices = [self, ...opts.peers.map((p) => p.index)];
  const n = Math.max(...indices.filter((i) => Number.isInteger(i))) + 1;
  if (!Number.isInteger(self) || self < 0) {
    throw new InputError(`Operator index must be a non-negative integer, got ${self}`, {
      field: "self",
    });
  }
  if (n > MAX_PEERS) {
    throw new InputError(`At most ${MAX_PEERS} operators are supported, got ${n}`, {
      field: "peers",
    });
  }
  const members: (Member | undefined)[] = Array.from({ length: n }, () => undefined);
  const keys = new Set<string>([toHex(identity.publicKey)]);
  for (const [k, p] of opts.peers.entries()) {
    const field = `peers[${k}]`;
    if (!Number.isInteger(p.index) || p.index < 0) {
      throw new InputError(`Peer index must be a non-negative integer`, {
        field: `${field}.index`,
      });
    }
    const pk =
      typeof p.publicKey === "string"
        ? publicKeyFromIdentity(p.publicKey, `${field}.publicKey`)
        : publicKeyFromIdentity(toHex(p.publicKey ?? new Uint8Array(0)), `${field}.publicKey`);
    if (p.index === self) {
      if (toHex(pk) !== toHex(identity.publicKey)) {
        throw new InputError("The peer entry for this operator does not match its identity key", {
          field,
          metaMessages: ["Check `self` and the identity file: they name different operators."],
        });
      }
      continue;
    }
    if (members[p.index]) {
      throw new InputError(`Operator ${p.index} is listed twice`, { field: `${field}.index` });
    }
    if (keys.has(toHex(pk))) {
      throw new InputError(`Operator ${p.index} has the same identity key as another operator`, {
        field: `${field}.publicKey`,
      });
    }
    keys.add(toHex(pk));
    const peerId = peerIdFromPublicKey(publicKeyFromRaw(pk));
    const dial =
      p.address === undefined || p.address === ""
        ? undefined
        : dialAddress(p.address, peerId.toString(), `${field}.address`);
    members[p.index] = { index: p.index, publicKey: pk, peerId, dial };
  }
  for (let i = 0; i < n; i++) {
    if (i !== self && !members[i]) {
      throw new InputError(`No peer entry for operator ${i}`, {
        field: "peers",
        metaMessages: [`Operators are indices 0..${n - 1}; give every other operator once.`],
      });
    }
  }
  return { n, members };
}

/** Validated transport settings (every option checked before the libp2p node is built). */
type TransportSettings = {
  protocol: string;
  maxMessageSize: number | undefined;
  rateLimit: Partial<RateLimit> | undefined;
  redial: RedialOptions;
  dialGraceMs: number;
  dialTimeoutMs: number | undefined;
  streamMode: StreamMode;
  maxQueuedMessages: number;
  maxQueuedBytes: number | undefined;
  streamOpenTimeoutMs: number;
  listen: string[];
};

function resolveSettings(opts: P2PTransportOptions): TransportSettings {
  const protocol = protocolId(opts.protocol ?? QBFT_PROTOCOL);
  const redial: RedialOptions = {
    initialMs: positiveInt(opts.redial?.initialMs, DEFAULT_REDIAL.initialMs, "redial.initialMs"),
    maxMs: positiveInt(opts.redial?.maxMs, DEFAULT_REDIAL.maxMs, "redial.maxMs"),
  };
  const dialGraceMs = positiveInt(opts.dialGraceMs, DEFAULT_DIAL_GRACE_MS, "dialGraceMs", 0);
  const streamMode: StreamMode = opts.streamMode ?? "reuse";
  if (streamMode !== "reuse" && streamMode !== "per-message") {
    throw new InputError(`Unknown streamMode ${String(streamMode)}`, { field: "streamMode" });
  }
  const maxQueuedMessages = positiveInt(
    opts.maxQueuedMessages,
    DEFAULT_MAX_QUEUED_MESSAGES,
    "maxQueuedMessages",
  );
  const streamOpenTimeoutMs = positiveInt(
    opts.streamOpenTimeoutMs,
    DEFAULT_STREAM_OPEN_TIMEOUT_MS,
    "streamOpenTimeoutMs",
  );
  const listen = (Array.isArray(opts.listen) ? opts.listen : [opts.listen ?? DEFAULT_LISTEN]).map(
    (a, i) => toMultiaddr(a, `listen[${i}]`).toString(),
  );
  return {
    protocol,
    maxMessageSize: opts.maxMessageSize,
    rateLimit: opts.rateLimit,
    redial,
    dialGraceMs,
    dialTimeoutMs: opts.dialTimeoutMs,
    streamMode,
    maxQueuedMessages,
    maxQueuedBytes: opts.maxQueuedBytes,
    streamOpenTimeoutMs,
    listen,
  };
}

/**
 * Build the libp2p transport (not started). Every option is checked first (InputError naming it).
 *
 * @example
 * const t = await createP2PTransport({
 *   identity: await loadIdentity("identity.json"),
 *   self: 0,
 *   peers: [{ index: 1, publicKey: pk1, address: "10.0.0.2:9000" }, …],
 *   listen: "0.0.0.0:9000",
 *   maxMessageSize: MAX_MESSAGE_SIZE, // the carried protocol's bound (here QBFT's)
 * });
 * await t.start();
 * t.onMessage((from, bytes) => …);
 */
export async function createP2PTransport(opts: P2PTransportOptions): Promise<P2PTransport> {
  const { n, members } = resolveMembers(opts);
  const settings = resolveSettings(opts);
  const indexByPeer = new Map<string, number>();
  for (const m of members) if (m) indexByPeer.set(m.peerId.toString(), m.index);
  const gaterCounters: GaterCounters = { refusedInbound: 0, refusedOutbound: 0 };
  const libp2p: Libp2p = await createLibp2pNode({
    identity: opts.identity,
    listen: settings.listen,
    gater: clusterGater((id) => indexByPeer.has(id), gaterCounters),
    dialTimeoutMs: settings.dialTimeoutMs,
    maxConnections: 2 * n + 16,
    inboundConnectionThreshold: Math.max(32, 4 * n),
  });
  return new Libp2pTransport({
    self: opts.self,
    n,
    peerId: opts.identity.peerId,
    members,
    indexByPeer,
    settings,
    libp2p,
    gaterCounters,
  });
}

/** What {@link Libp2pTransport} is built from. */
type TransportParts = {
  self: number;
  n: number;
  peerId: string;
  members: (Member | undefined)[];
  indexByPeer: Map<string, number>;
  settings: TransportSettings;
  libp2p: Libp2p;
  gaterCounters: GaterCounters;
};

function sumCounters(list: PeerCounters[]): PeerCounters {
  const out = zeroCounters();
  for (const c of list) {
    for (const k of Object.keys(out) as (keyof PeerCounters)[]) out[k] += c[k];
  }
  return out;
}

const HANDLE_OPTIONS = { maxInboundStreams: 64, maxOutboundStreams: 64 };

/**
 * The {@link P2PTransport} over one libp2p node: membership, the dialing and dedupe rules (module
 * header), channels, and counters. Built by {@link createP2PTransport}.
 */
class Libp2pTransport implements P2PTransport {
  readonly self: number;
  readonly n: number;
  readonly peerId: string;
  readonly protocol: string;
  private state: "new" | "starting" | "running" | "stopped" = "new";
  private readonly members: (Member | undefined)[];
  private readonly indexByPeer: Map<string, number>;
  private readonly settings: TransportSettings;
  private readonly libp2p: Libp2p;
  private readonly gaterCounters: GaterCounters;
  private readonly dialCounters: DialCounters = { attempts: 0, failures: 0 };
  private unknownPeerStreams = 0;
  private duplicatesClosed = 0;
  private readonly channels = new Map<string, Channel>();
  private readonly channelContext: ChannelContext;
  private readonly main: Channel;
  private readonly connected = new Set<number>();
  private readonly listeners = new Set<(e: PeerChange) => void>();
  private readonly redialer: Redialer;
  private readonly dedupeTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(parts: TransportParts) {
    this.self = parts.self;
    this.n = parts.n;
    this.peerId = parts.peerId;
    this.protocol = parts.settings.protocol;
    this.members = parts.members;
    this.indexByPeer = parts.indexByPeer;
    this.settings = parts.settings;
    this.libp2p = parts.libp2p;
    this.gaterCounters = parts.gaterCounters;
    this.channelContext = {
      self: this.self,
      n: this.n,
      running: () => this.state === "running" || this.state === "starting",
      indexOf: (peerId: string) => this.indexByPeer.get(peerId),
      connection: (i: number) => this.canonical(i),
      streamMode: this.settings.streamMode,
      maxQueuedMessages: this.settings.maxQueuedMessages,
      maxQueuedBytes: 0,
      streamOpenTimeoutMs: this.settings.streamOpenTimeoutMs,
      onUnknownPeerStream: () => {
        this.unknownPeerStreams++;
      },
    };
    this.main = this.openChannel(this.protocol);
    this.redialer = new Redialer(
      async (i) => {
        const target = this.members[i]?.dial;
        if (target) await this.libp2p.dial(target);
      },
      (i) => this.openConnections(i).length > 0,
      this.settings.redial,
      this.dialCounters,
    );
    this.listenToLibp2p();
  }

  // The default channel. Arrow properties: callers may pass them around unbound.
  send = (to: number, bytes: Uint8Array): void => this.main.send(to, bytes);
  broadcast = (bytes: Uint8Array): void => this.main.broadcast(bytes);
  onMessage = (cb: MessageHandler): (() => void) => this.main.onMessage(cb);

  async start(): Promise<void> {
    if (this.state !== "new") {
      throw new BaseError(`P2P transport cannot start: it is ${this.state}`, {
        metaMessages: ["Create a new transport (same identity) to start again."],
      });
    }
    this.state = "starting";
    try {
      for (const ch of this.channels.values()) await this.register(ch);
      await this.libp2p.start();
    } catch (err) {
      this.state = "stopped";
      await Promise.resolve(this.libp2p.stop()).catch(() => {});
      throw startError(err, this.settings.listen);
    }
    this.state = "running";
    for (let i = 0; i < this.n; i++) if (i !== this.self) this.scheduleDial(i, true);
  }

  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    this.redialer.stop();
    for (const t of this.dedupeTimers) clearTimeout(t);
    this.dedupeTimers.clear();
    for (const ch of this.channels.values()) ch.reset();
    await this.libp2p.stop();
    for (const i of [...this.connected].sort((a, b) => a - b)) {
      this.connected.delete(i);
      const peerId = (this.members[i] as Member).peerId.toString();
      this.emit({ index: i, peerId, connected: false });
    }
  }

  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  connectedPeers(): number[] {
    return Array.from({ length: this.n }, (_, i) => i).filter(
      (i) => i !== this.self && this.openConnections(i).length > 0,
    );
  }

  stats(): P2PStats {
    const perChannel: Record<string, PeerCounters[]> = {};
    for (const [p, ch] of this.channels) perChannel[p] = ch.stats();
    const all = Object.values(perChannel);
    const peers: PeerStats[] = [];
    for (let i = 0; i < this.n; i++) {
      const m = this.members[i];
      if (!m) continue;
      const open = this.openConnections(i).length;
      peers.push({
        index: i,
        peerId: m.peerId.toString(),
        connected: open > 0,
        connections: open,
        ...sumCounters(all.map((list) => list[i] as PeerCounters)),
      });
    }
    const g = this.gaterCounters;
    return {
      peers,
      channels: perChannel,
      refused: { inbound: g.refusedInbound, outbound: g.refusedOutbound },
      unknownPeerStreams: this.unknownPeerStreams,
      dials: { ...this.dialCounters },
      duplicateConnectionsClosed: this.duplicatesClosed,
    };
  }

  onPeerChange(cb: (e: PeerChange) => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  channel(name: string, copts: ChannelOptions = {}): MessageTransport {
    return this.openChannel(name, copts);
  }

  setPeerAddress(index: number, address: string | undefined): void {
    const m = Number.isInteger(index) && index !== this.self ? this.members[index] : undefined;
    if (!m) throw new InputError(`No other operator with index ${index}`, { field: "index" });
    m.dial =
      address === undefined || address === ""
        ? undefined
        : dialAddress(address, m.peerId.toString(), `peers[${index}].address`);
    if (this.openConnections(index).length === 0) this.scheduleDial(index, true);
  }

  /** The channel of a protocol (created on first use, registered with libp2p once running). */
  private openChannel(name: string, copts: ChannelOptions = {}): Channel {
    const protocol = protocolId(name);
    const existing = this.channels.get(protocol);
    if (existing) return existing;
    const maxMessageSize =
      copts.maxMessageSize ?? this.settings.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    if (
      !Number.isSafeInteger(maxMessageSize) ||
      maxMessageSize < 1 ||
      maxMessageSize > MAX_FRAME_LIMIT
    ) {
      throw new InputError(`maxMessageSize must be 1..${MAX_FRAME_LIMIT}`, {
        field: "maxMessageSize",
        details: String(maxMessageSize),
      });
    }
    const rateLimit = resolveRateLimit(
      { ...this.settings.rateLimit, ...copts.rateLimit },
      maxMessageSize,
    );
    const maxQueuedBytes = positiveInt(
      this.settings.maxQueuedBytes,
      Math.max(DEFAULT_MAX_QUEUED_BYTES, 2 * maxMessageSize),
      "maxQueuedBytes",
    );
    const ch = new Channel(
      { ...this.channelContext, maxQueuedBytes },
      { protocol, maxMessageSize, rateLimit },
    );
    this.channels.set(protocol, ch);
    if (this.state === "starting" || this.state === "running") {
      this.register(ch).catch(() => {
        // libp2p only rejects duplicate registrations, which `channels` prevents.
      });
    }
    return ch;
  }

  private async register(ch: Channel): Promise<void> {
    await this.libp2p.handle(
      ch.protocol,
      (stream, conn) => ch.accept(stream, conn),
      HANDLE_OPTIONS,
    );
  }

  private openConnections(i: number): Connection[] {
    const m = this.members[i];
    return m ? this.libp2p.getConnections(m.peerId).filter((c) => c.status === "open") : [];
  }

  /**
   * The canonical connection to a peer: the oldest one initiated by the lower index, else the
   * oldest. Both sides compute the same choice (see module header); sends always use it.
   */
  private canonical(i: number, conns = this.openConnections(i)): Connection | undefined {
    if (conns.length < 2) return conns[0];
    const preferred = this.self < i ? "outbound" : "inbound";
    const sorted = [...conns].sort((a, b) => a.timeline.open - b.timeline.open);
    return sorted.find((c) => c.direction === preferred) ?? sorted[0];
  }

  /** Dial peer i per the dialing rule: the lower index at once, the higher after the grace. */
  private scheduleDial(i: number, first: boolean): void {
    if (!this.members[i]?.dial || this.state !== "running") return;
    const { redial, dialGraceMs } = this.settings;
    const delay = this.self < i ? (first ? 0 : redial.initialMs) : dialGraceMs;
    if (first) this.redialer.schedule(i, delay);
    else this.redialer.disconnected(i, delay);
  }

  /** Close every connection to peer i but the canonical one. */
  private dedupe(i: number): void {
    const conns = this.openConnections(i);
    if (conns.length < 2 || this.state !== "running") return;
    const keep = this.canonical(i, conns);
    for (const c of conns) {
      if (c === keep) continue;
      this.duplicatesClosed++;
      c.close().catch((err: unknown) => c.abort(err instanceof Error ? err : new Error("close")));
    }
  }

  private emit(e: PeerChange): void {
    for (const cb of [...this.listeners]) {
      try {
        cb(e);
      } catch {
        // Listener errors must not disturb the transport.
      }
    }
  }

  private listenToLibp2p(): void {
    this.libp2p.addEventListener("peer:connect", (e) => {
      const i = this.indexByPeer.get(e.detail.toString());
      if (i === undefined || this.connected.has(i)) return;
      this.connected.add(i);
      this.redialer.connected(i);
      this.emit({ index: i, peerId: e.detail.toString(), connected: true });
    });
    this.libp2p.addEventListener("peer:disconnect", (e) => {
      const i = this.indexByPeer.get(e.detail.toString());
      if (i === undefined || !this.connected.delete(i)) return;
      this.emit({ index: i, peerId: e.detail.toString(), connected: false });
      this.scheduleDial(i, false);
    });
    this.libp2p.addEventListener("connection:open", (e) => {
      const i = this.indexByPeer.get(e.detail.remotePeer.toString());
      if (i === undefined || this.openConnections(i).length < 2) return;
      // Close duplicates a little later, once both sides see both connections and have moved
      // their streams to the canonical one, so nothing in flight is lost with the closed one.
      const t = setTimeout(() => {
        this.dedupeTimers.delete(t);
        this.dedupe(i);
      }, DEDUPE_DELAY_MS);
      t.unref?.();
      this.dedupeTimers.add(t);
    });
  }
}

/** The error of a failed start, with the usual fix for a port in use. */
function startError(err: unknown, listen: string[]): BaseError {
  const code = (err as NodeJS.ErrnoException)?.code;
  return new BaseError("Cannot start the p2p transport", {
    cause: err,
    metaMessages: [
      code === "EADDRINUSE"
        ? `The listen address ${listen.join(", ")} is in use: stop the other process or choose another port.`
        : `Check the listen address(es): ${listen.join(", ")}.`,
    ],
  });
}
