/**
 * Decentralization chart: entities that must be compromised to halt / control each target
 * fraction of validators, before and after DVT.
 */
import type { DecentralizationReport } from "../decentralization/report.js";
import { barChartSvg } from "../svg/barChart.js";

/**
 * SVG chart of a decentralization report.
 *
 * @example
 * decentralizationChartSvg(decentralizationReport(parseDecentralizationConfig(json)));
 */
export function decentralizationChartSvg(r: DecentralizationReport): string {
  const categories = r.targets.map((t) => `${Math.round(t.target * 100)}%`);
  const v = (x: number | null) => x ?? Number.NaN;
  return barChartSvg(
    `Entities to compromise (${r.validators} validators, ${r.entities} entities)`,
    [
      {
        title: "To halt X% of validators",
        yLabel: "entities",
        categories,
        groups: [
          { name: "before DVT", values: r.targets.map((t) => v(t.halt.before.entities)) },
          { name: "after DVT", values: r.targets.map((t) => v(t.halt.after.entities)) },
        ],
      },
      {
        title: "To control X% of validators",
        yLabel: "entities",
        categories,
        groups: [
          { name: "before DVT", values: r.targets.map((t) => v(t.control.before.entities)) },
          { name: "after DVT", values: r.targets.map((t) => v(t.control.after.entities)) },
        ],
      },
    ],
  );
}
