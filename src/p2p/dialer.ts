/**
 * Keep-connected loop: (re)dial a peer until connected, with capped exponential backoff and
 * jitter (the usual reconnect discipline; cf. libp2p's reconnect queue for KEEP_ALIVE peers,
 * and Charon p2p/relay.go / p2p/p2p.go `reconnect` loops with `expbackoff`).
 *
 * One loop per peer: at most one timer and one dial in flight. The backoff is reset only when a
 * connection has stayed up for {@link STABLE_CONNECTION_MS}: a remote that accepts the TCP and
 * Noise handshakes but then refuses us (its gater does not know our key — a misconfigured
 * cluster definition) looks like a successful dial to libp2p v3, which selects the muxer
 * optimistically; counting such short-lived connections as failures keeps the loop from
 * hammering that peer.
 */

/**
 * Backoff parameters (ms).
 *
 * @example
 * const r: RedialOptions = { initialMs: 250, maxMs: 5_000 };
 */
export type RedialOptions = {
  /** First retry delay after a failed dial. */
  initialMs: number;
  /** Cap on the delay between attempts. */
  maxMs: number;
};

/**
 * Default backoff: 250 ms doubling to 5 s. A restarted peer is found again within ~5 s (well
 * inside one 12 s slot), and an absent peer costs one dial attempt per 5 s.
 *
 * @example
 * new Redialer(dial, isConnected, DEFAULT_REDIAL, counters);
 */
export const DEFAULT_REDIAL: RedialOptions = { initialMs: 250, maxMs: 5_000 };

/** ± fraction of random jitter on each delay, so a cluster restart does not dial in lockstep. */
const JITTER = 0.2;

/**
 * A connection that lasted this long (5 s) was a real one: the next disconnect redials at once
 * and with a fresh backoff. Shorter ones count as failed attempts. 5 s ≫ a handshake, and
 * (libp2p connection monitor) ≈ half of one 10 s ping interval.
 *
 * @example
 * if (Date.now() - connectedAt >= STABLE_CONNECTION_MS) backoff = initialMs;
 */
export const STABLE_CONNECTION_MS = 5_000;

/**
 * Dial attempt/failure counters, mutated by the redialer.
 *
 * @example
 * const counters: DialCounters = { attempts: 0, failures: 0 };
 */
export type DialCounters = { attempts: number; failures: number };

type PeerLoop = {
  timer: ReturnType<typeof setTimeout> | undefined;
  due: number;
  inflight: boolean;
  backoff: number;
  connectedAt: number | undefined;
};

/**
 * Per-peer redial loops.
 *
 * @example
 * const r = new Redialer((i) => node.dial(addr[i]).then(() => {}), (i) => connected(i), DEFAULT_REDIAL, c);
 * r.schedule(2, 0);
 * r.stop();
 */
export class Redialer {
  private readonly loops = new Map<number, PeerLoop>();
  private stopped = false;

  constructor(
    private readonly dial: (index: number) => Promise<void>,
    private readonly isConnected: (index: number) => boolean,
    private readonly opts: RedialOptions,
    private readonly counters: DialCounters,
  ) {}

  /** Attempt to connect `index` after `delayMs` (an earlier pending attempt wins). */
  schedule(index: number, delayMs: number): void {
    if (this.stopped) return;
    const loop = this.loop(index);
    if (loop.inflight) return; // its completion reschedules if still needed
    const due = Date.now() + delayMs;
    if (loop.timer !== undefined) {
      if (loop.due <= due) return;
      clearTimeout(loop.timer);
    }
    loop.due = due;
    loop.timer = setTimeout(() => this.attempt(index), Math.max(0, delayMs));
    loop.timer.unref?.();
  }

  /** The peer is connected (by our dial or theirs). */
  connected(index: number): void {
    this.loop(index).connectedAt = Date.now();
  }

  /**
   * The peer disconnected: redial after `delayMs` if the connection was stable (fresh backoff),
   * else after at least the current backoff, which grows.
   */
  disconnected(index: number, delayMs: number): void {
    const loop = this.loop(index);
    const stable =
      loop.connectedAt !== undefined && Date.now() - loop.connectedAt >= STABLE_CONNECTION_MS;
    loop.connectedAt = undefined;
    if (stable) {
      loop.backoff = this.opts.initialMs;
      this.schedule(index, delayMs);
      return;
    }
    this.counters.failures++;
    const delay = Math.max(delayMs, this.nextBackoff(loop));
    this.schedule(index, delay);
  }

  /** Cancel every timer; in-flight dials finish but schedule nothing more. */
  stop(): void {
    this.stopped = true;
    for (const loop of this.loops.values()) {
      if (loop.timer !== undefined) clearTimeout(loop.timer);
      loop.timer = undefined;
    }
  }

  private loop(index: number): PeerLoop {
    let loop = this.loops.get(index);
    if (!loop) {
      loop = {
        timer: undefined,
        due: 0,
        inflight: false,
        backoff: this.opts.initialMs,
        connectedAt: undefined,
      };
      this.loops.set(index, loop);
    }
    return loop;
  }

  private attempt(index: number): void {
    const loop = this.loop(index);
    loop.timer = undefined;
    if (this.stopped) return;
    if (this.isConnected(index)) return;
    loop.inflight = true;
    this.counters.attempts++;
    this.dial(index).then(
      () => {
        loop.inflight = false;
      },
      () => {
        loop.inflight = false;
        this.counters.failures++;
        this.schedule(index, this.nextBackoff(loop));
      },
    );
  }

  /** The current backoff with jitter; doubles the backoff (capped) for next time. */
  private nextBackoff(loop: PeerLoop): number {
    const delay = loop.backoff * (1 - JITTER + 2 * JITTER * Math.random());
    loop.backoff = Math.min(this.opts.maxMs, loop.backoff * 2);
    return delay;
  }
}
