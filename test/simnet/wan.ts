/**
 * WAN latency model for the simulated network (network.ts `links`) and the libp2p bench's delaying
 * transport wrapper (bench/wan-transport.ts): operators of a squad on home connections across
 * continents (issue 17 item 2: 50–150 ms RTT between operators, 1% loss).
 *
 * Each unordered pair of operators gets one round-trip time drawn uniformly from `rttMs` (seeded:
 * the same seed, the same map); each direction's one-way delay is half of it, plus a uniform
 * jitter per message, and `lossRate` per message (on TCP a retransmission one RTO later, not a
 * drop: libp2p runs over TCP; see network.ts). Reference points: transatlantic RTT ≈ 70–90 ms,
 * Europe–Asia ≈ 150–250 ms (public RIPE Atlas / WonderNetwork ping tables); 1% loss is a poor
 * home uplink.
 */
import type { LinkModel } from "./network.js";
import { createPrng } from "./prng.js";

/**
 * WAN parameters.
 *
 * @example
 * const o: WanOptions = { n: 7, seed: 1, rttMs: [50, 150], jitterMs: 10, lossRate: 0.01 };
 */
export type WanOptions = {
  n: number;
  seed: number;
  /** Round-trip time per operator pair, ms: one value, or [min, max] drawn per pair. */
  rttMs: number | readonly [number, number];
  /** Uniform jitter added per message and direction, ms (default 10% of the pair's RTT). */
  jitterMs?: number | undefined;
  /** Per message (default 0.01). */
  lossRate?: number | undefined;
  loss?: LinkModel["loss"];
};

/**
 * The WAN: 50–150 ms RTT between operators, 1% loss, 10 ms jitter.
 *
 * @example
 * const wan = wanModel({ n: 7, seed: 1, ...WAN_PRESET });
 */
export const WAN_PRESET = { rttMs: [50, 150], jitterMs: 10, lossRate: 0.01 } as const;

/**
 * A WAN link map.
 *
 * @example
 * const wan = wanModel({ n: 4, seed: 1, rttMs: 100 });
 * createSimnet({ n: 4, seed: 1, links: wan.link });
 */
export type Wan = {
  /** RTT of each pair (symmetric; 0 on the diagonal), ms. */
  readonly rtt: number[][];
  /** The directed link model (for network.ts `links`). */
  link(from: number, to: number): LinkModel | undefined;
};

/**
 * Build a seeded WAN link map (module header).
 *
 * @example
 * const wan = wanModel({ n: 7, seed: 3, rttMs: [50, 150] });
 * wan.rtt[0][1] === wan.rtt[1][0] // true
 */
export function wanModel(o: WanOptions): Wan {
  const [lo, hi] = typeof o.rttMs === "number" ? [o.rttMs, o.rttMs] : o.rttMs;
  if (!(lo >= 0 && hi >= lo)) throw new RangeError(`wan: rttMs must be 0 ≤ min ≤ max`);
  const rng = createPrng(o.seed ^ 0x3a11);
  const rtt = Array.from({ length: o.n }, () => new Array<number>(o.n).fill(0));
  for (let i = 0; i < o.n; i++) {
    for (let j = i + 1; j < o.n; j++) {
      const v = lo + rng.next() * (hi - lo);
      (rtt[i] as number[])[j] = v;
      (rtt[j] as number[])[i] = v;
    }
  }
  const links = rtt.map((row) =>
    row.map(
      (r): LinkModel => ({
        delayMs: r / 2,
        jitterMs: o.jitterMs ?? r / 10,
        lossRate: o.lossRate ?? 0.01,
        loss: o.loss,
      }),
    ),
  );
  return {
    rtt,
    link: (from, to) => (from === to ? undefined : links[from]?.[to]),
  };
}
