/**
 * Progress for long operations: a bar on a TTY (cli-progress), plain "label: i/n" lines otherwise
 * (at most ~10 lines per run, so logs stay readable). Always on stderr so `--json` stdout stays clean.
 */
import cliProgress from "cli-progress";

export type Progress = { tick(n?: number): void; stop(): void };

/**
 * Start a progress indicator for `total` steps; `quiet` disables it.
 *
 * @example
 * const p = startProgress("Splitting", keys.length);
 * for (const k of keys) { work(k); p.tick(); }
 * p.stop();
 */
export function startProgress(
  label: string,
  total: number,
  opts: { quiet?: boolean } = {},
): Progress {
  if (opts.quiet || total <= 0) return { tick() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { tick: (n = 1) => bar.increment(n), stop: () => bar.stop() };
  }
  let done = 0;
  let nextReport = 0;
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    tick(n = 1) {
      done += n;
      if (done >= nextReport || done === total) {
        process.stderr.write(`${label}: ${done}/${total}\n`);
        nextReport = done + step;
      }
    },
    stop() {},
  };
}
