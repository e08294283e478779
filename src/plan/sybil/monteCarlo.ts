/**
 * Monte Carlo check of the Sybil analysis: each trial really partitions the pool — a partial
 * Fisher–Yates shuffle (Knuth, TAOCP vol. 2, Algorithm 3.4.2P) puts a uniformly random ordered
 * selection of m·g shares into the first m·g seats, seats [i·g, (i+1)·g) form group i.
 * Per-group proportions get a Wilson 95% interval over the trials·m groups. The groups of one trial
 * are not independent, but sampling without replacement is negatively associated (Joag-Dev &
 * Proschan, Ann. Statist. 11(1), 1983), so the monotone events "group i has ≥ k attacker shares" are
 * negatively correlated and the binomial variance behind the Wilson interval is an upper bound:
 * the interval is, if anything, conservative. Per-trial quantities (any group controlled, number of
 * controlled groups) are independent across trials.
 */
import { meanInterval } from "../math/meanInterval.js";
import { createRng } from "../math/rng.js";
import { wilsonInterval } from "../math/wilson.js";
import { parseSybilParams, type SybilParams } from "./params.js";

/** Monte Carlo options. */
export type SybilMonteCarloOptions = {
  /** Independent random partitions; default 100 000. */
  trials?: number | undefined;
  /** RNG seed; default 1. */
  seed?: number | undefined;
};

/** Result of {@link sybilMonteCarlo}. */
export type SybilMonteCarlo = {
  trials: number;
  seed: number;
  /** Fraction of all formed groups that the attacker controls, with its Wilson 95% interval. */
  pControl: number;
  ci95: [number, number];
  /** Fraction of all formed groups that the attacker can block, with its Wilson 95% interval. */
  pBlock: number;
  pBlockCi95: [number, number];
  /** Mean number of controlled groups per partition, with a normal 95% interval. */
  expectedControlledGroups: number;
  expectedControlledGroupsCi95: [number, number];
  /** Fraction of partitions with at least one controlled group, with its Wilson 95% interval. */
  pAnyControlled: number;
  pAnyControlledCi95: [number, number];
};

/** Default number of Monte Carlo trials. */
export const DEFAULT_SYBIL_TRIALS = 100_000;

/**
 * Simulate random partitions of the pool and count attacker-controlled/blocked groups.
 *
 * @example
 * const mc = sybilMonteCarlo({ attackerShares: 100, honestShares: 30, groupSize: 8 }, { seed: 7 });
 * mc.ci95; // contains sybilExact(...).pControl (about 95% of seeds)
 */
export function sybilMonteCarlo(
  input: SybilParams,
  opts: SybilMonteCarloOptions = {},
): SybilMonteCarlo {
  const {
    attackerShares: a,
    honestShares: b,
    groupSize: g,
    threshold: t,
  } = parseSybilParams(input);
  const trials = opts.trials ?? DEFAULT_SYBIL_TRIALS;
  if (!Number.isSafeInteger(trials) || trials < 1)
    throw new RangeError("trials must be a positive integer");
  const seed = opts.seed ?? 1;
  const rng = createRng(seed);
  const N = a + b;
  const m = Math.floor(N / g);
  const seats = m * g;
  const pool = new Uint8Array(N);
  pool.fill(1, 0, a);
  const blockAt = g - t + 1;
  const perTrial = new Float64Array(trials);
  let controlled = 0;
  let blocked = 0;
  let anyControlled = 0;
  for (let trial = 0; trial < trials; trial++) {
    // Partial Fisher–Yates: seats 0..seats-1 become a uniform random ordered sample of the pool.
    for (let i = 0; i < seats; i++) {
      const j = i + rng.int(N - i);
      const tmp = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = tmp;
    }
    let c = 0;
    for (let grp = 0; grp < m; grp++) {
      let x = 0;
      const end = (grp + 1) * g;
      for (let i = grp * g; i < end; i++) x += pool[i] as number;
      if (x >= t) c++;
      if (x >= blockAt) blocked++;
    }
    controlled += c;
    perTrial[trial] = c;
    if (c > 0) anyControlled++;
  }
  const groupsTotal = trials * m;
  const mean = meanInterval(perTrial);
  return {
    trials,
    seed,
    pControl: controlled / groupsTotal,
    ci95: wilsonInterval(controlled, groupsTotal),
    pBlock: blocked / groupsTotal,
    pBlockCi95: wilsonInterval(blocked, groupsTotal),
    expectedControlledGroups: mean.mean,
    expectedControlledGroupsCi95: mean.ci95,
    pAnyControlled: anyControlled / trials,
    pAnyControlledCi95: wilsonInterval(anyControlled, trials),
  };
}
