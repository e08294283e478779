/**
 * Availability chart: expected missed attestations per year per setup (exact, with the Monte Carlo
 * estimate and its 95% interval when simulated) and the annual slashing probability.
 */
import type { AvailabilityResult } from "../availability/evaluate.js";
import { type BarGroup, barChartSvg } from "../svg/barChart.js";

/**
 * SVG chart of an availability evaluation.
 *
 * @example
 * availabilityChartSvg(evaluateAvailability(parseAvailabilityConfig({})));
 */
export function availabilityChartSvg(r: AvailabilityResult): string {
  const names = r.setups.map((s) => s.name);
  const groups: BarGroup[] = [{ name: "exact", values: r.setups.map((s) => s.missedPerYear) }];
  if (r.setups.every((s) => s.monteCarlo)) {
    groups.push({
      name: "Monte Carlo (95% CI)",
      values: r.setups.map((s) => s.monteCarlo?.missedPerYear ?? Number.NaN),
      errors: r.setups.map((s) => s.monteCarlo?.missedPerYearCi95 ?? null),
    });
  }
  return barChartSvg("Availability and slashing exposure per validator", [
    { title: "Missed attestations per year", yLabel: "epochs / year", categories: names, groups },
    {
      title: "Slashing probability per year",
      yLabel: "probability",
      yLog: true,
      categories: names,
      groups: [{ name: "P(slashed in a year)", values: r.setups.map((s) => s.pSlashingPerYear) }],
    },
  ]);
}
