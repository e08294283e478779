/**
 * Peer round-trip time measured from consensus traffic, for round timers derived from the network
 * (timer.ts, kind "adaptive"), so a slow WAN link does not cost a whole round and a fast LAN does
 * not wait 750 ms for a crashed leader.
 *
 * Source of the samples: no extra message. When this node leads a round it broadcasts PRE-PREPARE
 * at time t₀; each peer answers with its PREPARE of that round (Moniz arXiv:2002.03613 Alg. 2:1),
 * which arrives at t₁: t₁ − t₀ is one round trip to that peer plus its work between the two (decode,
 * signature verification, value validity β, signing) — exactly the part of a round that the
 * leader's PRE-PREPARE → PREPARE exchange costs. The leader rotates per slot and duty type
 * (params.ts), so every operator takes samples every few slots. A peer's first PREPARE per probe
 * counts once; probes and samples are bounded (the sender index is attacker-chosen bytes, but only
 * authenticated cluster members reach this point — node.ts checks the source first).
 *
 * Estimate: p95 over a sliding window of the last {@link RTT_WINDOW} samples (Charon's
 * `p2p/ping` and SSV keep a similar recent view of peer latency); fewer than
 * {@link RTT_MIN_SAMPLES} → no estimate, and the timer falls back to its fixed first round.
 */

/**
 * Samples kept (sliding window): with n = 4 and 3 duty types per slot, about 2 epochs' worth of led
 * rounds × 3 peers, so the estimate follows a changed link within minutes.
 *
 * @example
 * new RttEstimator(RTT_WINDOW);
 */
export const RTT_WINDOW = 128;

/**
 * Samples needed before the estimate is used (below: the timer's fixed first round).
 *
 * @example
 * if (est.count >= RTT_MIN_SAMPLES) useAdaptive();
 */
export const RTT_MIN_SAMPLES = 8;

/** Outstanding probes remembered (own PRE-PREPAREs awaiting PREPAREs). */
const MAX_PROBES = 64;

/**
 * A sliding window of round-trip samples (ms) and its quantiles.
 *
 * @example
 * const est = new RttEstimator();
 * for (const ms of [90, 110, 100]) est.add(ms);
 * est.quantile(0.95) // undefined until RTT_MIN_SAMPLES samples
 */
export class RttEstimator {
  private readonly ring: number[] = [];
  private next = 0;
  private sorted: number[] | undefined;

  constructor(
    private readonly window = RTT_WINDOW,
    private readonly minSamples = RTT_MIN_SAMPLES,
  ) {}

  /** Samples held (≤ window). */
  get count(): number {
    return this.ring.length;
  }

  /** Add one round-trip sample (ms); negative or non-finite samples are ignored. */
  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.ring.length < this.window) this.ring.push(ms);
    else this.ring[this.next] = ms;
    this.next = (this.next + 1) % this.window;
    this.sorted = undefined;
  }

  /** The q-quantile (0..1) of the window, or undefined with fewer than `minSamples` samples. */
  quantile(q: number): number | undefined {
    if (this.ring.length < this.minSamples) return undefined;
    this.sorted ??= [...this.ring].sort((a, b) => a - b);
    const i = Math.min(this.sorted.length - 1, Math.max(0, Math.ceil(q * this.sorted.length) - 1));
    return this.sorted[i];
  }
}

/**
 * Round-trip probes from consensus traffic (module header): `sent` when this node broadcasts a
 * PRE-PREPARE, `answered` on a peer's PREPARE of the same instance and round.
 *
 * @example
 * const probes = new RttProbes(estimator);
 * probes.sent("12/2", 1, clock.now());
 * probes.answered("12/2", 1, 3, clock.now()); // one sample: peer 3's round trip
 */
export class RttProbes {
  private readonly probes = new Map<string, { at: number; answered: Set<number> }>();

  constructor(readonly estimator: RttEstimator) {}

  /** This node broadcast the PRE-PREPARE of (instance, round) at `now`. */
  sent(instance: string, round: number, now: number): void {
    const k = `${instance}#${round}`;
    if (this.probes.has(k)) return;
    this.probes.set(k, { at: now, answered: new Set() });
    if (this.probes.size > MAX_PROBES) {
      const oldest = this.probes.keys().next().value;
      if (oldest !== undefined) this.probes.delete(oldest);
    }
  }

  /** Peer `from`'s PREPARE of (instance, round) arrived at `now`: a sample if it answers a probe. */
  answered(instance: string, round: number, from: number, now: number): void {
    const p = this.probes.get(`${instance}#${round}`);
    if (!p || p.answered.has(from)) return;
    p.answered.add(from);
    this.estimator.add(now - p.at);
  }
}
