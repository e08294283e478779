/**
 * Decentralization report: for each target fraction X of all validators, the minimum number of
 * entities that must be compromised to halt them (liveness: ≥ n − t + 1 operators of a cluster)
 * or to control them (safety: ≥ t operators), before DVT (owners run their validators alone:
 * need 1, largest holders first, exact) and after DVT (./cover.ts: exact when the search fits the
 * budget, otherwise a greedy upper bound — the report says which).
 */
import { parseWith } from "../../util/schema.js";
import { defaultThreshold } from "../threshold.js";
import { type CoverSolution, type CoverUnit, minimumCover } from "./cover.js";
import { type DecentralizationConfig, decentralizationConfigSchema } from "./schema.js";

/** Entities needed, which method gave the number, and one such set of entity names. */
export type CoverAnswer = {
  entities: number | null;
  method: CoverSolution["method"];
  set: string[];
};

/** One target's numbers. */
export type TargetReport = {
  target: number;
  validatorsNeeded: number;
  halt: { before: CoverAnswer; after: CoverAnswer };
  control: { before: CoverAnswer; after: CoverAnswer };
};

/** Result of {@link decentralizationReport}. */
export type DecentralizationReport = {
  entities: number;
  validators: number;
  clusters: number;
  targets: TargetReport[];
};

/**
 * Validate a decentralization input.
 *
 * @example
 * parseDecentralizationConfig({ clusters: [] }).targets; // [0.34, 0.5, 0.67]
 */
export function parseDecentralizationConfig(input: unknown, file?: string): DecentralizationConfig {
  return parseWith(
    decentralizationConfigSchema,
    input ?? {},
    "Invalid decentralization input",
    file,
  );
}

/**
 * Compute the report.
 *
 * @example
 * decentralizationReport(parseDecentralizationConfig(json)).targets[0].halt.after.entities;
 */
export function decentralizationReport(cfg: DecentralizationConfig): DecentralizationReport {
  const names: string[] = [];
  const index = new Map<string, number>();
  const id = (name: string) => {
    let i = index.get(name);
    if (i === undefined) {
      i = names.length;
      names.push(name);
      index.set(name, i);
    }
    return i;
  };
  const before: CoverUnit[] = [];
  const halt: CoverUnit[] = [];
  const control: CoverUnit[] = [];
  for (const c of cfg.clusters) {
    const members = c.operators.map(id);
    const t = c.threshold ?? defaultThreshold(members.length);
    before.push({ members: [id(c.owner)], need: 1, validators: c.validators });
    halt.push({ members, need: members.length - t + 1, validators: c.validators });
    control.push({ members, need: t, validators: c.validators });
  }
  for (const s of cfg.soloValidators) {
    const unit = { members: [id(s.entity)], need: 1, validators: s.validators };
    before.push(unit);
    halt.push(unit);
    control.push(unit);
  }
  const V = before.reduce((acc, u) => acc + u.validators, 0);
  const answer = (sol: CoverSolution): CoverAnswer => ({
    entities: sol.entities,
    method: sol.method,
    set: sol.set.map((i) => names[i] ?? "?"),
  });
  const solve = (units: CoverUnit[], need: number) =>
    answer(minimumCover(names.length, units, need, cfg.exactBudget));
  return {
    entities: names.length,
    validators: V,
    clusters: cfg.clusters.length,
    targets: cfg.targets.map((target) => {
      const need = Math.ceil(target * V - 1e-9);
      const b = solve(before, need);
      return {
        target,
        validatorsNeeded: need,
        halt: { before: b, after: solve(halt, need) },
        control: { before: b, after: solve(control, need) },
      };
    }),
  };
}
