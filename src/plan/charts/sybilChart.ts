/**
 * Sybil chart: P(attacker controls a group) and P(attacker can block a group) as the attacker's
 * share of a fixed-size pool grows from 0 to 100%, with the analysed case marked (exact
 * hypergeometric values, ../sybil/exact.ts).
 */
import { hypergeometricTail } from "../math/hypergeometric.js";
import { lineChartSvg } from "../svg/lineChart.js";
import type { ResolvedSybilParams } from "../sybil/params.js";

/**
 * SVG chart for a Sybil analysis.
 *
 * @example
 * sybilChartSvg({ attackerShares: 100, honestShares: 30, groupSize: 8, threshold: 6 });
 */
export function sybilChartSvg(p: ResolvedSybilParams): string {
  const N = p.attackerShares + p.honestShares;
  const g = p.groupSize;
  const t = p.threshold;
  const steps = Math.min(N, 100);
  const xs = Array.from({ length: steps + 1 }, (_, i) => Math.round((i * N) / steps));
  const ctl = xs.map((a) => [(100 * a) / N, hypergeometricTail(N, a, g, t)] as const);
  const blk = xs.map((a) => [(100 * a) / N, hypergeometricTail(N, a, g, g - t + 1)] as const);
  return lineChartSvg("Sybil risk of random grouping", [
    {
      title: `Groups of ${g} from ${N} shares, threshold ${t} (exact)`,
      xLabel: "attacker's share of the pool (%)",
      yLabel: "probability",
      yRange: [0, 1],
      series: [
        { name: `control: attacker holds ≥ ${t} of ${g}`, points: ctl },
        { name: `block: attacker holds ≥ ${g - t + 1} of ${g}`, points: blk, dashed: true },
      ],
      markers: [{ x: (100 * p.attackerShares) / N, label: `a = ${p.attackerShares}` }],
    },
  ]);
}
