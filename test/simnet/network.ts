/**
 * Deterministic in-process network connecting n nodes, on a simulated clock.
 *
 * Each node gets a {@link Transport} and a {@link Clock} — the same interfaces the libp2p transport
 * and the system clock implement (src/core/transport.ts) — so production code runs unchanged.
 * Every random choice (delay, drop, duplicate, reorder) comes from one seeded PRNG in event
 * order, so a run is reproducible from its seed.
 *
 * Faults:
 * - latency + uniform jitter per message; `reorderRate` adds an extra random delay so messages
 *   overtake each other; `dropRate` and `duplicateRate` per message and recipient;
 * - a WAN model per directed link (`links`, built by wan.ts): one-way delay + uniform jitter and a
 *   loss rate, the loss either a dropped message or, as on libp2p's TCP streams, a retransmission
 *   (the message arrives one RTO late, RFC 6298 §2: RTO ≥ 200 ms on Linux, `TCP_RTO_MIN`) with
 *   the link kept in order (head-of-line blocking: nothing on that link overtakes it);
 * - partitions: groups of nodes; messages between groups are dropped at send time;
 * - crash/restart: a crashed node sends and receives nothing, its timers never fire and its
 *   handlers are forgotten (state loss); `onRestart` hooks rebuild the node;
 * - Byzantine hooks: `setOutbound` rewrites/drops a node's outgoing messages per recipient
 *   (equivocation), `inject` sends arbitrary bytes (garbage, floods, forgeries).
 */
import type { Clock, MessageHandler, Transport } from "../../src/core/transport.js";
import { createPrng, type Prng } from "./prng.js";
import { Scheduler } from "./scheduler.js";

/**
 * One direction of a link (from → to) in the WAN model. Probabilities in [0, 1].
 *
 * @example
 * const l: LinkModel = { delayMs: 50, jitterMs: 10, lossRate: 0.01, loss: "retransmit" };
 */
export type LinkModel = {
  /** One-way delay, ms. */
  delayMs: number;
  /** Uniform extra delay in [0, jitterMs). */
  jitterMs?: number | undefined;
  lossRate?: number | undefined;
  /**
   * "drop" (a datagram network) or "retransmit" (TCP, default): a lost message arrives one RTO
   * = max(200 ms, 2·delay + 4·jitter) later, and the link stays in order behind it.
   */
  loss?: "drop" | "retransmit" | undefined;
};

/**
 * Linux's minimum TCP retransmission timeout (TCP_RTO_MIN, RFC 6298 §2.4's "1 s" lowered by
 * Linux to 200 ms): the least a lost segment delays a stream.
 *
 * @example
 * const rto = Math.max(TCP_RTO_MIN_MS, 2 * delayMs);
 */
export const TCP_RTO_MIN_MS = 200;

/**
 * Network conditions (all optional except n and seed). Probabilities in [0, 1].
 *
 * @example
 * const opts: SimnetOptions = { n: 4, seed: 1, latencyMs: 50, jitterMs: 20, dropRate: 0.3 };
 */
export type SimnetOptions = {
  n: number;
  seed: number;
  latencyMs?: number | undefined;
  jitterMs?: number | undefined;
  dropRate?: number | undefined;
  duplicateRate?: number | undefined;
  reorderRate?: number | undefined;
  /** Extra delay bound for reordered messages (default 4 × latency + 10 ms). */
  reorderMs?: number | undefined;
  /** Drain promise continuations between timestamps (default true; see Scheduler.run). */
  flushAsync?: boolean | undefined;
  /**
   * Per-link WAN model (wan.ts): when it returns a model for (from, to), that link's delay,
   * jitter and loss replace latencyMs / jitterMs / dropRate (reorder, duplicate, partitions and
   * crashes still apply).
   */
  links?: ((from: number, to: number) => LinkModel | undefined) | undefined;
};

/**
 * Rewrites one outgoing message of a Byzantine node for one recipient: return the bytes to send
 * (possibly several messages, possibly none).
 *
 * @example
 * const dropAll: OutboundFilter = () => [];
 */
export type OutboundFilter = (to: number, bytes: Uint8Array) => Uint8Array[];

/**
 * Network statistics.
 *
 * @example
 * console.log(simnet.stats.delivered, simnet.stats.dropped);
 */
export type SimnetStats = {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  bytes: number;
};

/**
 * The simulated network. See {@link createSimnet}.
 *
 * @example
 * const net = createSimnet({ n: 4, seed: 1, latencyMs: 10 });
 * net.transport(0).broadcast(new Uint8Array([1]));
 * await net.run(100);
 */
export interface Simnet {
  readonly n: number;
  readonly scheduler: Scheduler;
  /** Seeded randomness for users of the simnet (independent of the network's own stream). */
  readonly prng: Prng;
  readonly stats: SimnetStats;
  /** Current simulated time (ms). */
  now(): number;
  transport(i: number): Transport;
  /** Node i's clock: its timers are dropped while i is crashed and across restarts. */
  clock(i: number): Clock;
  /** A clock unaffected by crashes (test drivers: slot ticks, scheduled faults). */
  readonly globalClock: Clock;
  /** Change network conditions at runtime. */
  configure(opts: Partial<Omit<SimnetOptions, "n" | "seed">>): void;
  partition(groups: number[][]): void;
  heal(): void;
  crash(i: number): void;
  restart(i: number): void;
  isUp(i: number): boolean;
  onCrash(cb: (i: number) => void): void;
  onRestart(cb: (i: number) => void): void;
  setOutbound(i: number, filter: OutboundFilter | undefined): void;
  /** Send raw bytes as node `from` (bypasses the outbound filter, obeys network conditions). */
  inject(from: number, to: number, bytes: Uint8Array): void;
  /** Run until simulated time `untilMs` (absolute). */
  run(untilMs: number): Promise<void>;
  /** Run until `pred()` holds (→ true) or time `untilMs` is reached (→ false). */
  runUntil(pred: () => boolean, untilMs: number): Promise<boolean>;
}

/**
 * Create a simulated network.
 *
 * @example
 * const net = createSimnet({ n: 7, seed: 3, latencyMs: 20, jitterMs: 10, dropRate: 0.1 });
 * const t = net.transport(2);
 * t.onMessage((from, bytes) => console.log(net.now(), from, bytes.length));
 */
export function createSimnet(options: SimnetOptions): Simnet {
  const n = options.n;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`simnet: n must be ≥ 1, got ${n}`);
  const cond = {
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    dropRate: options.dropRate ?? 0,
    duplicateRate: options.duplicateRate ?? 0,
    reorderRate: options.reorderRate ?? 0,
    reorderMs: options.reorderMs,
    links: options.links,
  };
  /** In-order links (TCP): the latest delivery time scheduled per `from * n + to`. */
  const linkTail = new Map<number, number>();
  const scheduler = new Scheduler();
  scheduler.flushAsync = options.flushAsync ?? true;
  const root = createPrng(options.seed);
  const netRng = root.fork();
  const userRng = root.fork();
  const stats: SimnetStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, bytes: 0 };
  const up = Array.from({ length: n }, () => true);
  const incarnation = Array.from({ length: n }, () => 0);
  const handlers: Set<MessageHandler>[] = Array.from({ length: n }, () => new Set());
  const outbound: (OutboundFilter | undefined)[] = Array.from({ length: n }, () => undefined);
  let group: number[] | undefined;
  const crashHooks: ((i: number) => void)[] = [];
  const restartHooks: ((i: number) => void)[] = [];

  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`simnet: no node ${i}`);
  };

  const delay = (): number => {
    let d = cond.latencyMs + (cond.jitterMs > 0 ? netRng.next() * cond.jitterMs : 0);
    if (netRng.chance(cond.reorderRate)) {
      d += netRng.next() * (cond.reorderMs ?? 4 * cond.latencyMs + 10);
    }
    return d;
  };

  /** Delay over a modelled link (undefined: lost), in order behind earlier messages if TCP. */
  const linkDelay = (from: number, to: number, link: LinkModel): number | undefined => {
    const jitter = link.jitterMs ?? 0;
    let d = link.delayMs + (jitter > 0 ? netRng.next() * jitter : 0);
    const tcp = (link.loss ?? "retransmit") === "retransmit";
    if (netRng.chance(link.lossRate ?? 0)) {
      if (!tcp) return undefined;
      d += Math.max(TCP_RTO_MIN_MS, 2 * link.delayMs + 4 * jitter);
    }
    if (!tcp) return d;
    const k = from * n + to;
    const at = Math.max(scheduler.now + d, linkTail.get(k) ?? 0);
    linkTail.set(k, at);
    return at - scheduler.now;
  };

  const deliverAt = (from: number, to: number, bytes: Uint8Array): void => {
    const inc = incarnation[to];
    const link = cond.links?.(from, to);
    const d = link ? linkDelay(from, to, link) : delay();
    if (d === undefined) {
      stats.dropped++;
      return;
    }
    scheduler.after(d, () => {
      if (!up[to] || incarnation[to] !== inc) {
        stats.dropped++;
        return;
      }
      stats.delivered++;
      for (const h of [...(handlers[to] as Set<MessageHandler>)]) h(from, bytes.slice());
    });
  };

  const rawSend = (from: number, to: number, bytes: Uint8Array): void => {
    stats.sent++;
    stats.bytes += bytes.length;
    if (!up[from] || !up[to]) {
      stats.dropped++;
      return;
    }
    if (group && group[from] !== group[to]) {
      stats.dropped++;
      return;
    }
    if (!cond.links?.(from, to) && netRng.chance(cond.dropRate)) {
      stats.dropped++;
      return;
    }
    const copy = bytes.slice();
    deliverAt(from, to, copy);
    if (netRng.chance(cond.duplicateRate)) {
      stats.duplicated++;
      deliverAt(from, to, copy);
    }
  };

  const send = (from: number, to: number, bytes: Uint8Array): void => {
    const filter = outbound[from];
    if (!filter) {
      rawSend(from, to, bytes);
      return;
    }
    for (const b of filter(to, bytes)) rawSend(from, to, b);
  };

  const transports: Transport[] = Array.from({ length: n }, (_, self) => ({
    self,
    n,
    send(to, bytes) {
      if (Number.isInteger(to) && to >= 0 && to < n) send(self, to, bytes);
    },
    broadcast(bytes) {
      for (let to = 0; to < n; to++) if (to !== self) send(self, to, bytes);
    },
    onMessage(cb) {
      const set = handlers[self] as Set<MessageHandler>;
      set.add(cb);
      return () => set.delete(cb);
    },
  }));

  const clocks: Clock[] = Array.from({ length: n }, (_, i) => ({
    now: () => scheduler.now,
    setTimeout(cb, ms) {
      if (!up[i]) return () => {};
      const inc = incarnation[i];
      const ev = scheduler.after(ms, () => {
        if (up[i] && incarnation[i] === inc) cb();
      });
      return () => scheduler.cancel(ev);
    },
  }));

  const globalClock: Clock = {
    now: () => scheduler.now,
    setTimeout(cb, ms) {
      const ev = scheduler.after(ms, cb);
      return () => scheduler.cancel(ev);
    },
  };

  return {
    n,
    scheduler,
    prng: userRng,
    stats,
    now: () => scheduler.now,
    transport: (i) => {
      check(i);
      return transports[i] as Transport;
    },
    clock: (i) => {
      check(i);
      return clocks[i] as Clock;
    },
    globalClock,
    configure(opts) {
      Object.assign(
        cond,
        Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
      );
      if (opts.flushAsync !== undefined) scheduler.flushAsync = opts.flushAsync;
    },
    partition(groups) {
      const g = Array.from({ length: n }, () => -1);
      groups.forEach((members, gi) => {
        for (const m of members) {
          check(m);
          g[m] = gi;
        }
      });
      // Nodes not listed are isolated, each in its own group.
      group = g.map((v, i) => (v >= 0 ? v : groups.length + i));
    },
    heal() {
      group = undefined;
    },
    crash(i) {
      check(i);
      if (!up[i]) return;
      up[i] = false;
      incarnation[i] = (incarnation[i] as number) + 1;
      for (const cb of crashHooks) cb(i);
      (handlers[i] as Set<MessageHandler>).clear();
    },
    restart(i) {
      check(i);
      if (up[i]) return;
      up[i] = true;
      incarnation[i] = (incarnation[i] as number) + 1;
      for (const cb of restartHooks) cb(i);
    },
    isUp: (i) => up[i] === true,
    onCrash: (cb) => {
      crashHooks.push(cb);
    },
    onRestart: (cb) => {
      restartHooks.push(cb);
    },
    setOutbound(i, filter) {
      check(i);
      outbound[i] = filter;
    },
    inject(from, to, bytes) {
      check(from);
      check(to);
      rawSend(from, to, bytes);
    },
    async run(untilMs) {
      await scheduler.run(untilMs);
    },
    runUntil: (pred, untilMs) => scheduler.run(untilMs, pred),
  };
}
