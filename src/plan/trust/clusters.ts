/**
 * How a scenario's operators become clusters: operator groups are expanded (`count` copies named
 * `name#1..`), interleaved so every group is spread evenly over the list (item i of a group of c
 * sits at fractional position (i + ½)/c; stable sort), then cut into ⌊P/k⌋ disjoint clusters of
 * k = n − (1 if you run a share yourself) consecutive operators. Validators are spread as evenly as
 * possible over the clusters (at most one cluster per validator). Disjoint clusters make the exact
 * computation in ./evaluate.ts possible and are what reciprocal NO squads do in practice.
 */
import type { TrustScenario } from "./schema.js";

/** One expanded operator. */
export type PlacedOperator = { name: string; group: string; pFail: number; pMalicious: number };

/** One cluster of external operators (you are added on top when `includeSelf`). */
export type PlacedCluster = { operators: PlacedOperator[]; validators: number };

/**
 * Place a scenario's validators on disjoint clusters.
 *
 * @example
 * buildClusters(scenario).length; // 37 for 150 operators in clusters of 4
 */
export function buildClusters(s: TrustScenario): PlacedCluster[] {
  const keyed: Array<{ key: number; op: PlacedOperator }> = [];
  for (const o of s.operators) {
    for (let i = 0; i < o.count; i++) {
      keyed.push({
        key: (i + 0.5) / o.count,
        op: {
          name: o.count === 1 ? o.name : `${o.name}#${i + 1}`,
          group: o.name,
          pFail: o.pFail,
          pMalicious: o.pMalicious,
        },
      });
    }
  }
  keyed.sort((x, y) => x.key - y.key);
  const pool = keyed.map((k) => k.op);
  const k = s.clusterSize - (s.includeSelf ? 1 : 0);
  const available = k === 0 ? s.validators : Math.floor(pool.length / k);
  const used = Math.max(1, Math.min(available, s.validators));
  const clusters: PlacedCluster[] = [];
  for (let c = 0; c < used; c++) {
    clusters.push({
      operators: pool.slice(c * k, (c + 1) * k),
      validators: Math.floor(s.validators / used) + (c < s.validators % used ? 1 : 0),
    });
  }
  return clusters;
}
