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
 * - Ours (default): linear, t(r) = 750 ms + (r − 1)·250 ms, capped at 12 s. Why 750 ms: a round
 *   needs three one-way delays (PRE-PREPARE → PREPARE → COMMIT); Rocket Pool operators are home
 *   stakers spread across continents (one-way ≲ 200 ms), so 3 × 200 ms + signing fits, while a
 *   crashed leader costs < 1 s of the 4 s attestation deadline (1/3 of a 12 s slot). The cap is
 *   one slot (SECONDS_PER_SLOT = 12): a duty instance older than that is abandoned by the caller
 *   anyway, and the cap keeps a long outage from producing minute-long rounds. Exponential and
 *   SSV-style step timers are available via {@link RoundTimerConfig}.
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
  | { kind: "linear"; firstMs: number; incrementMs: number; maxMs: number }
  | { kind: "exponential"; firstMs: number; factor: number; maxMs: number }
  | { kind: "step"; quickMs: number; quickRounds: number; slowMs: number };

/**
 * Default: linear 750 ms + 250 ms per extra round, capped at one slot (12 s). See module header.
 *
 * @example
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 3) // 1250
 */
export const DEFAULT_ROUND_TIMER: RoundTimerConfig = {
  kind: "linear",
  firstMs: 750,
  incrementMs: 250,
  maxMs: 12_000,
};

/**
 * Presets for comparison: Charon's "inc" timer and SSV's quick/slow step timer (sources in the
 * module header).
 *
 * @example
 * createQbftNode({ ...cfg, timer: ROUND_TIMER_PRESETS.ssv });
 */
export const ROUND_TIMER_PRESETS = {
  default: DEFAULT_ROUND_TIMER,
  charonInc: {
    kind: "linear",
    firstMs: 1000,
    incrementMs: 250,
    maxMs: Number.POSITIVE_INFINITY,
  },
  ssv: { kind: "step", quickMs: 2000, quickRounds: 8, slowMs: 120_000 },
} as const satisfies Record<string, RoundTimerConfig>;

/**
 * t(r) in ms for round r ≥ 1.
 *
 * @example
 * roundTimeoutMs(DEFAULT_ROUND_TIMER, 1) // 750
 * roundTimeoutMs({ kind: "exponential", firstMs: 500, factor: 2, maxMs: 12_000 }, 3) // 2000
 */
export function roundTimeoutMs(cfg: RoundTimerConfig, round: number): number {
  const r = Math.max(1, Math.floor(round));
  switch (cfg.kind) {
    case "linear":
      return Math.min(cfg.maxMs, cfg.firstMs + (r - 1) * cfg.incrementMs);
    case "exponential":
      return Math.min(cfg.maxMs, cfg.firstMs * cfg.factor ** (r - 1));
    case "step":
      return r <= cfg.quickRounds ? cfg.quickMs : cfg.slowMs;
  }
}
