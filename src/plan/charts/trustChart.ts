/**
 * Trust chart: for each scenario, P(any validator lost) against a multiplier on every other
 * operator's probabilities (1 = your estimate), next to your solo probability (dashed): where a
 * scenario's line is under the dashed line, DVT wins; where it crosses, the decision flips.
 */

import { PALETTE } from "../svg/common.js";
import { type LineSeries, lineChartSvg } from "../svg/lineChart.js";
import type { TrustConfig } from "../trust/schema.js";
import { trustSweep } from "../trust/sweep.js";

/**
 * SVG chart of a trust configuration.
 *
 * @example
 * trustChartSvg(parseTrustConfig(EXAMPLE_TRUST_CONFIG));
 */
export function trustChartSvg(config: TrustConfig): string {
  const sweep = trustSweep(config);
  const first = sweep[0]?.result;
  const panel = (kind: "liveness" | "safety") => {
    const series: LineSeries[] = config.scenarios.map((s, i) => ({
      name: s.name,
      color: PALETTE[i % PALETTE.length],
      points: sweep.map(
        (pt) => [pt.multiplier, pt.result.scenarios[i]?.[kind].pAny ?? Number.NaN] as const,
      ),
    }));
    const solo = first?.solo[kind] ?? Number.NaN;
    series.push({
      name: `solo (you): ${solo.toPrecision(2)}`,
      color: "#000000",
      points: sweep.map((pt) => [pt.multiplier, solo] as const),
      dashed: true,
    });
    return {
      title:
        kind === "liveness" ? "Liveness loss (can't attest)" : "Safety loss (slashable / stolen)",
      xLabel: "other operators' risk × (1 = your estimate)",
      yLabel: `P(any validator lost) over ${config.horizonYears} y`,
      xLog: true,
      yLog: true,
      series,
      markers: [{ x: 1, label: "your estimate" }],
    };
  };
  return lineChartSvg("Where DVT wins or loses against running alone", [
    panel("liveness"),
    panel("safety"),
  ]);
}
