/**
 * Minimal grouped bar charts as standalone SVG: one or more panels, categories on the x axis, one
 * bar per group (series) in each category, optional error bars (e.g. Monte Carlo 95% intervals),
 * linear or log y axis, value labels above bars.
 */
import { escapeXml, formatTick, logTicks, niceTicks, PALETTE, px, svgDocument } from "./common.js";

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

/**
 * Render panels of grouped bar charts as one SVG document.
 *
 * @example
 * barChartSvg("Missed attestations / year", [{ title: "", yLabel: "epochs",
 *   categories: ["solo", "DVT 3/4"], groups: [{ name: "exact", values: [340, 2] }] }]);
 */
export function barChartSvg(title: string, panels: BarPanel[]): string {
  const panelW = 480;
  const panelH = 360;
  const m = { left: 72, right: 16, top: 56, bottom: 70 };
  const legendRows = Math.max(0, ...panels.map((p) => p.groups.length));
  const width = Math.max(panels.length * panelW, Math.ceil(title.length * 9 + 40));
  const height = panelH + 18 * legendRows + 10;
  const body: string[] = [
    `<text x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, pi) => {
    const x0 = pi * panelW + m.left;
    const x1 = (pi + 1) * panelW - m.right;
    const y0 = m.top;
    const y1 = panelH - m.bottom;
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
    const sy = panel.yLog
      ? (v: number) =>
          y1 -
          ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) /
            (Math.log10(yMax) - Math.log10(yMin))) *
            (y1 - y0)
      : (v: number) => y1 - ((v - yMin) / (yMax - yMin)) * (y1 - y0);
    body.push(
      `<text x="${px((x0 + x1) / 2)}" y="${px(y0 - 12)}" text-anchor="middle" font-size="13">${escapeXml(panel.title)}</text>`,
    );
    for (const v of panel.yLog ? logTicks(yMin, yMax) : niceTicks(yMin, yMax)) {
      const y = sy(v);
      body.push(
        `<line x1="${px(x0)}" y1="${px(y)}" x2="${px(x1)}" y2="${px(y)}" stroke="#e5e5e5"/>`,
        `<text x="${px(x0 - 6)}" y="${px(y + 4)}" text-anchor="end">${formatTick(v)}</text>`,
      );
    }
    body.push(
      `<line x1="${px(x0)}" y1="${px(y1)}" x2="${px(x1)}" y2="${px(y1)}" stroke="#333"/>`,
      `<line x1="${px(x0)}" y1="${px(y0)}" x2="${px(x0)}" y2="${px(y1)}" stroke="#333"/>`,
      `<text transform="translate(${px(pi * panelW + 16)},${px((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(panel.yLabel)}</text>`,
    );
    const nc = Math.max(1, panel.categories.length);
    const cw = (x1 - x0) / nc;
    const ng = Math.max(1, panel.groups.length);
    const bw = (cw * 0.75) / ng;
    panel.categories.forEach((cat, ci) => {
      const cx = x0 + ci * cw;
      body.push(
        `<text x="${px(cx + cw / 2)}" y="${px(y1 + 16)}" text-anchor="middle" font-size="11">${escapeXml(cat)}</text>`,
      );
      panel.groups.forEach((g, gi) => {
        const v = g.values[ci];
        if (v === undefined || !Number.isFinite(v)) return;
        const bx = cx + cw * 0.125 + gi * bw;
        const top = sy(v);
        const color = PALETTE[gi % PALETTE.length];
        body.push(
          `<rect x="${px(bx)}" y="${px(Math.min(top, y1))}" width="${px(bw * 0.9)}" height="${px(Math.abs(y1 - top))}" fill="${color}"/>`,
          `<text x="${px(bx + bw * 0.45)}" y="${px(Math.min(top, y1) - 4)}" text-anchor="middle" font-size="9">${formatTick(v)}</text>`,
        );
        const e = g.errors?.[ci];
        if (e) {
          const ex = bx + bw * 0.45;
          body.push(
            `<line x1="${px(ex)}" y1="${px(sy(e[0]))}" x2="${px(ex)}" y2="${px(sy(e[1]))}" stroke="#000"/>`,
          );
        }
      });
    });
    panel.groups.forEach((g, gi) => {
      const ly = panelH + 8 + gi * 18;
      const lx = pi * panelW + m.left;
      body.push(
        `<rect x="${px(lx)}" y="${px(ly - 6)}" width="14" height="12" fill="${PALETTE[gi % PALETTE.length]}"/>`,
        `<text x="${px(lx + 20)}" y="${px(ly + 4)}">${escapeXml(g.name)}</text>`,
      );
    });
  });
  return svgDocument(width, height, body);
}
