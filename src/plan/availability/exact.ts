/**
 * Exact (stationary) fraction of epochs in which a setup cannot attest.
 *
 * Roles (solo, Vouch+Dirk, DVT): by stationarity and independence, the long-run fraction equals
 * P(some role has fewer than k hosts up) under the product of the stationary marginals. Sites used
 * by one machine are folded into it (u = 1 − (1 − u_m)(1 − u_s)); shared sites and machines are
 * enumerated (2^(machines + shared sites) patterns).
 *
 * Active-passive with failover delay d: the standby signs in epoch τ iff the primary was
 * (effectively) down in every epoch τ−d..τ. With x the joint state of all chains, π the stationary
 * product distribution, D = {x: primary down} and v_0 = π·1_D, v_{j+1} = (v_j P)·1_D (P the product
 * transition matrix), v_d(x) = P(primary down in τ−d..τ, X_τ = x). Then
 *   P(missed) = Σ_{x∈D} π(x) − Σ_{x∈D, standby up} v_d(x)
 * and the failover rate per epoch (primary's outage reaches age d while the standby is up) is
 *   Σ_{x∈D, standby up} (v_d(x) − v_{d+1}(x)).
 * (Kemeny & Snell, "Finite Markov Chains", 1960, for stationarity of product chains.)
 */
import { type AvailabilitySystem, chainAt, unavailability } from "./system.js";

/** Exact results per epoch. */
export type AvailabilityExact = {
  /** Long-run fraction of epochs with no attestation. */
  missedFraction: number;
  /** Failovers (standby takes over while up) per epoch; 0 without failover. */
  failoversPerEpoch: number;
};

/** Largest number of binary variables enumerated (2^22 patterns). */
export const MAX_ENUMERATED = 22;

/**
 * Exact stationary missed-epoch fraction of a setup.
 *
 * @example
 * availabilityExact(soloSystem).missedFraction; // ≈ 1 − (1 − u_machine)(1 − u_site)
 */
export function availabilityExact(sys: AvailabilitySystem): AvailabilityExact {
  return sys.failover
    ? failoverExact(sys)
    : { missedFraction: rolesExact(sys), failoversPerEpoch: 0 };
}

function rolesExact(sys: AvailabilitySystem): number {
  const siteUse = new Map<number, number>();
  for (const m of sys.machines)
    if (m.site !== null) siteUse.set(m.site, (siteUse.get(m.site) ?? 0) + 1);
  const shared = [...siteUse.entries()].filter(([, c]) => c > 1).map(([s]) => s);
  const M = sys.machines.length;
  if (M + shared.length > MAX_ENUMERATED)
    throw new RangeError(`too many machines and shared sites to enumerate (max ${MAX_ENUMERATED})`);
  const ownDown = sys.machines.map((m) => {
    const um = unavailability(chainAt(sys, m.chain));
    if (m.site === null || shared.includes(m.site)) return um;
    const us = unavailability(chainAt(sys, m.site));
    return 1 - (1 - um) * (1 - us);
  });
  const siteDown = shared.map((s) => unavailability(chainAt(sys, s)));
  let missed = 0;
  for (let sm = 0; sm < 1 << shared.length; sm++) {
    let ws = 1;
    const downSites = new Set<number>();
    shared.forEach((s, j) => {
      const on = (sm & (1 << j)) !== 0;
      ws *= on ? (siteDown[j] ?? 0) : 1 - (siteDown[j] ?? 0);
      if (on) downSites.add(s);
    });
    if (ws === 0) continue;
    for (let mm = 0; mm < 1 << M; mm++) {
      let w = ws;
      for (let i = 0; i < M; i++) {
        const d = ownDown[i] ?? 0;
        w *= (mm & (1 << i)) !== 0 ? d : 1 - d;
      }
      if (w === 0) continue;
      const up = (i: number) => {
        const m = sys.machines[i];
        if (!m) return false;
        return (mm & (1 << i)) === 0 && !(m.site !== null && downSites.has(m.site));
      };
      if (!rolesSatisfied(sys, up)) missed += w;
    }
  }
  return missed;
}

/**
 * Whether every role has ≥ k hosts up, given which machines are up.
 *
 * @example
 * rolesSatisfied(sys, (i) => i !== 0);
 */
export function rolesSatisfied(sys: AvailabilitySystem, up: (machine: number) => boolean): boolean {
  return sys.roles.every((role) => role.hosts.filter(up).length >= role.k);
}

function failoverExact(sys: AvailabilitySystem): AvailabilityExact {
  const fo = sys.failover;
  if (!fo) throw new Error("unreachable");
  const C = sys.chains.length;
  if (C > 10) throw new RangeError("active-passive exact model supports at most 10 chains");
  const S = 1 << C;
  const down = (x: number, m: number) => {
    const mach = sys.machines[m];
    if (!mach) return false;
    return (x & (1 << mach.chain)) !== 0 || (mach.site !== null && (x & (1 << mach.site)) !== 0);
  };
  const pi = new Float64Array(S);
  for (let x = 0; x < S; x++) {
    let w = 1;
    sys.chains.forEach((c, i) => {
      const u = unavailability(c);
      w *= (x & (1 << i)) !== 0 ? u : 1 - u;
    });
    pi[x] = w;
  }
  const trans = (x: number, y: number) => {
    let w = 1;
    sys.chains.forEach((c, i) => {
      const a = (x >> i) & 1;
      const b = (y >> i) & 1;
      w *= a === 0 ? (b === 0 ? 1 - c.f : c.f) : b === 1 ? 1 - c.r : c.r;
    });
    return w;
  };
  const T = new Float64Array(S * S);
  for (let x = 0; x < S; x++) for (let y = 0; y < S; y++) T[x * S + y] = trans(x, y);
  const inD = (x: number) => down(x, fo.primary);
  let v = new Float64Array(S);
  for (let x = 0; x < S; x++) v[x] = inD(x) ? (pi[x] ?? 0) : 0;
  const step = (a: Float64Array) => {
    const out = new Float64Array(S);
    for (let x = 0; x < S; x++) {
      const ax = a[x] ?? 0;
      if (ax === 0) continue;
      for (let y = 0; y < S; y++) if (inD(y)) out[y] = (out[y] ?? 0) + ax * (T[x * S + y] ?? 0);
    }
    return out;
  };
  for (let j = 0; j < fo.delayEpochs; j++) v = step(v);
  const vNext = step(v);
  let pD = 0;
  let covered = 0;
  let failovers = 0;
  for (let x = 0; x < S; x++) {
    if (!inD(x)) continue;
    pD += pi[x] ?? 0;
    if (!down(x, fo.standby)) {
      covered += v[x] ?? 0;
      failovers += (v[x] ?? 0) - (vNext[x] ?? 0);
    }
  }
  return { missedFraction: pD - covered, failoversPerEpoch: failovers };
}
