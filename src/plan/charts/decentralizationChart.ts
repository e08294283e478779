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
  return barChartSvg(
    `Entities to compromise (${r.validators} validators, ${r.entities} entities)`,
    [panel(r, "halt", categories), panel(r, "control", categories)],
  );
}

/** The panel of one attack goal: entities needed per target, before and after DVT. */
function panel(r: DecentralizationReport, goal: "halt" | "control", categories: string[]) {
  const v = (x: number | null) => x ?? Number.NaN;
  return {
    title: `To ${goal} X% of validators`,
    yLabel: "entities",
    categories,
    groups: [
      { name: "before DVT", values: r.targets.map((t) => v(t[goal].before.entities)) },
      { name: "after DVT", values: r.targets.map((t) => v(t[goal].after.entities)) },
    ],
  };
}
