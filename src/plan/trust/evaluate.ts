/**
 * Trust model: your own failure probabilities versus splitting with chosen operators.
 *
 * Solo: P(loss) = 1 − Π_i (1 − p_i) over your risks (independent causes), for liveness and safety
 * separately; all validators are lost together.
 *
 * DVT, per cluster of n shares with threshold t (exact):
 *  - liveness loss: at least n − t + 1 shares unavailable (operator failed or malicious, which
 *    may withhold): P = Σ_{k ≥ n−t+1} PB(k) with the Poisson-binomial PB over the per-operator
 *    probabilities q_i = 1 − (1 − pFail_i)(1 − pMalicious_i) (exact DP, ../math/poissonBinomial.ts);
 *  - safety loss: at least t shares malicious: P = Σ_{k ≥ t} PB(k) over pMalicious_i;
 *  - you as a share holder (includeSelf) count with your own solo liveness/safety probabilities;
 *    you are in every cluster, so the computation conditions on your state;
 *  - common-mode factors (shared hoster, jurisdiction) by conditioning on every on/off pattern
 *    (../math/commonMode.ts): an active "fail" factor takes its operators down, "malicious" hands
 *    their shares to the adversary;
 *  - given factors and your state, disjoint clusters are independent: P(any validator lost) =
 *    1 − Π_c (1 − P_c) and E[fraction lost] = Σ_c (v_c/V)·P_c;
 *  - the retained-key risk (mnemonic still derives the full key) is added to safety:
 *    1 − (1 − r)(1 − P_dvt).
 * Annual probabilities become horizon probabilities by 1 − (1 − p)^h.
 */
import { mixOverFactors } from "../math/commonMode.js";
import { poissonBinomialPmf } from "../math/poissonBinomial.js";
import { defaultThreshold } from "../threshold.js";
import { buildClusters, type PlacedCluster } from "./clusters.js";
import type { TrustConfig, TrustScenario } from "./schema.js";

/** Probability of losing any validator and the expected fraction of validators lost. */
export type LossOutcome = { pAny: number; expectedFraction: number };

/** Result for one scenario. */
export type TrustScenarioResult = {
  name: string;
  description: string | undefined;
  clusterSize: number;
  threshold: number;
  clusters: number;
  validators: number;
  operatorsUsed: number;
  includeSelf: boolean;
  liveness: LossOutcome;
  safety: LossOutcome;
  /** DVT P(any validator lost) ÷ solo P(loss): < 1 means DVT is better. */
  livenessRatio: number;
  safetyRatio: number;
  /** DVT expected fraction lost ÷ solo (solo loses everything at once): < 1 means DVT is better. */
  livenessExpectedRatio: number;
  safetyExpectedRatio: number;
  verdict: { liveness: string; safety: string };
};

/** Result of {@link evaluateTrust}. */
export type TrustResult = {
  horizonYears: number;
  solo: { liveness: number; safety: number };
  retainedKeyRisk: number;
  scenarios: TrustScenarioResult[];
};

/**
 * Compare your solo risk with every scenario of a parsed configuration. `multiplier` scales every
 * other operator's and every common-mode probability (capped at 1; your own risks stay fixed) —
 * used by the sensitivity sweep.
 *
 * @example
 * const r = evaluateTrust(parseTrustConfig(EXAMPLE_TRUST_CONFIG));
 * r.scenarios[0].liveness.pAny < r.solo.liveness; // DVT wins liveness here
 */
export function evaluateTrust(config: TrustConfig, multiplier = 1): TrustResult {
  const h = config.horizonYears;
  const solo = soloRisk(config);
  const r = horizon(config.retainedKeyRisk, h);
  return {
    horizonYears: h,
    solo,
    retainedKeyRisk: r,
    scenarios: config.scenarios.map((s) => evaluateScenario(s, solo, r, h, multiplier)),
  };
}

/**
 * Your solo horizon probabilities of liveness and safety loss.
 *
 * @example
 * soloRisk(parseTrustConfig(EXAMPLE_TRUST_CONFIG)).liveness; // ≈ 0.128
 */
export function soloRisk(config: TrustConfig): { liveness: number; safety: number } {
  const h = config.horizonYears;
  return {
    liveness: anyOf(config.self.map((x) => horizon(x.liveness, h))),
    safety: anyOf(config.self.map((x) => horizon(x.safety, h))),
  };
}

/** A common-mode factor with its probability over the horizon. */
type HorizonFactor = TrustScenario["commonMode"][number];

/** One scenario's model over the horizon: the clusters, the factors, the threshold. */
type ScenarioModel = {
  s: TrustScenario;
  n: number;
  t: number;
  clusters: PlacedCluster[];
  /** Validators over all clusters. */
  V: number;
  /** A per-year probability over the horizon, times the stress multiplier (≤ 1). */
  scale: (p: number) => number;
  factors: HorizonFactor[];
  solo: { liveness: number; safety: number };
};

function affects(f: HorizonFactor, name: string, group: string): boolean {
  return f.operators === "all" || f.operators.includes(name) || f.operators.includes(group);
}

/** Whether the active factors force an operator to fail or to be malicious. */
function forcedBy(on: HorizonFactor[], name: string, group: string) {
  return {
    fail: on.some((f) => f.effect === "fail" && affects(f, name, group)),
    mal: on.some((f) => f.effect === "malicious" && affects(f, name, group)),
  };
}

/** P(self is bad) for `kind` under the active factors (0 without self). */
function selfBadProbability(
  m: ScenarioModel,
  on: HorizonFactor[],
  kind: "liveness" | "safety",
): number {
  if (!m.s.includeSelf) return 0;
  const fr = forcedBy(on, "self", "self");
  return kind === "safety" ? (fr.mal ? 1 : m.solo.safety) : fr.mal || fr.fail ? 1 : m.solo.liveness;
}

/**
 * P(any cluster lost) and the expected fraction of validators lost, given the per-cluster pmfs of
 * bad operators, `need` bad ones losing a cluster (one fewer when self is bad: `selfState`).
 */
function clusterOutcome(m: ScenarioModel, pmfs: number[][], need: number, selfState: 0 | 1) {
  let logNone = 0;
  let frac = 0;
  pmfs.forEach((pmf, ci) => {
    let tail = 0;
    for (let k = pmf.length - 1; k >= need - selfState; k--) tail += pmf[k] ?? 0;
    tail = Math.min(1, tail);
    logNone += Math.log1p(-tail);
    frac += ((m.clusters[ci]?.validators ?? 0) / m.V) * tail;
  });
  return { pAny: -Math.expm1(logNone), frac };
}

/** The loss for `kind` given which factors are active. */
function evalPattern(m: ScenarioModel, active: boolean[], kind: "liveness" | "safety") {
  const on = m.factors.filter((_, j) => active[j]);
  const badProb = (pFail: number, pMal: number, name: string, group: string) => {
    const fr = forcedBy(on, name, group);
    const mal = fr.mal ? 1 : pMal;
    const fail = fr.fail ? 1 : pFail;
    return kind === "safety" ? mal : 1 - (1 - fail) * (1 - mal);
  };
  const pmfs = m.clusters.map((c) =>
    poissonBinomialPmf(
      c.operators.map((o) => badProb(m.scale(o.pFail), m.scale(o.pMalicious), o.name, o.group)),
    ),
  );
  const need = kind === "safety" ? m.t : m.n - m.t + 1;
  const selfBad = selfBadProbability(m, on, kind);
  const o0 = clusterOutcome(m, pmfs, need, 0);
  const o1 = m.s.includeSelf ? clusterOutcome(m, pmfs, need, 1) : o0;
  return {
    pAny: (1 - selfBad) * o0.pAny + selfBad * o1.pAny,
    frac: (1 - selfBad) * o0.frac + selfBad * o1.frac,
  };
}

function scenarioModel(
  s: TrustScenario,
  solo: { liveness: number; safety: number },
  h: number,
  multiplier: number,
): ScenarioModel {
  const n = s.clusterSize;
  const clusters = buildClusters(s);
  return {
    s,
    n,
    t: s.threshold ?? defaultThreshold(n),
    clusters,
    V: clusters.reduce((acc, c) => acc + c.validators, 0),
    scale: (p: number) => Math.min(1, horizon(p, h) * multiplier),
    factors: s.commonMode.map((f) => ({
      ...f,
      probability: Math.min(1, horizon(f.probability, h) * multiplier),
    })),
    solo,
  };
}

function evaluateScenario(
  s: TrustScenario,
  solo: { liveness: number; safety: number },
  retained: number,
  h: number,
  multiplier: number,
): TrustScenarioResult {
  const m = scenarioModel(s, solo, h, multiplier);
  const { n, t, clusters, V } = m;
  const probs = m.factors.map((f) => f.probability);
  const mixed = (kind: "liveness" | "safety"): LossOutcome => ({
    pAny: mixOverFactors(probs, (a) => evalPattern(m, a, kind).pAny),
    expectedFraction: mixOverFactors(probs, (a) => evalPattern(m, a, kind).frac),
  });
  const live = mixed("liveness");
  const safe = mixed("safety");
  const safety = {
    pAny: 1 - (1 - retained) * (1 - safe.pAny),
    expectedFraction: retained + (1 - retained) * safe.expectedFraction,
  };
  const sameAsAny = clusters.length === 1;
  return {
    name: s.name,
    description: s.description,
    clusterSize: n,
    threshold: t,
    clusters: clusters.length,
    validators: V,
    operatorsUsed: clusters.reduce((acc, c) => acc + c.operators.length, 0),
    includeSelf: s.includeSelf,
    liveness: live,
    safety,
    livenessRatio: live.pAny / solo.liveness,
    safetyRatio: safety.pAny / solo.safety,
    livenessExpectedRatio: live.expectedFraction / solo.liveness,
    safetyExpectedRatio: safety.expectedFraction / solo.safety,
    verdict: {
      liveness: verdict(live, solo.liveness, sameAsAny),
      safety: verdict(safety, solo.safety, sameAsAny),
    },
  };
}

function verdict(dvt: LossOutcome, solo: number, oneCluster: boolean): string {
  const any = compare(dvt.pAny, solo);
  if (oneCluster) return `P(loss) ${any}`;
  return `P(any validator lost) ${any}; expected fraction lost ${compare(dvt.expectedFraction, solo)}`;
}

function compare(dvt: number, solo: number): string {
  if (dvt === solo) return "same as solo";
  if (solo === 0) return "worse than solo (solo risk is 0)";
  const r = dvt / solo;
  return r < 1
    ? `${fmt(1 / r)}× lower than solo (DVT better)`
    : `${fmt(r)}× higher than solo (DVT worse)`;
}

function fmt(x: number): string {
  return x >= 100 ? x.toExponential(1) : x.toPrecision(2);
}

/** 1 − Π(1 − p_i), accurate for tiny p. */
function anyOf(ps: number[]): number {
  return -Math.expm1(ps.reduce((acc, p) => acc + Math.log1p(-p), 0));
}

/**
 * Annual probability → probability over `years` (independent years).
 *
 * @example
 * horizon(0.1, 2); // 0.19
 */
export function horizon(p: number, years: number): number {
  return p >= 1 ? 1 : -Math.expm1(years * Math.log1p(-p));
}
