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
 *   round changes), ceiling 850 ms (a p95 RTT of 250 ms, Europe–Asia; so that round 2 can still
 *   end at the common 1750 ms on every node: t(1) ≤ 1750 − t(1)). Until RTT_MIN_SAMPLES
 *   samples exist, t(1) is the fixed 750 ms.
 *   Rounds ≥ 2 END at the fixed timer's instants counted from the instance start (750 + 1000 =
 *   1750 ms, then 3000 ms, 4500 ms, … — {@link roundEndMs}), whatever this node's t(1) was: the
 *   operators' estimates differ (each measures its own peers), and QBFT needs their rounds to
 *   line up again after a round change — a node whose short t(1) put it ahead would otherwise stay
 *   ahead by the difference every round, drop the others' proposals as stale, and with one
 *   operator down (all the others needed for a quorum) no round would ever decide (measured on the
 *   DV simnet, test/unit/core/consensus/timer.test.ts). A round entered late, or restarted on a
 *   proposal, lasts at least this node's t(1) (the measured cost of a round). Growth in r keeps
 *   liveness after GST (Moniz §3). Exponential and SSV-style step timers are available via
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
 * Default: adaptive — t(1) = clamp(200 ms, 2 · 1.5 · p95(RTT) + 100 ms, 850 ms), 750 ms until
 * measured; rounds ≥ 2 end at the fixed timer's instants (1750 ms, 3000 ms, …) from the instance
 * start, capped at 12 s per round. See module header.
 *
 * @example
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 1, 100) // 2 · 150 + 100 = 400
 * roundEndMs(DEFAULT_ROUND_TIMER, 2) // 1750
 */
export const DEFAULT_ROUND_TIMER: AdaptiveRoundTimer = {
  kind: "adaptive",
  floorMs: 200,
  ceilingMs: 850,
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
 * adaptiveFirstRoundMs(DEFAULT_ROUND_TIMER, 900) // 850 (the ceiling)
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
 * Adaptive timer: the instant (ms after the instance start) at which round r ≥ 1 ends on the fixed
 * schedule, Σᵢ≤ᵣ min(max, fallback + (i − 1)·increment) — the same on every operator.
 *
 * @example
 * roundEndMs(DEFAULT_ROUND_TIMER, 1) // 750
 * roundEndMs(DEFAULT_ROUND_TIMER, 3) // 750 + 1000 + 1250 = 3000
 */
export function roundEndMs(cfg: AdaptiveRoundTimer, round: number): number {
  let end = 0;
  for (let i = 1; i <= Math.max(1, Math.floor(round)); i++) {
    end += Math.min(cfg.maxMs, cfg.fallbackFirstMs + (i - 1) * cfg.incrementMs);
  }
  return end;
}

/**
 * Adaptive timer: the timeout of round r set `elapsedMs` after the instance started — t(1) for
 * round 1; for r ≥ 2 the time left until {@link roundEndMs}, at least t(1) (module header).
 *
 * @example
 * adaptiveTimeoutMs(DEFAULT_ROUND_TIMER, 2, 40, 220) // 1750 − 220 = 1530
 * adaptiveTimeoutMs(DEFAULT_ROUND_TIMER, 2, 40, 1700) // at least t(1) = 220
 */
export function adaptiveTimeoutMs(
  cfg: AdaptiveRoundTimer,
  round: number,
  p95RttMs: number | undefined,
  elapsedMs: number,
): number {
  const first = adaptiveFirstRoundMs(cfg, p95RttMs);
  if (round <= 1) return first;
  return Math.min(cfg.maxMs, Math.max(first, roundEndMs(cfg, round) - elapsedMs));
}

/**
 * t(r) in ms for round r ≥ 1; `p95RttMs` (measured, rtt.ts) is used by the adaptive timer only,
 * whose rounds ≥ 2 are given here as entered on schedule (see {@link adaptiveTimeoutMs}).
 *
 * @example
 * roundTimeoutMs(FIXED_ROUND_TIMER, 1) // 750
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 1, 40) // max(200, 2 · 60 + 100) = 220
 * roundTimeoutMs({ kind: "exponential", firstMs: 500, factor: 2, maxMs: 12_000 }, 3) // 2000
 */
export function roundTimeoutMs(cfg: RoundTimerConfig, round: number, p95RttMs?: number): number {
  const r = Math.max(1, Math.floor(round));
  switch (cfg.kind) {
    case "adaptive":
      return r === 1
        ? adaptiveFirstRoundMs(cfg, p95RttMs)
        : Math.min(cfg.maxMs, roundEndMs(cfg, r) - roundEndMs(cfg, r - 1));
    case "linear":
      return Math.min(cfg.maxMs, cfg.firstMs + (r - 1) * cfg.incrementMs);
    case "exponential":
      return Math.min(cfg.maxMs, cfg.firstMs * cfg.factor ** (r - 1));
    case "step":
      return r <= cfg.quickRounds ? cfg.quickMs : cfg.slowMs;
  }
}

/** Floor of the fallback t(1) on short slots: three message delays plus signature checks on a loaded 2-core host (measured p99 < 100 ms). */
const MIN_FIRST_MS = 250;
const MIN_INCREMENT_MS = 100;

/**
 * The DV node's round timer fitted to the slot: {@link DEFAULT_ROUND_TIMER} (adaptive) on 12 s
 * mainnet slots; on short dev-chain slots its fallback t(1), increment and ceiling shrink with the
 * slot (2 s → 250 ms + 100 ms, the floors; ceiling 250 ms), so a round change for an offline
 * leader still finishes within the attestation third of the slot (aggregators collect at 2/3 of
 * the slot: consensus-specs phase0 validator.md). The cap is one slot.
 *
 * @example
 * slotScaledTimer(12_000) // DEFAULT_ROUND_TIMER
 * slotScaledTimer(2_000).fallbackFirstMs // 250
 */
export function slotScaledTimer(slotMs: number): AdaptiveRoundTimer {
  const f = Math.min(1, slotMs / 12_000);
  const d = DEFAULT_ROUND_TIMER;
  const first = Math.max(MIN_FIRST_MS, Math.round(d.fallbackFirstMs * f));
  return {
    ...d,
    floorMs: Math.min(d.floorMs, first),
    ceilingMs: Math.max(first, Math.round(d.ceilingMs * f)),
    fallbackFirstMs: first,
    incrementMs: Math.max(MIN_INCREMENT_MS, Math.round(d.incrementMs * f)),
    maxMs: Math.min(d.maxMs, slotMs),
  };
}
