/**
 * Peer info between the operators of a cluster: each node tells the others its software version
 * and measures the round-trip time of its link to each of them (cf. Charon's app/peerinfo
 * protocol, which exchanges version, git hash and clock offset). Its own libp2p protocol
 * (/rpdvt/peerinfo/1.0.0, one small JSON message): every {@link PEERINFO_INTERVAL_MS} and when a
 * peer connects, a node sends `{"type":"ping","version":…,"t":…}`; the peer answers a `pong`
 * echoing `t`, so the RTT is measured on the sender's own monotonic clock (no clock sync needed).
 * The first exchange on a connection also opens the protocol's streams (multistream-select round
 * trips each way): it only warms them up, and a second ping follows at once to measure the RTT.
 * Remote text is bounded and checked; it is only ever displayed as text (the dashboard).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { P2PTransport } from "./transport.js";

/**
 * This software's version (package.json), which nodes tell each other.
 *
 * @example
 * startPeerInfo(transport, { version: RPDVT_VERSION });
 */
export const RPDVT_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/**
 * Ping period: 5 s, half the libp2p connection monitor's 10 s, so a restarted peer shows its
 * version and RTT within seconds.
 *
 * @example
 * startPeerInfo(transport, { intervalMs: PEERINFO_INTERVAL_MS });
 */
export const PEERINFO_INTERVAL_MS = 5_000;

/** Largest message: ~60 bytes in practice; anything far larger is not ours. */
const MAX_MESSAGE_BYTES = 256;
/** Version strings are semver-like (package.json); anything else is shown as "invalid". */
const VERSION_RE = /^[0-9A-Za-z.+_-]{1,32}$/;

/**
 * What a node knows of another operator.
 *
 * @example
 * const info: PeerInfo = { version: "0.1.0", rttMs: 0.8, seenAt: 12_345.6 };
 */
export type PeerInfo = {
  /** The version it announced ("invalid" when it sent something that is not a version). */
  version?: string | undefined;
  /** Round-trip time of the last ping answered on the current connection. */
  rttMs?: number | undefined;
  /** When the last peer-info message arrived (performance.now() clock). */
  seenAt: number;
};

/**
 * The running peer-info exchange.
 *
 * @example
 * const info = startPeerInfo(transport);
 * info.get(2)?.rttMs;
 * info.stop();
 */
export interface PeerInfoService {
  /** The version this node announces. */
  readonly version: string;
  /** What is known of operator `index` (undefined: nothing heard from it yet). */
  get(index: number): PeerInfo | undefined;
  /** Stop pinging and answering. */
  stop(): void;
}

type Message = { type: "ping" | "pong"; version: string; t: number };

function decode(bytes: Uint8Array): Message | undefined {
  if (bytes.length > MAX_MESSAGE_BYTES) return undefined;
  try {
    const m = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<Message> | null;
    if (!m || (m.type !== "ping" && m.type !== "pong")) return undefined;
    if (typeof m.t !== "number" || !Number.isFinite(m.t)) return undefined;
    const version = typeof m.version === "string" && VERSION_RE.test(m.version) ? m.version : "";
    return { type: m.type, version: version || "invalid", t: m.t };
  } catch {
    return undefined;
  }
}

const encode = (m: Message): Uint8Array => Buffer.from(JSON.stringify(m), "utf8");

/**
 * Start the peer-info exchange on `transport` (its own channel): answers pings at once, pings
 * every connected operator every `intervalMs` and each operator as it connects.
 *
 * @example
 * const info = startPeerInfo(transport, { version: RPDVT_VERSION });
 */
export function startPeerInfo(
  transport: Pick<P2PTransport, "channel" | "onPeerChange" | "connectedPeers">,
  opts: { version?: string; intervalMs?: number; now?: () => number } = {},
): PeerInfoService {
  const version = opts.version ?? RPDVT_VERSION;
  const now = opts.now ?? (() => performance.now());
  const channel = transport.channel("peerinfo", {
    maxMessageSize: MAX_MESSAGE_BYTES,
    rateLimit: { messagesPerSecond: 10, messageBurst: 20 },
  });
  const infos = new Map<number, PeerInfo>();
  /** Send time of the unanswered ping per peer: only its echo yields an RTT. */
  const outstanding = new Map<number, number>();
  /** Peers whose streams are open on the current connection (the next pong is a true RTT). */
  const warm = new Set<number>();

  const ping = (to: number) => {
    const t = now();
    outstanding.set(to, t);
    channel.send(to, encode({ type: "ping", version, t }));
  };
  const offMessage = channel.onMessage((from, bytes) => {
    const m = decode(bytes);
    if (!m) return;
    const t = now();
    const info: PeerInfo = { ...infos.get(from), version: m.version, seenAt: t };
    let warmedUp = false;
    if (m.type === "ping") {
      channel.send(from, encode({ type: "pong", version, t: m.t }));
    } else if (outstanding.get(from) === m.t) {
      outstanding.delete(from);
      if (warm.has(from)) info.rttMs = t - m.t;
      else {
        warm.add(from);
        warmedUp = true;
      }
    }
    infos.set(from, info);
    if (warmedUp) ping(from);
  });
  const offPeer = transport.onPeerChange((e) => {
    if (e.connected) {
      ping(e.index);
      return;
    }
    outstanding.delete(e.index);
    warm.delete(e.index);
    const info = infos.get(e.index);
    if (info) infos.set(e.index, { ...info, rttMs: undefined });
  });
  const timer = setInterval(() => {
    for (const i of transport.connectedPeers()) ping(i);
  }, opts.intervalMs ?? PEERINFO_INTERVAL_MS);
  timer.unref();
  for (const i of transport.connectedPeers()) ping(i);

  return {
    version,
    get: (index) => infos.get(index),
    stop() {
      clearInterval(timer);
      offMessage();
      offPeer();
    },
  };
}
