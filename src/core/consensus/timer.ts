/**
 * Round timeouts t(r).
 *
 * Moniz (arXiv:2002.03613) §3: t(r) must grow with r so that, after GST, some round is long enough
 * for an honest leader to finish ("an exponential function of the round number"); any unbounded
 * growth gives liveness. Implementations differ:
 *
 * - Charon "inc" timer (core/consensus/timer/timers.go): t(r) = 750 ms + r·250 ms → 1 s, 1.25 s, …
 *   (linear), restarted on a justified PRE-PREPARE. Newer Charon timers anchor rounds to the slot.
 * - SSV (ssv-spec qbft/timeout.go): 2 s for rounds 1–8 (`QuickTimeout`, `QuickTimeoutThreshold`),
 *   then 2 min (`SlowTimeout`); SIP "constant QBFT timeout" argues against fast growth.
 * - Fixed linear (`FIXED_ROUND_TIMER`): t(r) = 750 ms + (r − 1)·250 ms, capped at 12 s. Why 750 ms: a
 *   round needs three one-way delays (PRE-PREPARE → PREPARE → COMMIT); Rocket Pool operators are
 *   home stakers spread across continents (one-way ≲ 200 ms), so 3 × 200 ms + signing fits, while a
 *   crashed leader costs < 1 s of the 4 s attestation deadline (1/3 of a 12 s slot). The cap is
 *   one slot (SECONDS_PER_SLOT = 12): a duty instance older than that is abandoned by the caller
 *   anyway, and the cap keeps a long outage from producing minute-long rounds.
 * - Ours (default, "adaptive", issue 17 item 4): the first round is derived from the measured
 *   round trip to the peers (rtt.ts: the leader's PRE-PREPARE → each peer's PREPARE, which
 *   includes the peer's verification and signing): t(1) = clamp(floor, k · 1.5 · p95(RTT) + margin,
 *   ceiling) — 1.5 RTT = the round's three one-way delays, k = 2 against jitter beyond the p95 and
 *   load spikes, `margin` for the operators' start skew (their beacon fetches) and the COMMIT
 *   step's work. Bounded both ways: floor 200 ms (a LAN/loopback cluster waits 200 ms, not 750 ms,
 *   for a crashed but still connected leader; below that a busy leader would trigger needless
 *   round changes), ceiling 2 s (SSV's quick timeout: a very slow or lossy link never makes rounds
 *   longer than that). Until RTT_MIN_SAMPLES samples exist, t(1) is the fixed 750 ms. Later
 *   rounds add 250 ms each (Charon's increment), capped at 12 s: growth in r keeps liveness after
 *   GST (Moniz §3) whatever the estimate. Exponential and SSV-style step timers are available via
 *   {@link RoundTimerConfig}.
 */

/**
 * Round timer shape. All durations in ms.
 *
 * @example
 * const linear: RoundTimerConfig = { kind: "linear", firstMs: 750, incrementMs: 250, maxMs: 12_000 };
 * const expo: RoundTimerConfig = { kind: "exponential", firstMs: 500, factor: 2, maxMs: 12_000 };
 * const ssv: RoundTimerConfig = { kind: "step", quickMs: 2000, quickRounds: 8, slowMs: 120_000 };
 */
export type RoundTimerConfig =
  | AdaptiveRoundTimer
  | { kind: "linear"; firstMs: number; incrementMs: number; maxMs: number }
  | { kind: "exponential"; firstMs: number; factor: number; maxMs: number }
  | { kind: "step"; quickMs: number; quickRounds: number; slowMs: number };

/**
 * Round timer derived from measured peer RTT (module header). `fallbackFirstMs` is t(1) until the
 * estimator has enough samples.
 *
 * @example
 * const cfg: AdaptiveRoundTimer = { ...DEFAULT_ROUND_TIMER, floorMs: 300 };
 */
export type AdaptiveRoundTimer = {
  kind: "adaptive";
  floorMs: number;
  ceilingMs: number;
  /** Safety factor on the 1.5 · p95(RTT) a round needs. */
  k: number;
  marginMs: number;
  fallbackFirstMs: number;
  incrementMs: number;
  maxMs: number;
};

/**
 * Fixed linear timer: 750 ms + 250 ms per extra round, capped at one slot (12 s). See module header.
 *
 * @example
 * roundTimeoutMs(FIXED_ROUND_TIMER, 3) // 1250
 */
export const FIXED_ROUND_TIMER: RoundTimerConfig = {
  kind: "linear",
  firstMs: 750,
  incrementMs: 250,
  maxMs: 12_000,
};

/**
 * Default: adaptive — t(1) = clamp(200 ms, 2 · 1.5 · p95(RTT) + 100 ms, 2 s), 750 ms until measured;
 * + 250 ms per extra round, capped at 12 s. See module header.
 *
 * @example
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 1, 100) // 2 · 150 + 100 = 400
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 3) // 750 + 500 = 1250 (no estimate yet)
 */
export const DEFAULT_ROUND_TIMER: AdaptiveRoundTimer = {
  kind: "adaptive",
  floorMs: 200,
  ceilingMs: 2000,
  k: 2,
  marginMs: 100,
  fallbackFirstMs: 750,
  incrementMs: 250,
  maxMs: 12_000,
};

/**
 * t(1) of an adaptive timer for a p95 round trip (undefined: not measured yet → fallback).
 *
 * @example
 * adaptiveFirstRoundMs(DEFAULT_ROUND_TIMER, 2) // 200 (the floor: loopback)
 * adaptiveFirstRoundMs(DEFAULT_ROUND_TIMER, 900) // 2000 (the ceiling)
 */
export function adaptiveFirstRoundMs(
  cfg: AdaptiveRoundTimer,
  p95RttMs: number | undefined,
): number {
  if (p95RttMs === undefined || !Number.isFinite(p95RttMs)) return cfg.fallbackFirstMs;
  const want = cfg.k * 1.5 * p95RttMs + cfg.marginMs;
  return Math.min(cfg.ceilingMs, Math.max(cfg.floorMs, want));
}

/**
 * Presets for comparison: Charon's "inc" timer and SSV's quick/slow step timer (sources in the
 * module header).
 *
 * @example
 * createQbftNode({ ...cfg, timer: ROUND_TIMER_PRESETS.ssv });
 */
export const ROUND_TIMER_PRESETS = {
  default: DEFAULT_ROUND_TIMER,
  fixed: FIXED_ROUND_TIMER,
  charonInc: {
    kind: "linear",
    firstMs: 1000,
    incrementMs: 250,
    maxMs: Number.POSITIVE_INFINITY,
  },
  ssv: { kind: "step", quickMs: 2000, quickRounds: 8, slowMs: 120_000 },
} as const satisfies Record<string, RoundTimerConfig>;

/**
 * t(r) in ms for round r ≥ 1; `p95RttMs` (measured, rtt.ts) is used by the adaptive timer only.
 *
 * @example
 * roundTimeoutMs(FIXED_ROUND_TIMER, 1) // 750
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 2, 40) // max(200, 2 · 60 + 100) + 250 = 470
 * roundTimeoutMs({ kind: "exponential", firstMs: 500, factor: 2, maxMs: 12_000 }, 3) // 2000
 */
export function roundTimeoutMs(cfg: RoundTimerConfig, round: number, p95RttMs?: number): number {
  const r = Math.max(1, Math.floor(round));
  switch (cfg.kind) {
    case "adaptive":
      return Math.min(cfg.maxMs, adaptiveFirstRoundMs(cfg, p95RttMs) + (r - 1) * cfg.incrementMs);
    case "linear":
      return Math.min(cfg.maxMs, cfg.firstMs + (r - 1) * cfg.incrementMs);
    case "exponential":
      return Math.min(cfg.maxMs, cfg.firstMs * cfg.factor ** (r - 1));
    case "step":
      return r <= cfg.quickRounds ? cfg.quickMs : cfg.slowMs;
  }
}
