/**
 * Plain-text tables and number formatting for the planning commands' human-readable output.
 */

/**
 * Render rows as an aligned text table (first column left-aligned, others right-aligned unless
 * `leftAlign` is set).
 *
 * @example
 * formatTable(["setup", "missed/y"], [["solo", "341"]]);
 */
export function formatTable(headers: string[], rows: string[][], leftAlign = false): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 || leftAlign ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * Format a probability: fixed for ordinary values, scientific for tiny ones.
 *
 * @example
 * formatProbability(0.00001234); // "1.23e-5"
 */
export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return String(p);
  if (p === 0 || p === 1) return String(p);
  if (p < 1e-3) return p.toExponential(2).replace("e-", "e-");
  return p.toFixed(4);
}

/**
 * Format a number with `digits` significant digits.
 *
 * @example
 * formatNumber(341.3245); // "341.3"
 */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(digits)));
}
