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
