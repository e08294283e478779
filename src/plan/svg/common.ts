/**
 * Shared SVG helpers for the planning charts: XML escaping, "nice" axis ticks (Heckbert, "Nice
 * numbers for graph labels", Graphics Gems, 1990), log-decade ticks, number labels and the
 * Okabe–Ito colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008).
 */

/** Okabe–Ito palette (black last). */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
] as const;

/**
 * Escape text for SVG/XML content and attributes.
 *
 * @example
 * escapeXml("a < b & c"); // "a &lt; b &amp; c"
 */
export function escapeXml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * About `count` round tick values covering [lo, hi] (linear axis).
 *
 * @example
 * niceTicks(0, 1); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceNumber((hi - lo) / count);
  const first = Math.ceil(lo / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function niceNumber(x: number): number {
  const e = 10 ** Math.floor(Math.log10(x));
  const f = x / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

/**
 * Powers of ten within [lo, hi] (log axis), thinned to at most ~8 labels.
 *
 * @example
 * logTicks(0.001, 1); // [0.001, 0.01, 0.1, 1]
 */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo) + 1e-9);
  const b = Math.ceil(Math.log10(hi) - 1e-9);
  const stride = Math.max(1, Math.ceil((b - a + 1) / 8));
  const ticks: number[] = [];
  for (let e = a; e <= b; e += stride) {
    const v = 10 ** e;
    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/**
 * Short axis label for a number (1e-4, 0.25, 1.5k, 2M).
 *
 * @example
 * formatTick(0.0001); // "1e-4"
 */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a < 1e-3) {
    const e = Math.floor(Math.log10(a));
    const m = v / 10 ** e;
    return `${Math.abs(m - 1) < 1e-9 ? "" : `${trim(m)}×`}1e${e}`;
  }
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** Wrap SVG body elements into a document with a white background. */
export function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** Round a coordinate for compact output. */
export function px(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/**
 * The size of a chart's panels (side by side) and the margins of each plot area.
 *
 * @example
 * const g: ChartGeometry = { panelW: 480, panelH: 360, margin: { left: 72, right: 16, top: 56, bottom: 70 } };
 */
export type ChartGeometry = {
  panelW: number;
  panelH: number;
  margin: { left: number; right: number; top: number; bottom: number };
};

/**
 * The plot area of panel `pi`: x0..x1 left to right, y0 (top) ..y1 (bottom), and where its
 * legend's rows start.
 *
 * @example
 * const { x0, x1, y0, y1 } = panelBox(0, geometry);
 */
export function panelBox(pi: number, g: ChartGeometry) {
  return {
    pi,
    x0: pi * g.panelW + g.margin.left,
    x1: (pi + 1) * g.panelW - g.margin.right,
    y0: g.margin.top,
    y1: g.panelH - g.margin.bottom,
    /** Legend row `row`'s x and baseline (below the plot areas). */
    legendAt: (row: number) => ({ lx: pi * g.panelW + g.margin.left, ly: g.panelH + 8 + row * 18 }),
  };
}

/**
 * A plot area (see {@link panelBox}).
 *
 * @example
 * const box: PanelBox = panelBox(1, geometry);
 */
export type PanelBox = ReturnType<typeof panelBox>;

/**
 * Lay out a chart of panels side by side with a legend of `legendRows` rows under them, wrap the
 * bodies of the panels into one document under the centred title.
 *
 * @example
 * chartSvg("Title", panels.length, geometry, 2, (box, i) => drawPanel(panels[i], box));
 */
export function chartSvg(
  title: string,
  panelCount: number,
  g: ChartGeometry,
  legendRows: number,
  drawPanel: (box: PanelBox, pi: number) => string[],
): string {
  const width = Math.max(panelCount * g.panelW, Math.ceil(title.length * 9 + 40));
  const height = g.panelH + 18 * legendRows + 10;
  const body: string[] = [
    `<text x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let pi = 0; pi < panelCount; pi++) body.push(...drawPanel(panelBox(pi, g), pi));
  return svgDocument(width, height, body);
}

/**
 * A panel's title, centred above its plot area.
 *
 * @example
 * body.push(panelTitle(box, panel.title));
 */
export function panelTitle(box: PanelBox, title: string): string {
  return `<text x="${px((box.x0 + box.x1) / 2)}" y="${px(box.y0 - 12)}" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`;
}

/**
 * A panel's y-axis label, rotated, left of its plot area.
 *
 * @example
 * body.push(yAxisLabel(box, geometry, panel.yLabel));
 */
export function yAxisLabel(box: PanelBox, g: ChartGeometry, label: string): string {
  return `<text transform="translate(${px(box.pi * g.panelW + 16)},${px((box.y0 + box.y1) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(label)}</text>`;
}

/**
 * Horizontal grid lines with their labels at the y ticks.
 *
 * @example
 * body.push(...yGrid(niceTicks(0, 10), sy, box));
 */
export function yGrid(ticks: number[], sy: (v: number) => number, box: PanelBox): string[] {
  return ticks.flatMap((v) => {
    const y = sy(v);
    return [
      `<line x1="${px(box.x0)}" y1="${px(y)}" x2="${px(box.x1)}" y2="${px(y)}" stroke="#e5e5e5"/>`,
      `<text x="${px(box.x0 - 6)}" y="${px(y + 4)}" text-anchor="end">${formatTick(v)}</text>`,
    ];
  });
}
