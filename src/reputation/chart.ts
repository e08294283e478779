/**
 * SVG chart of a reputation score: per-interval Rocket Pool attestation participation and its
 * Wilson 95% lower bound (the number the score uses), with the overall score in the title. Drawn
 * with the planning charts' line renderer (src/plan/svg/lineChart.ts).
 */
import { lineChartSvg } from "../plan/svg/lineChart.js";
import type { ReputationScore } from "./score.js";

/**
 * The chart as a standalone SVG document.
 *
 * @example
 * await writeFileAtomic("rep.svg", reputationChartSvg(score), { mode: 0o644 });
 */
export function reputationChartSvg(score: ReputationScore, label = "node"): string {
  const pts = score.intervals.filter((i) => i.rate !== null);
  return lineChartSvg(
    `Reputation of ${label}: ${score.score}/100 (confidence ${score.confidence})`,
    [
      {
        title: `Attestation participation per rewards interval (${score.tenureIntervals} with duties)`,
        xLabel: "rewards interval",
        yLabel: "successful / duties",
        series: [
          {
            name: "participation",
            points: pts.map((i) => [i.interval, i.rate as number] as const),
          },
          {
            name: "Wilson 95% lower bound",
            points: pts.map((i) => [i.interval, i.wilsonLower] as const),
            dashed: true,
          },
        ],
      },
    ],
  );
}
