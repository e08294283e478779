/**
 * Minimal line charts as standalone SVG (no browser, no dependencies): one or more panels side by
 * side, linear or log axes, solid/dashed series, a legend per panel. Points that are not finite
 * (or ≤ 0 on a log axis) break the line. Layout shared with ./barChart.ts in ./common.ts.
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

/** One line. */
export type LineSeries = {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean | undefined;
  color?: string | undefined;
};

/** One panel (plot area). */
export type LinePanel = {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  xLog?: boolean | undefined;
  yLog?: boolean | undefined;
  /** Fixed y range (default: from the data). */
  yRange?: [number, number] | undefined;
  /** Vertical marker lines, e.g. "your estimate". */
  markers?: Array<{ x: number; label: string }> | undefined;
};

const GEOMETRY: ChartGeometry = {
  panelW: 460,
  panelH: 340,
  margin: { left: 70, right: 16, top: 56, bottom: 50 },
};

/** Vertical grid lines with their labels at the x ticks. */
function xGrid(ticks: number[], sx: (v: number) => number, box: PanelBox): string[] {
  return ticks.flatMap((v) => {
    const x = sx(v);
    return [
      `<line x1="${px(x)}" y1="${px(box.y0)}" x2="${px(x)}" y2="${px(box.y1)}" stroke="#e5e5e5"/>`,
      `<text x="${px(x)}" y="${px(box.y1 + 16)}" text-anchor="middle">${formatTick(v)}</text>`,
    ];
  });
}

/** The dashed vertical marker lines with their labels. */
function markerLines(panel: LinePanel, sx: (v: number) => number, box: PanelBox): string[] {
  return (panel.markers ?? []).flatMap((mk) => {
    const x = sx(mk.x);
    return [
      `<line x1="${px(x)}" y1="${px(box.y0)}" x2="${px(x)}" y2="${px(box.y1)}" stroke="#777" stroke-dasharray="2,3"/>`,
      `<text x="${px(x + 3)}" y="${px(box.y0 + 12)}" fill="#555" font-size="10">${escapeXml(mk.label)}</text>`,
    ];
  });
}

/** Series `si` as polylines (broken where a point cannot be drawn) and its legend row. */
function seriesLines(
  panel: LinePanel,
  si: number,
  sx: (v: number) => number,
  sy: (v: number) => number,
  box: PanelBox,
): string[] {
  const s = panel.series[si] as LineSeries;
  const color = s.color ?? PALETTE[si % PALETTE.length];
  const dash = s.dashed ? ' stroke-dasharray="6,4"' : "";
  const segments: string[][] = [[]];
  for (const [x, y] of s.points) {
    if (ok(x, panel.xLog) && ok(y, panel.yLog)) {
      const yy = Math.min(Math.max(sy(y), box.y0), box.y1);
      segments[segments.length - 1]?.push(`${px(sx(x))},${px(yy)}`);
    } else if ((segments[segments.length - 1]?.length ?? 0) > 0) segments.push([]);
  }
  const { lx, ly } = box.legendAt(si);
  return [
    ...segments
      .filter((sg) => sg.length > 0)
      .map(
        (seg) =>
          `<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${seg.join(" ")}"/>`,
      ),
    `<line x1="${px(lx)}" y1="${px(ly)}" x2="${px(lx + 24)}" y2="${px(ly)}" stroke="${color}" stroke-width="2"${dash}/>`,
    `<text x="${px(lx + 30)}" y="${px(ly + 4)}">${escapeXml(s.name)}</text>`,
  ];
}

/** One panel: title, frame, grid, axis labels, markers, series with their legend. */
function linePanel(panel: LinePanel, box: PanelBox): string[] {
  const { x0, x1, y0, y1 } = box;
  const pts = panel.series
    .flatMap((s) => s.points)
    .filter(([x, y]) => ok(x, panel.xLog) && ok(y, panel.yLog));
  const xs = [...pts.map(([x]) => x), ...(panel.markers ?? []).map((mk) => mk.x)];
  const [xMin, xMax] = range(xs, panel.xLog);
  const [yMin, yMax] =
    panel.yRange ??
    range(
      pts.map(([, y]) => y),
      panel.yLog,
    );
  const sx = scale(xMin, xMax, x0, x1, panel.xLog);
  const sy = scale(yMin, yMax, y1, y0, panel.yLog);
  return [
    panelTitle(box, panel.title),
    `<rect x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" fill="none" stroke="#333"/>`,
    ...xGrid(panel.xLog ? logTicks(xMin, xMax) : niceTicks(xMin, xMax), sx, box),
    ...yGrid(panel.yLog ? logTicks(yMin, yMax) : niceTicks(yMin, yMax), sy, box),
    `<text x="${px((x0 + x1) / 2)}" y="${px(y1 + 36)}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`,
    yAxisLabel(box, GEOMETRY, panel.yLabel),
    ...markerLines(panel, sx, box),
    ...panel.series.flatMap((_, si) => seriesLines(panel, si, sx, sy, box)),
  ];
}

/**
 * Render panels of line charts as one SVG document.
 *
 * @example
 * lineChartSvg("P(loss)", [{ title: "Safety", xLabel: "p", yLabel: "P", series: [
 *   { name: "4 of 4", points: [[0.01, 1e-8], [0.1, 1e-4]] } ], xLog: true, yLog: true }]);
 */
export function lineChartSvg(title: string, panels: LinePanel[]): string {
  const legendRows = Math.max(0, ...panels.map((p) => p.series.length));
  return chartSvg(title, panels.length, GEOMETRY, legendRows, (box, pi) =>
    linePanel(panels[pi] as LinePanel, box),
  );
}

function ok(v: number, log: boolean | undefined): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

function range(vs: number[], log: boolean | undefined): [number, number] {
  if (vs.length === 0) return log ? [0.1, 1] : [0, 1];
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (log) {
    lo = 10 ** Math.floor(Math.log10(lo));
    hi = 10 ** Math.ceil(Math.log10(hi));
    if (lo === hi) hi = lo * 10;
  } else {
    if (lo > 0 && lo < hi * 0.5) lo = 0;
    if (lo === hi) hi = lo + 1;
  }
  return [lo, hi];
}

function scale(
  d0: number,
  d1: number,
  r0: number,
  r1: number,
  log: boolean | undefined,
): (v: number) => number {
  if (log) {
    const a = Math.log10(d0);
    const b = Math.log10(d1);
    return (v) => r0 + ((Math.log10(v) - a) / (b - a)) * (r1 - r0);
  }
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}
