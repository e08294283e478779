/**
 * Minimal grouped bar charts as standalone SVG: one or more panels, categories on the x axis, one
 * bar per group (series) in each category, optional error bars (e.g. Monte Carlo 95% intervals),
 * linear or log y axis, value labels above bars. Layout shared with ./lineChart.ts in ./common.ts.
 */
import {
  type ChartGeometry,
  chartSvg,
  escapeXml,
  formatTick,
  logTicks,
  niceTicks,
  PALETTE,
  type PanelBox,
  panelTitle,
  px,
  yAxisLabel,
  yGrid,
} from "./common.js";

/** One bar series across the categories. */
export type BarGroup = {
  name: string;
  values: number[];
  /** Optional [lo, hi] interval per value. */
  errors?: Array<[number, number] | null> | undefined;
};

/** One bar panel. */
export type BarPanel = {
  title: string;
  yLabel: string;
  categories: string[];
  groups: BarGroup[];
  yLog?: boolean | undefined;
};

const GEOMETRY: ChartGeometry = {
  panelW: 480,
  panelH: 360,
  margin: { left: 72, right: 16, top: 56, bottom: 70 },
};

/** The y range of a panel: from 0 (linear, rounded up to a tick) or whole decades (log). */
function yRange(panel: BarPanel): [number, number] {
  const vals = panel.groups.flatMap((g) => [
    ...g.values,
    ...(g.errors ?? []).flatMap((e) => (e ? [e[1]] : [])),
  ]);
  const finite = vals.filter((v) => Number.isFinite(v) && (!panel.yLog || v > 0));
  let yMin = 0;
  let yMax = Math.max(1e-12, ...finite);
  if (panel.yLog) {
    yMin = 10 ** Math.floor(Math.log10(Math.min(...finite, yMax)));
    yMax = 10 ** Math.ceil(Math.log10(yMax));
    if (yMin === yMax) yMax = yMin * 10;
  } else {
    const t = niceTicks(0, yMax);
    yMax = Math.max(yMax, t[t.length - 1] ?? yMax);
  }
  return [yMin, yMax];
}

/** Value → y coordinate in the plot area. */
function yScale(log: boolean | undefined, [yMin, yMax]: [number, number], box: PanelBox) {
  const { y0, y1 } = box;
  return log
    ? (v: number) =>
        y1 -
        ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) /
          (Math.log10(yMax) - Math.log10(yMin))) *
          (y1 - y0)
    : (v: number) => y1 - ((v - yMin) / (yMax - yMin)) * (y1 - y0);
}

/** The bars (with value labels and error bars) of category `ci`, whose slot starts at `cx`. */
function categoryBars(
  panel: BarPanel,
  ci: number,
  cx: number,
  cw: number,
  sy: (v: number) => number,
  y1: number,
): string[] {
  const bw = (cw * 0.75) / Math.max(1, panel.groups.length);
  return panel.groups.flatMap((g, gi) => {
    const v = g.values[ci];
    if (v === undefined || !Number.isFinite(v)) return [];
    const bx = cx + cw * 0.125 + gi * bw;
    const top = sy(v);
    const color = PALETTE[gi % PALETTE.length];
    const e = g.errors?.[ci];
    const ex = bx + bw * 0.45;
    return [
      `<rect x="${px(bx)}" y="${px(Math.min(top, y1))}" width="${px(bw * 0.9)}" height="${px(Math.abs(y1 - top))}" fill="${color}"/>`,
      `<text x="${px(bx + bw * 0.45)}" y="${px(Math.min(top, y1) - 4)}" text-anchor="middle" font-size="9">${formatTick(v)}</text>`,
      ...(e
        ? [
            `<line x1="${px(ex)}" y1="${px(sy(e[0]))}" x2="${px(ex)}" y2="${px(sy(e[1]))}" stroke="#000"/>`,
          ]
        : []),
    ];
  });
}

/** One panel: title, grid, axes, categories with their bars, legend. */
function barPanel(panel: BarPanel, box: PanelBox): string[] {
  const { x0, x1, y0, y1 } = box;
  const [yMin, yMax] = yRange(panel);
  const sy = yScale(panel.yLog, [yMin, yMax], box);
  const body = [
    panelTitle(box, panel.title),
    ...yGrid(panel.yLog ? logTicks(yMin, yMax) : niceTicks(yMin, yMax), sy, box),
    `<line x1="${px(x0)}" y1="${px(y1)}" x2="${px(x1)}" y2="${px(y1)}" stroke="#333"/>`,
    `<line x1="${px(x0)}" y1="${px(y0)}" x2="${px(x0)}" y2="${px(y1)}" stroke="#333"/>`,
    yAxisLabel(box, GEOMETRY, panel.yLabel),
  ];
  const cw = (x1 - x0) / Math.max(1, panel.categories.length);
  panel.categories.forEach((cat, ci) => {
    const cx = x0 + ci * cw;
    body.push(
      `<text x="${px(cx + cw / 2)}" y="${px(y1 + 16)}" text-anchor="middle" font-size="11">${escapeXml(cat)}</text>`,
      ...categoryBars(panel, ci, cx, cw, sy, y1),
    );
  });
  panel.groups.forEach((g, gi) => {
    const { lx, ly } = box.legendAt(gi);
    body.push(
      `<rect x="${px(lx)}" y="${px(ly - 6)}" width="14" height="12" fill="${PALETTE[gi % PALETTE.length]}"/>`,
      `<text x="${px(lx + 20)}" y="${px(ly + 4)}">${escapeXml(g.name)}</text>`,
    );
  });
  return body;
}

/**
 * Render panels of grouped bar charts as one SVG document.
 *
 * @example
 * barChartSvg("Missed attestations / year", [{ title: "", yLabel: "epochs",
 *   categories: ["solo", "DVT 3/4"], groups: [{ name: "exact", values: [340, 2] }] }]);
 */
export function barChartSvg(title: string, panels: BarPanel[]): string {
  const legendRows = Math.max(0, ...panels.map((p) => p.groups.length));
  return chartSvg(title, panels.length, GEOMETRY, legendRows, (box, pi) =>
    barPanel(panels[pi] as BarPanel, box),
  );
}
