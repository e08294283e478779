/**
 * The rpdvt reputation score of a Rocket Pool node operator (model `rpdvt-reputation-v1`): an
 * explained weighted sum of five components, each in [0, 1], with a slashing gate. Formula,
 * weights and their reasons: docs/reputation.md.
 *
 *   rpParticipation        Wilson 95% lower bound of successful / (successful + missed) attestations
 *                          over the node's minipools in the Rocket Pool performance files
 *   tenure                 min(1, intervals with duties / 13)   (13 × 28-day intervals ≈ 1 year)
 *   beaconLiveness         Wilson 95% lower bound of live / observed (validator, epoch) pairs
 *   attestationEfficiency  clamp(Σ actual head+target+source rewards / Σ ideal, 0, 1)
 *   proposals              Wilson 95% lower bound of proposed / (proposed + missed) blocks
 *
 * score = 100 · Σ wₖ·vₖ / Σ wₖ over the components that have data (a component without data —
 * no performance file, no beacon, no proposal duty — is left out and the others renormalised),
 * and 0 when any observed validator is slashed. confidence = D / (D + 6300), D the observed duties.
 * Wilson: E. B. Wilson, JASA 22(158), 1927 (src/plan/math/wilson.ts). Values are rounded (component
 * values 6 decimals, contributions 4, score 2, confidence 4) so a verifier recomputes them exactly.
 */
import { wilsonInterval, Z95 } from "../plan/math/wilson.js";
import type { PerformanceFile } from "./performance-file.js";

/** Model name recorded in claims; bump when any formula or weight changes. */
export const REPUTATION_MODEL = "rpdvt-reputation-v1";

/**
 * Nominal weights (sum 1). Rocket Pool participation dominates: it is the longest, third-party
 * computed record (the oDAO's rewards tree). Beacon data is recent and self-fetched.
 */
export const REPUTATION_WEIGHTS = {
  rpParticipation: 0.45,
  tenure: 0.1,
  beaconLiveness: 0.1,
  attestationEfficiency: 0.2,
  proposals: 0.15,
} as const;

/** Intervals for full tenure: 13 × 28 days ≈ 1 year (mainnet RocketRewardsPool interval time, rewards spec). */
export const FULL_TENURE_INTERVALS = 13;

/**
 * Duties at which confidence is ½: one minipool for one 28-day interval = 6300 epochs (rewards
 * spec example "6300 Epochs (28 days)"), one attestation duty per epoch.
 */
export const CONFIDENCE_HALF_DUTIES = 6300;

export type ComponentId = keyof typeof REPUTATION_WEIGHTS;

/** A node's attestation counts in one rewards interval (its minipools in one performance file). */
export type IntervalCounts = {
  interval: number;
  /** Minipools of the node present in the file. */
  minipools: number;
  successful: number;
  missed: number;
};

/** Per-interval series for reports and charts. */
export type IntervalPoint = IntervalCounts & {
  duties: number;
  /** successful / duties, null without duties. */
  rate: number | null;
  /** Wilson 95% lower bound of the rate (0 without duties). */
  wilsonLower: number;
};

/** What the beacon showed for the node's validators over an epoch range (see ./observe.ts). */
export type BeaconSummary = {
  fromEpoch: number;
  toEpoch: number;
  /** State the validator records (balance, slashed, activation) were read at. */
  stateId: string;
  /** Validators found on the beacon chain. */
  validators: number;
  /** (validator, epoch) pairs reported live by POST /eth/v1/validator/liveness. */
  live: number;
  /** (validator, epoch) pairs observed (validator active in that epoch). */
  liveDuties: number;
  /** Σ head+target+source attestation rewards (gwei, may be negative). */
  actualRewardGwei: number;
  /** Σ the ideal head+target+source rewards for the same validators and epochs (gwei). */
  idealRewardGwei: number;
  proposed: number;
  missedProposals: number;
  slashed: number;
  /** Σ balances at `stateId` (gwei). */
  balanceGwei: number;
  /** SHA-256 of the canonical JSON of the raw observations, `0x` hex. */
  sha256: string;
};

/** One explained component of the score. */
export type ScoreComponent = {
  id: ComponentId;
  label: string;
  source: "rocketpool" | "beacon";
  /** The numbers that went in. */
  inputs: Record<string, number | string | null>;
  formula: string;
  /** In [0, 1]; null when there is no data (then it does not count). */
  value: number | null;
  /** Nominal weight. */
  weight: number;
  /** Weight after renormalising over the components with data. */
  effectiveWeight: number;
  /** Points out of 100 this component adds: 100 · effectiveWeight · value. */
  contribution: number;
};

/** The explained score. */
export type ReputationScore = {
  model: typeof REPUTATION_MODEL;
  /** 0–100. */
  score: number;
  /** 0–1: D / (D + 6300). */
  confidence: number;
  confidenceFormula: string;
  /** Observed duties D: attestation duties in the performance files + beacon liveness pairs + proposal duties. */
  duties: number;
  /** Intervals with at least one duty. */
  tenureIntervals: number;
  gates: { id: "slashing"; passed: boolean; detail: string }[];
  components: ScoreComponent[];
  intervals: IntervalPoint[];
  notes: string[];
};

const round = (x: number, digits: number): number => {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
};

/**
 * Wilson 95% lower bound of successes/trials, 0 for no trials.
 *
 * @example
 * wilsonLower(99, 100); // ≈ 0.9455
 */
export function wilsonLower(successes: number, trials: number): number {
  return trials > 0 ? wilsonInterval(successes, trials, Z95)[0] : 0;
}

/**
 * The node's counts per interval: its validators' records in each performance file.
 * `validators` are `0x` hex pubkeys (any case).
 *
 * @example
 * const { intervals, found, notFound } = nodeIntervals(files, ["0xab…"]);
 */
export function nodeIntervals(
  files: readonly PerformanceFile[],
  validators: readonly string[],
): {
  intervals: IntervalCounts[];
  /** Validators found in at least one file, with their minipool (or megapool) address. */
  found: { pubkey: string; minipool: string }[];
  notFound: string[];
} {
  const wanted = new Set(validators.map((v) => `0x${v.replace(/^0x/, "").toLowerCase()}`));
  const found = new Map<string, string>();
  const intervals = files.map((f) => {
    let minipools = 0;
    let successful = 0;
    let missed = 0;
    for (const r of f.records) {
      if (!wanted.has(r.pubkey)) continue;
      minipools++;
      successful += r.successfulAttestations;
      missed += r.missedAttestations;
      found.set(r.pubkey, r.address);
    }
    return { interval: f.interval, minipools, successful, missed };
  });
  return {
    intervals,
    found: [...found]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([pubkey, minipool]) => ({ pubkey, minipool })),
    notFound: [...wanted].filter((v) => !found.has(v)).sort(),
  };
}

/**
 * Compute the explained score from per-interval counts (Rocket Pool) and an optional beacon
 * summary. Deterministic: the same inputs give the same rounded numbers everywhere.
 *
 * @example
 * const s = computeReputation({ intervals: [{ interval: 20, minipools: 2, successful: 12590, missed: 10 }] });
 * s.score; // 0–100
 */
export function computeReputation(input: {
  intervals: readonly IntervalCounts[];
  beacon?: BeaconSummary | null | undefined;
}): ReputationScore {
  const intervals = intervalPoints(input.intervals);
  const S = intervals.reduce((a, c) => a + c.successful, 0);
  const M = intervals.reduce((a, c) => a + c.missed, 0);
  const N = S + M;
  const tenure = intervals.filter((c) => c.duties > 0).length;
  const b = input.beacon ?? null;
  const notes: string[] = [];
  const raw = [
    ...rocketPoolComponents(S, M, intervals.length, tenure),
    ...(b ? beaconComponents(b, notes) : []),
  ];
  if (!b)
    notes.push("No beacon observations: beacon components left out, the others renormalised.");
  if (N === 0) notes.push("No attestation duty in the performance files for these validators.");
  const { components, weighted } = weighComponents(raw);
  const slashed = b?.slashed ?? 0;
  const duties = N + (b ? b.liveDuties + b.proposed + b.missedProposals : 0);
  return {
    model: REPUTATION_MODEL,
    score: slashed > 0 ? 0 : round(weighted, 2),
    confidence: round(duties / (duties + CONFIDENCE_HALF_DUTIES), 4),
    confidenceFormula: `duties / (duties + ${CONFIDENCE_HALF_DUTIES})`,
    duties,
    tenureIntervals: tenure,
    gates: [
      {
        id: "slashing",
        passed: slashed === 0,
        detail:
          slashed === 0
            ? b
              ? "no observed validator is slashed"
              : "not checked: no beacon observations"
            : `${slashed} observed validator(s) slashed: score set to 0`,
      },
    ],
    components,
    intervals,
    notes,
  };
}

/** A component before its weight is normalised over the components present. */
type RawComponent = Omit<ScoreComponent, "effectiveWeight" | "contribution">;

/** The intervals in order, with duties, rate and Wilson lower bound. */
function intervalPoints(counts: readonly IntervalCounts[]): IntervalPoint[] {
  return [...counts]
    .sort((a, b) => a.interval - b.interval)
    .map((c) => {
      const duties = c.successful + c.missed;
      return {
        ...c,
        duties,
        rate: duties > 0 ? round(c.successful / duties, 6) : null,
        wilsonLower: round(wilsonLower(c.successful, duties), 6),
      };
    });
}

/** Participation and tenure, from the Rocket Pool performance files. */
function rocketPoolComponents(
  S: number,
  M: number,
  intervalCount: number,
  tenure: number,
): RawComponent[] {
  const N = S + M;
  return [
    {
      id: "rpParticipation",
      label: "Rocket Pool attestation participation (Wilson 95% lower bound)",
      source: "rocketpool",
      inputs: {
        successfulAttestations: S,
        missedAttestations: M,
        duties: N,
        rate: N > 0 ? round(S / N, 6) : null,
        intervals: intervalCount,
      },
      formula: "wilsonLower95(successful, successful + missed)",
      value: N > 0 ? wilsonLower(S, N) : null,
      weight: REPUTATION_WEIGHTS.rpParticipation,
    },
    {
      id: "tenure",
      label: "Tenure: rewards intervals with duties",
      source: "rocketpool",
      inputs: { intervalsWithDuties: tenure, fullTenureIntervals: FULL_TENURE_INTERVALS },
      formula: `min(1, intervalsWithDuties / ${FULL_TENURE_INTERVALS})`,
      value: Math.min(1, tenure / FULL_TENURE_INTERVALS),
      weight: REPUTATION_WEIGHTS.tenure,
    },
  ];
}

/** Liveness, attestation efficiency and proposals, from the beacon observations. */
function beaconComponents(b: BeaconSummary, notes: string[]): RawComponent[] {
  const ratio = b.idealRewardGwei > 0 ? b.actualRewardGwei / b.idealRewardGwei : null;
  const proposals = b.proposed + b.missedProposals;
  if (proposals === 0) notes.push("No proposal duty in the observed epochs: proposals left out.");
  return [
    {
      id: "beaconLiveness",
      label: "Beacon liveness (Wilson 95% lower bound)",
      source: "beacon",
      inputs: { live: b.live, observed: b.liveDuties, epochs: `${b.fromEpoch}-${b.toEpoch}` },
      formula: "wilsonLower95(live, observed)",
      value: b.liveDuties > 0 ? wilsonLower(b.live, b.liveDuties) : null,
      weight: REPUTATION_WEIGHTS.beaconLiveness,
    },
    {
      id: "attestationEfficiency",
      label: "Attestation rewards vs ideal (head + target + source)",
      source: "beacon",
      inputs: { actualRewardGwei: b.actualRewardGwei, idealRewardGwei: b.idealRewardGwei },
      formula: "clamp(actual / ideal, 0, 1)",
      value: ratio === null ? null : Math.min(1, Math.max(0, ratio)),
      weight: REPUTATION_WEIGHTS.attestationEfficiency,
    },
    {
      id: "proposals",
      label: "Block proposals (Wilson 95% lower bound)",
      source: "beacon",
      inputs: { proposed: b.proposed, missed: b.missedProposals },
      formula: "wilsonLower95(proposed, proposed + missed)",
      value: proposals > 0 ? wilsonLower(b.proposed, proposals) : null,
      weight: REPUTATION_WEIGHTS.proposals,
    },
  ];
}

/** Weights renormalised over the components present; the weighted score 0–100. */
function weighComponents(raw: RawComponent[]): { components: ScoreComponent[]; weighted: number } {
  const present = raw.filter((c) => c.value !== null);
  const totalWeight = present.reduce((a, c) => a + c.weight, 0);
  const components: ScoreComponent[] = raw.map((c) => {
    const effectiveWeight = c.value === null || totalWeight === 0 ? 0 : c.weight / totalWeight;
    const value = c.value === null ? null : round(c.value, 6);
    return {
      ...c,
      value,
      effectiveWeight: round(effectiveWeight, 6),
      contribution: value === null ? 0 : round(100 * effectiveWeight * (c.value as number), 4),
    };
  });
  const weighted =
    totalWeight === 0
      ? 0
      : (100 * present.reduce((a, c) => a + c.weight * (c.value as number), 0)) / totalWeight;
  return { components, weighted };
}
