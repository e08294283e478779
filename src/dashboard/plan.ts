/**
 * The dashboard's planner: one query (`n`, `threshold`, `attacker`, `honest`, `group`,
 * `availability`) evaluated with the exact planning functions of src/plan —
 *  - Sybil: {@link sybilExact} (hypergeometric, src/plan/sybil/exact.ts) for groups of `group`
 *    shares with threshold `threshold` when `group` = `n`, else ⌈2g/3⌉ (src/plan/threshold.ts);
 *  - availability: {@link availabilityExact} (src/plan/availability/exact.ts) of a t-of-n cluster
 *    whose operator i is up with stationary probability `availability[i]` (independent, no shared
 *    site), plus the missed-duty probability for every threshold k = 1..n from the same
 *    independent model via the Poisson-binomial pmf (src/plan/math/poissonBinomial.ts);
 * and rendered as SVG with src/plan/svg (line chart: P(missed) vs threshold; bar chart: the
 * attacker's share count in a group).
 *
 * Inputs are bounded by the zod schema below (400 naming the field and the bound); queries above
 * {@link PLAN_OPEN_LIMITS} need the dashboard token; the dashboard runs {@link planDashboard} in a
 * worker thread with a time limit (./plan-worker.ts), never on the node's event loop.
 */
import { z } from "zod";
import { EPOCHS_PER_YEAR } from "../plan/availability/constants.js";
import { availabilityExact } from "../plan/availability/exact.js";
import type { AvailabilitySystem } from "../plan/availability/system.js";
import { poissonBinomialPmf } from "../plan/math/poissonBinomial.js";
import { barChartSvg } from "../plan/svg/barChart.js";
import { lineChartSvg } from "../plan/svg/lineChart.js";
import { sybilExact } from "../plan/sybil/exact.js";
import { defaultThreshold } from "../plan/threshold.js";
import { zodInputError } from "../util/schema.js";

/**
 * Largest cluster evaluated interactively (availabilityExact enumerates 2^n patterns).
 *
 * @example
 * MAX_PLAN_OPERATORS; // 16
 */
export const MAX_PLAN_OPERATORS = 16;
/**
 * Largest group size (the Sybil pmf has group + 1 entries; DVT clusters have ≤ 16 operators).
 *
 * @example
 * MAX_PLAN_GROUP; // 128
 */
export const MAX_PLAN_GROUP = 128;
/**
 * Largest attacker or honest share count.
 *
 * @example
 * MAX_PLAN_SHARES; // 1_000_000
 */
export const MAX_PLAN_SHARES = 1_000_000;

/**
 * Queries anyone on this machine may run without the dashboard token: at most ~0.4 s of CPU (in the
 * planner's worker thread, ./plan-worker.ts), measured over n ≤ 13, group ≤ 16, shares ≤ 2,000.
 * Anything larger (up to the maxima above) needs the token ({@link planNeedsToken}).
 *
 * @example
 * PLAN_OPEN_LIMITS.n; // 13
 */
export const PLAN_OPEN_LIMITS = { n: 13, group: 16, shares: 2_000 } as const;

const int = (min: number, max: number) =>
  z.coerce
    .number()
    .int("must be an integer")
    .min(min, `must be ≥ ${min}`)
    .max(max, `must be ≤ ${max}`);

const querySchema = z
  .object({
    n: int(1, MAX_PLAN_OPERATORS),
    threshold: int(1, MAX_PLAN_OPERATORS).optional(),
    attacker: int(0, MAX_PLAN_SHARES),
    honest: int(0, MAX_PLAN_SHARES),
    group: int(1, MAX_PLAN_GROUP).optional(),
    availability: z
      .string()
      .trim()
      .min(1, "give one probability, or one per operator, comma-separated")
      .max(16 * 32, "too long")
      .transform((s) => s.split(",").map((x) => (x.trim() === "" ? Number.NaN : Number(x.trim()))))
      .pipe(
        z
          .array(
            z.number("must be a number").min(0, "must be in [0, 1]").max(1, "must be in [0, 1]"),
          )
          .max(MAX_PLAN_OPERATORS, `at most ${MAX_PLAN_OPERATORS} values`),
      )
      .default([0.99]),
  })
  .superRefine((q, ctx) => {
    if (q.threshold !== undefined && q.threshold > q.n)
      ctx.addIssue({ code: "custom", path: ["threshold"], message: `exceeds n = ${q.n}` });
    if (q.availability.length !== 1 && q.availability.length !== q.n)
      ctx.addIssue({
        code: "custom",
        path: ["availability"],
        message: `give 1 or ${q.n} values (got ${q.availability.length})`,
      });
  });

/**
 * Planner inputs (all numbers; `availability` one value for every operator or one each).
 *
 * @example
 * const q: PlanQuery = { n: 4, threshold: 3, attacker: 100, honest: 30, group: 4, availability: [0.99] };
 */
export type PlanQuery = z.output<typeof querySchema>;

/**
 * Planner result served at /api/plan.
 *
 * @example
 * const r: PlanResult = planDashboard(parsePlanQuery(new URLSearchParams("n=4&attacker=10&honest=90")));
 * r.availability.missedFraction;
 */
export type PlanResult = {
  input: { n: number; threshold: number; groupSize: number; groupThreshold: number };
  sybil: {
    attackerShares: number;
    honestShares: number;
    groups: number;
    pControl: number;
    pBlock: number;
    expectedControlledGroups: number;
    pAnyControlled: number | null;
    pmf: number[];
  };
  availability: {
    perOperator: number[];
    /** Exact stationary fraction of epochs the t-of-n cluster cannot sign. */
    missedFraction: number;
    missedEpochsPerYear: number;
    /** P(missed) for threshold k = index + 1. */
    missedByThreshold: number[];
  };
  charts: { availabilitySvg: string; sybilSvg: string };
};

/**
 * Validate planner query parameters (URLSearchParams or a plain object); throws an InputError
 * naming the field.
 *
 * @example
 * parsePlanQuery(new URLSearchParams("n=4&threshold=3&attacker=10&honest=90&availability=0.99"));
 */
export function parsePlanQuery(params: URLSearchParams | Record<string, unknown>): PlanQuery {
  const raw: Record<string, unknown> =
    params instanceof URLSearchParams
      ? Object.fromEntries([...params.entries()].filter(([, v]) => v.trim() !== ""))
      : params;
  const r = querySchema.safeParse(raw);
  if (!r.success) throw zodInputError("Invalid planner input", r.error);
  return r.data;
}

/**
 * Whether a (valid) query exceeds {@link PLAN_OPEN_LIMITS} and so needs the dashboard token; the
 * reason names the first limit exceeded.
 *
 * @example
 * planNeedsToken(parsePlanQuery({ n: 16, attacker: 10, honest: 10 })); // "n = 16 > 13"
 * planNeedsToken(parsePlanQuery({ n: 4, attacker: 10, honest: 10 })); // undefined
 */
export function planNeedsToken(q: PlanQuery): string | undefined {
  const g = q.group ?? q.n;
  if (q.n > PLAN_OPEN_LIMITS.n) return `n = ${q.n} > ${PLAN_OPEN_LIMITS.n}`;
  if (g > PLAN_OPEN_LIMITS.group) return `group = ${g} > ${PLAN_OPEN_LIMITS.group}`;
  if (q.attacker + q.honest > PLAN_OPEN_LIMITS.shares)
    return `attacker + honest = ${q.attacker + q.honest} > ${PLAN_OPEN_LIMITS.shares}`;
  return undefined;
}

/** Availability system of n independent operators, t of them needed (src/plan/availability). */
function dvtSystem(perOperator: readonly number[], t: number): AvailabilitySystem {
  return {
    name: `dvt ${t}/${perOperator.length}`,
    // A chain with f = u, r = 1 − u has stationary unavailability f/(f + r) = u.
    chains: perOperator.map((a, i) => ({ name: `operator ${i + 1}`, f: 1 - a, r: a })),
    machines: perOperator.map((_, i) => ({ name: `operator ${i + 1}`, chain: i, site: null })),
    roles: [{ name: "cluster", k: t, hosts: perOperator.map((_, i) => i) }],
  };
}

/**
 * Evaluate the planner: exact Sybil and availability results plus two SVG charts.
 *
 * @example
 * const r = planDashboard(parsePlanQuery({ n: 4, attacker: 100, honest: 30, group: 8 }));
 * r.sybil.pControl; // ≈ 0.7295 (threshold ⌈16/3⌉ = 6)
 */
export function planDashboard(q: PlanQuery): PlanResult {
  const t = q.threshold ?? defaultThreshold(q.n);
  const g = q.group ?? q.n;
  const gt = g === q.n ? t : defaultThreshold(g);
  const sy = sybilExact({
    attackerShares: q.attacker,
    honestShares: q.honest,
    groupSize: g,
    threshold: gt,
  });
  const perOperator =
    q.availability.length === 1
      ? Array.from({ length: q.n }, () => q.availability[0] ?? 0)
      : q.availability;
  const { missedFraction } = availabilityExact(dvtSystem(perOperator, t));
  const pmf = poissonBinomialPmf(perOperator);
  const missedByThreshold: number[] = [];
  let below = 0;
  for (let k = 1; k <= q.n; k++) {
    below += pmf[k - 1] ?? 0; // P(fewer than k operators up)
    missedByThreshold.push(Math.min(1, below));
  }
  const availabilitySvg = lineChartSvg(`Missed duties, ${q.n} operators`, [
    {
      title: "P(fewer than k operators up)",
      xLabel: "threshold k",
      yLabel: "P(missed)",
      yLog: true,
      series: [{ name: "exact", points: missedByThreshold.map((p, i) => [i + 1, p] as const) }],
      markers: [{ x: t, label: `t = ${t}` }],
    },
  ]);
  const sybilSvg = barChartSvg(`Attacker shares in a group of ${g} (t = ${gt})`, [
    {
      title: `P(control) = ${sy.pControl.toPrecision(3)}`,
      yLabel: "probability",
      categories: sy.pmf.map((_, i) => String(i)),
      groups: [{ name: "P(attacker holds i shares)", values: sy.pmf }],
    },
  ]);
  return {
    input: { n: q.n, threshold: t, groupSize: g, groupThreshold: gt },
    sybil: {
      attackerShares: sy.attackerShares,
      honestShares: sy.honestShares,
      groups: sy.groups,
      pControl: sy.pControl,
      pBlock: sy.pBlock,
      expectedControlledGroups: sy.expectedControlledGroups,
      pAnyControlled: sy.pAnyControlled,
      pmf: sy.pmf,
    },
    availability: {
      perOperator: [...perOperator],
      missedFraction,
      missedEpochsPerYear: missedFraction * EPOCHS_PER_YEAR,
      missedByThreshold,
    },
    charts: { availabilitySvg, sybilSvg },
  };
}
