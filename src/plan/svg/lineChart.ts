/**
 * Minimal line charts as standalone SVG (no browser, no dependencies): one or more panels side by
 * side, linear or log axes, solid/dashed series, a legend per panel. Points that are not finite
 * (or ≤ 0 on a log axis) break the line.
 */
import { escapeXml, formatTick, logTicks, niceTicks, PALETTE, px, svgDocument } from "./common.js";

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

/**
 * Render panels of line charts as one SVG document.
 *
 * @example
 * lineChartSvg("P(loss)", [{ title: "Safety", xLabel: "p", yLabel: "P", series: [
 *   { name: "4 of 4", points: [[0.01, 1e-8], [0.1, 1e-4]] } ], xLog: true, yLog: true }]);
 */
export function lineChartSvg(title: string, panels: LinePanel[]): string {
  const panelW = 460;
  const panelH = 340;
  const m = { left: 70, right: 16, top: 56, bottom: 50 };
  const legendRows = Math.max(0, ...panels.map((p) => p.series.length));
  const legendH = 18 * legendRows + 10;
  const width = Math.max(panels.length * panelW, Math.ceil(title.length * 9 + 40));
  const height = panelH + legendH;
  const body: string[] = [
    `<text x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, pi) => {
    const x0 = pi * panelW + m.left;
    const x1 = (pi + 1) * panelW - m.right;
    const y0 = m.top;
    const y1 = panelH - m.bottom;
    const pts = panel.series
      .flatMap((s) => s.points)
      .filter(([x, y]) => ok(x, panel.xLog) && ok(y, panel.yLog));
    const xs = [...pts.map(([x]) => x), ...(panel.markers ?? []).map((mk) => mk.x)];
    const ys = pts.map(([, y]) => y);
    const [xMin, xMax] = range(xs, panel.xLog);
    const [yMin, yMax] = panel.yRange ?? range(ys, panel.yLog);
    const sx = scale(xMin, xMax, x0, x1, panel.xLog);
    const sy = scale(yMin, yMax, y1, y0, panel.yLog);
    body.push(
      `<text x="${px((x0 + x1) / 2)}" y="${px(y0 - 12)}" text-anchor="middle" font-size="13">${escapeXml(panel.title)}</text>`,
      `<rect x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" fill="none" stroke="#333"/>`,
    );
    const xt = panel.xLog ? logTicks(xMin, xMax) : niceTicks(xMin, xMax);
    const yt = panel.yLog ? logTicks(yMin, yMax) : niceTicks(yMin, yMax);
    for (const v of xt) {
      const x = sx(v);
      body.push(
        `<line x1="${px(x)}" y1="${px(y0)}" x2="${px(x)}" y2="${px(y1)}" stroke="#e5e5e5"/>`,
        `<text x="${px(x)}" y="${px(y1 + 16)}" text-anchor="middle">${formatTick(v)}</text>`,
      );
    }
    for (const v of yt) {
      const y = sy(v);
      body.push(
        `<line x1="${px(x0)}" y1="${px(y)}" x2="${px(x1)}" y2="${px(y)}" stroke="#e5e5e5"/>`,
        `<text x="${px(x0 - 6)}" y="${px(y + 4)}" text-anchor="end">${formatTick(v)}</text>`,
      );
    }
    body.push(
      `<text x="${px((x0 + x1) / 2)}" y="${px(y1 + 36)}" text-anchor="middle">${escapeXml(panel.xLabel)}</text>`,
      `<text transform="translate(${px(pi * panelW + 16)},${px((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
    );
    for (const mk of panel.markers ?? []) {
      const x = sx(mk.x);
      body.push(
        `<line x1="${px(x)}" y1="${px(y0)}" x2="${px(x)}" y2="${px(y1)}" stroke="#777" stroke-dasharray="2,3"/>`,
        `<text x="${px(x + 3)}" y="${px(y0 + 12)}" fill="#555" font-size="10">${escapeXml(mk.label)}</text>`,
      );
    }
    panel.series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      const segments: string[][] = [[]];
      for (const [x, y] of s.points) {
        if (ok(x, panel.xLog) && ok(y, panel.yLog)) {
          const yy = Math.min(Math.max(sy(y), y0), y1);
          segments[segments.length - 1]?.push(`${px(sx(x))},${px(yy)}`);
        } else if ((segments[segments.length - 1]?.length ?? 0) > 0) segments.push([]);
      }
      for (const seg of segments.filter((sg) => sg.length > 0)) {
        body.push(
          `<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ""} points="${seg.join(" ")}"/>`,
        );
      }
      const ly = panelH + 8 + si * 18;
      const lx = pi * panelW + m.left;
      body.push(
        `<line x1="${px(lx)}" y1="${px(ly)}" x2="${px(lx + 24)}" y2="${px(ly)}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ""}/>`,
        `<text x="${px(lx + 30)}" y="${px(ly + 4)}">${escapeXml(s.name)}</text>`,
      );
    });
  });
  return svgDocument(width, height, body);
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
