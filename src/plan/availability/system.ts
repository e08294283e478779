/**
 * The availability model: every machine and every site (power/ISP/cloud region) is an
 * independent two-state discrete-time Markov chain per epoch (up → down with probability f, down →
 * up with probability r; stationary unavailability u = f/(f + r); mean up time 1/f = MTBF, mean
 * outage 1/r = MTTR). A machine is effectively up when it and its site are up; machines sharing a
 * site fail together (the correlated, common-mode part). A setup signs in an epoch when every role
 * has at least k of its host machines up, or — active-passive — by the failover rule in ./exact.ts.
 */
import { EPOCH_SECONDS } from "./constants.js";

/** A two-state chain, per-epoch transition probabilities. */
export type Chain = { name: string; f: number; r: number };

/** A machine: its own chain and (optionally) the site chain it depends on. */
export type Machine = { name: string; chain: number; site: number | null };

/** A role needing `k` of its host machines (e.g. Dirk 2-of-3, beacon node 1-of-2). */
export type Role = { name: string; k: number; hosts: number[] };

/** A complete setup. */
export type AvailabilitySystem = {
  name: string;
  chains: Chain[];
  machines: Machine[];
  roles: Role[];
  /** Active-passive: standby signs once the primary has been down for `delayEpochs` epochs. */
  failover?: { primary: number; standby: number; delayEpochs: number } | undefined;
};

/** Reliability of a machine or site. */
export type Reliability = { mtbfDays: number; mttrHours: number };

/**
 * Per-epoch chain from mean time between failures (days) and mean time to repair (hours).
 *
 * @example
 * chainFrom("home", { mtbfDays: 60, mttrHours: 4 }).f; // 384 / (60 × 86400)
 */
export function chainFrom(name: string, rel: Reliability): Chain {
  return {
    name,
    f: Math.min(1, EPOCH_SECONDS / (rel.mtbfDays * 86400)),
    r: Math.min(1, EPOCH_SECONDS / (rel.mttrHours * 3600)),
  };
}

/**
 * Stationary probability that a chain is down, f/(f + r).
 *
 * @example
 * unavailability({ name: "x", f: 0.01, r: 0.99 }); // 0.01
 */
export function unavailability(c: Chain): number {
  return c.f + c.r === 0 ? 0 : c.f / (c.f + c.r);
}

/**
 * The chain at index `i` (throws on a bad index — a bug in the setup builder).
 *
 * @example
 * chainAt(sys, sys.machines[0].chain).name;
 */
export function chainAt(sys: AvailabilitySystem, i: number): Chain {
  const c = sys.chains[i];
  if (!c) throw new RangeError(`no chain ${i} in setup ${sys.name}`);
  return c;
}
