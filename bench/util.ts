/**
 * Tiny benchmark helpers: run a function repeatedly, report median/p99 in ms. Benchmarks print
 * ratios against a baseline measured in the same run, so numbers are comparable across machines.
 */

export type Stats = { median: number; p99: number; mean: number; runs: number };

/**
 * Time `fn` over `runs` iterations (after `warmup`), in milliseconds per call.
 *
 * @example
 * const s = await measure(() => sign(msg), { runs: 200 });
 */
export async function measure(
  fn: () => unknown,
  opts: { runs?: number; warmup?: number } = {},
): Promise<Stats> {
  const runs = opts.runs ?? 100;
  for (let i = 0; i < (opts.warmup ?? Math.min(10, runs)); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return summarize(times);
}

/** Median / p99 / mean of a list of millisecond samples. */
export function summarize(times: number[]): Stats {
  const s = [...times].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return {
    median: at(0.5),
    p99: at(0.99),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    runs: s.length,
  };
}

/** Format a number of milliseconds. */
export function ms(x: number): string {
  return x >= 100
    ? `${x.toFixed(0)} ms`
    : x >= 1
      ? `${x.toFixed(2)} ms`
      : `${(x * 1000).toFixed(0)} µs`;
}

/** Print a table row-aligned. */
export function table(rows: (string | number)[][]): void {
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i] ?? 0)).join("  "));
}
