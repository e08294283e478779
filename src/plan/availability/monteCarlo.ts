/**
 * Monte Carlo of the availability model: R independent simulated periods of Y years each. Every
 * chain starts in its stationary state and alternates geometric sojourns (up: Geometric(f), down:
 * Geometric(r); sampled by inversion, L = 1 + ⌊ln U / ln(1 − p)⌋ — Devroye, "Non-Uniform Random
 * Variate Generation", 1986, §X.2), which is exactly the per-epoch chain of ./system.ts. Down
 * epochs are OR-ed into a bitmask per epoch; each epoch is then judged by the same rules as the
 * exact model (roles, or the failover rule with a burn-in of d + 1 epochs so the failover history
 * exists). Replications are independent, so the per-period means get a normal 95% interval.
 */
import { meanInterval } from "../math/meanInterval.js";
import { createRng, type Rng } from "../math/rng.js";
import { EPOCHS_PER_YEAR } from "./constants.js";
import { rolesSatisfied } from "./exact.js";
import { type AvailabilitySystem, unavailability } from "./system.js";

/** Monte Carlo options. */
export type AvailabilityMcOptions = {
  /** Independent simulated periods; default 200. */
  replications?: number | undefined;
  /** Years per period; default 1. */
  years?: number | undefined;
  seed?: number | undefined;
};

/** Monte Carlo estimates per year. */
export type AvailabilityMc = {
  replications: number;
  years: number;
  seed: number;
  missedPerYear: number;
  missedPerYearCi95: [number, number];
  failoversPerYear: number;
  failoversPerYearCi95: [number, number];
};

/**
 * Simulate a setup and estimate missed attestations (epochs) and failovers per year.
 *
 * @example
 * availabilityMonteCarlo(system, { replications: 100, seed: 3 }).missedPerYearCi95;
 */
export function availabilityMonteCarlo(
  sys: AvailabilitySystem,
  opts: AvailabilityMcOptions = {},
): AvailabilityMc {
  const R = opts.replications ?? 200;
  const years = opts.years ?? 1;
  const seed = opts.seed ?? 1;
  if (sys.chains.length > 31) throw new RangeError("at most 31 chains in a Monte Carlo setup");
  const rng = createRng(seed);
  const E = Math.round(years * EPOCHS_PER_YEAR);
  const burn = sys.failover ? sys.failover.delayEpochs + 1 : 0;
  const T = E + burn;
  const mask = new Uint32Array(T);
  const machineBits = sys.machines.map((m) => (1 << m.chain) | (m.site !== null ? 1 << m.site : 0));
  const cache = new Map<number, boolean>();
  const signs = (x: number) => {
    let v = cache.get(x);
    if (v === undefined) {
      v = rolesSatisfied(sys, (i) => (x & (machineBits[i] ?? 0)) === 0);
      cache.set(x, v);
    }
    return v;
  };
  const missed = new Float64Array(R);
  const failovers = new Float64Array(R);
  for (let rep = 0; rep < R; rep++) {
    mask.fill(0);
    sys.chains.forEach((c, i) => {
      markDown(mask, 1 << i, c.f, c.r, unavailability(c), rng);
    });
    let miss = 0;
    let fo = 0;
    if (sys.failover) {
      const { delayEpochs: d } = sys.failover;
      const pBits = machineBits[sys.failover.primary] ?? 0;
      const sBits = machineBits[sys.failover.standby] ?? 0;
      let age = -1; // consecutive epochs the primary has been down, minus one (−1: up)
      for (let tau = 0; tau < T; tau++) {
        const x = mask[tau] ?? 0;
        const pDown = (x & pBits) !== 0;
        age = pDown ? age + 1 : -1;
        if (tau < burn) continue;
        if (!pDown) continue;
        const sUp = (x & sBits) === 0;
        if (age === d && sUp) fo++;
        if (age < d || !sUp) miss++;
      }
    } else {
      const allUpSigns = signs(0);
      for (let tau = 0; tau < T; tau++) {
        const x = mask[tau] ?? 0;
        if (!(x === 0 ? allUpSigns : signs(x))) miss++;
      }
    }
    missed[rep] = miss / years;
    failovers[rep] = fo / years;
  }
  const m = meanInterval(missed);
  const f = meanInterval(failovers);
  return {
    replications: R,
    years,
    seed,
    missedPerYear: m.mean,
    missedPerYearCi95: m.ci95,
    failoversPerYear: f.mean,
    failoversPerYearCi95: f.ci95,
  };
}

/** Alternate stationary up/down sojourns of one chain over the mask, OR-ing `bit` into down epochs. */
function markDown(mask: Uint32Array, bit: number, f: number, r: number, u: number, rng: Rng): void {
  const T = mask.length;
  let down = rng.next() < u;
  let tau = 0;
  while (tau < T) {
    const len = geometric(down ? r : f, rng);
    if (down) {
      const end = Math.min(T, tau + len);
      for (let i = tau; i < end; i++) mask[i] = (mask[i] ?? 0) | bit;
    }
    tau += len;
    down = !down;
  }
}

/** Number of trials up to and including the first success, success probability p per trial. */
function geometric(p: number, rng: Rng): number {
  if (p >= 1) return 1;
  if (p <= 0) return Number.POSITIVE_INFINITY;
  const u = 1 - rng.next(); // (0, 1]
  return 1 + Math.floor(Math.log(u) / Math.log1p(-p));
}
