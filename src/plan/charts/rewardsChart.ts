/**
 * Rewards chart: yearly ETH of your fleet — Rocket Pool income, DVT fees, operator income for
 * hosting others and the net result with DVT.
 */
import type { RewardsResult } from "../rewards/evaluate.js";
import { barChartSvg } from "../svg/barChart.js";

/**
 * SVG chart of a rewards evaluation.
 *
 * @example
 * rewardsChartSvg(evaluateRewards(parseRewardsConfig({})));
 */
export function rewardsChartSvg(r: RewardsResult): string {
  const f = r.fleet;
  return barChartSvg(
    `Yearly ETH for ${r.config.validators} validators (${r.config.protocol}, illustrative rates)`,
    [
      {
        title: "Income and costs",
        yLabel: "ETH / year",
        categories: ["RP income", "DVT fees", "operator income", "operator cost", "net with DVT"],
        groups: [
          {
            name: "ETH per year",
            values: [
              f.noIncomeEth,
              f.dvtCostEth,
              f.operatorIncomeEth,
              f.operatorCostEth,
              f.netWithDvtEth,
            ],
          },
        ],
      },
    ],
  );
}
