/**
 * Minimum number of entities an attacker must compromise so that the validators of the units
 * (clusters) in which it holds at least k_c members add up to a target — a partial multi-cover
 * problem, NP-hard in general (it contains set cover). Two solvers:
 *  - greedy: repeatedly add the entity with the largest Σ v_c / (k_c − have_c) over the units it
 *    is in and that are not yet covered (a unit that needs one more member counts in full); gives
 *    an UPPER bound on the minimum (the attacker needs at most this many);
 *  - exact: iterative deepening over subset sizes 1, 2, … below the greedy value, depth-first with
 *    incremental counts; used when the number of subsets to visit fits the budget.
 * With k_c = 1 everywhere (no DVT), taking the largest holders first is exactly optimal
 * (exchange argument), and both solvers agree.
 */

/** A unit: member entity indices, how many must be compromised, and its validators. */
export type CoverUnit = { members: number[]; need: number; validators: number };

/** Solution of a cover problem. */
export type CoverSolution = {
  /** Entities needed; null if even all entities don't reach the target. */
  entities: number | null;
  /** One optimal (exact) or greedy set of entity indices. */
  set: number[];
  method: "exact" | "greedy-upper-bound";
};

/**
 * Greedy cover (upper bound on the minimum).
 *
 * @example
 * greedyCover(3, [{ members: [0, 1], need: 2, validators: 5 }], 5).entities; // 2
 */
export function greedyCover(
  entityCount: number,
  units: CoverUnit[],
  target: number,
): CoverSolution {
  const have = new Array<number>(units.length).fill(0);
  const chosen = new Set<number>();
  const byEntity = unitsByEntity(entityCount, units);
  let covered = 0;
  const set: number[] = [];
  while (covered < target) {
    let best = -1;
    let bestScore = -1;
    for (let e = 0; e < entityCount; e++) {
      if (chosen.has(e)) continue;
      let score = 0;
      for (const u of byEntity[e] ?? []) {
        const unit = units[u];
        if (!unit || (have[u] ?? 0) >= unit.need) continue;
        score += unit.validators / (unit.need - (have[u] ?? 0));
      }
      if (score > bestScore) {
        bestScore = score;
        best = e;
      }
    }
    if (best < 0 || bestScore <= 0) return { entities: null, set, method: "greedy-upper-bound" };
    chosen.add(best);
    set.push(best);
    for (const u of byEntity[best] ?? []) {
      const unit = units[u];
      if (!unit) continue;
      have[u] = (have[u] ?? 0) + 1;
      if (have[u] === unit.need) covered += unit.validators;
    }
  }
  return { entities: set.length, set, method: "greedy-upper-bound" };
}

/**
 * Exact minimum cover when the search fits `budget` visited subsets, else the greedy solution.
 *
 * @example
 * minimumCover(4, units, 10).method; // "exact" for small inputs
 */
export function minimumCover(
  entityCount: number,
  units: CoverUnit[],
  target: number,
  budget = 2_000_000,
): CoverSolution {
  const greedy = greedyCover(entityCount, units, target);
  if (target <= 0) return { entities: 0, set: [], method: "exact" };
  // Every unit needs one member: largest holders first is optimal (exchange argument).
  if (units.every((u) => u.need === 1 && u.members.length === 1))
    return { ...greedy, method: "exact" };
  const upper = greedy.entities ?? entityCount + 1;
  // Only entities that belong to some unit can help.
  const byEntity = unitsByEntity(entityCount, units);
  const useful = [...Array(entityCount).keys()].filter((e) => (byEntity[e]?.length ?? 0) > 0);
  let work = 0;
  for (let s = 1; s < upper; s++) work += binomial(useful.length, s);
  if (work > budget) return greedy;
  const have = new Array<number>(units.length).fill(0);
  const pick: number[] = [];
  const dfs = (size: number, start: number, covered: number): boolean => {
    if (covered >= target) return true;
    if (pick.length === size) return false;
    for (let i = start; i <= useful.length - (size - pick.length); i++) {
      const e = useful[i] ?? 0;
      let gained = 0;
      for (const u of byEntity[e] ?? []) {
        have[u] = (have[u] ?? 0) + 1;
        if (have[u] === units[u]?.need) gained += units[u]?.validators ?? 0;
      }
      pick.push(e);
      if (dfs(size, i + 1, covered + gained)) return true;
      pick.pop();
      for (const u of byEntity[e] ?? []) have[u] = (have[u] ?? 0) - 1;
    }
    return false;
  };
  for (let size = 1; size < upper; size++) {
    if (dfs(size, 0, 0)) return { entities: size, set: [...pick], method: "exact" };
  }
  return { ...greedy, method: greedy.entities === null ? "greedy-upper-bound" : "exact" };
}

function unitsByEntity(entityCount: number, units: CoverUnit[]): number[][] {
  const by: number[][] = Array.from({ length: entityCount }, () => []);
  units.forEach((u, i) => {
    for (const m of u.members) by[m]?.push(i);
  });
  return by;
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}
