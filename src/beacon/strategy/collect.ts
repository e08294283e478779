/**
 * Ask several beacon nodes the same question at once and collect their answers within a budget
 * (Vouch's strategies: a soft timeout, after which what has arrived is used, and a hard one,
 * after which nobody is waited for; here the soft wait starts at the first answer, so a lagging
 * node delays the duty by at most `softMs` once another node answered, and never past the hard
 * deadline counted from the start, whatever `enough` says). With no
 * answer at the hard deadline the first answer is still taken (each request is bounded by its
 * own client's timeout), so a slow-but-only node does not fail the duty. The I/O half of the
 * strategies; the choices are pure functions beside this file.
 */
import { type Clock, systemClock } from "../../util/clock.js";

/**
 * One node's answer and how long it took (ms).
 *
 * @example
 * const a: NodeAnswer<number> = { node: "127.0.0.1:5052", value: 1, ms: 12 };
 */
export type NodeAnswer<T> = { node: string; value: T; ms: number };

/**
 * What was collected: answers in arrival order, failures, and the nodes not waited for.
 *
 * @example
 * const { answers, failures, late } = await collect(names, ask, { softMs: 1000, hardMs: 2000 });
 */
export type Collected<T> = {
  answers: NodeAnswer<T>[];
  failures: { node: string; message: string; ms: number }[];
  late: string[];
};

/**
 * How one request ended: answered in time, failed, or answered/failed after collection ended.
 *
 * @example
 * const o: RequestOutcome = { node: "a", outcome: "answer", ms: 20 };
 */
export type RequestOutcome = { node: string; outcome: "answer" | "error" | "late"; ms: number };

/**
 * Options of {@link collect}.
 *
 * @example
 * const o: CollectOptions<number> = { softMs: 1000, hardMs: 2000, enough: (a) => a.length >= 2 };
 */
export type CollectOptions<T> = {
  softMs: number;
  hardMs: number;
  /**
   * Stop as soon as this holds (default: every node settled); `pending` is how many nodes have
   * neither answered nor failed yet.
   */
  enough?: ((answers: readonly NodeAnswer<T>[], pending: number) => boolean) | undefined;
  /** An answer that is not one (wrong slot, …): the reason, counted as a failure. */
  check?: ((value: T) => string | undefined) | undefined;
  clock?: Clock | undefined;
  onOutcome?: ((o: RequestOutcome) => void) | undefined;
};

/**
 * Ask `nodes[i]` with `ask(i)` in parallel; resolve per {@link CollectOptions}.
 *
 * @example
 * const c = await collect(["a", "b"], (i) => beacons[i].attestationData(slot, 0), { softMs: 1000, hardMs: 2000 });
 */
export function collect<T>(
  nodes: readonly string[],
  ask: (i: number) => Promise<T>,
  opts: CollectOptions<T>,
): Promise<Collected<T>> {
  const clock = opts.clock ?? systemClock;
  const t0 = clock.now();
  const out: Collected<T> = { answers: [], failures: [], late: [] };
  const settled = new Set<number>();
  let done = false;
  let hardPassed = false;
  return new Promise((resolve) => {
    const cancels: (() => void)[] = [];
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const c of cancels) c();
      out.late = nodes.filter((_, i) => !settled.has(i));
      resolve(out);
    };
    const review = (): void => {
      if (settled.size === nodes.length) finish();
      else if (
        out.answers.length &&
        (hardPassed || opts.enough?.(out.answers, nodes.length - settled.size))
      )
        finish();
    };
    // The soft wait starts at the first answer (a laggard costs at most softMs after it), and
    // never runs past the hard deadline counted from the start.
    let softArmed = false;
    const armSoft = (): void => {
      if (softArmed) return;
      softArmed = true;
      const left = Math.min(opts.softMs, opts.hardMs - (clock.now() - t0));
      cancels.push(clock.setTimeout(finish, Math.max(0, left)));
    };
    cancels.push(
      clock.setTimeout(() => {
        hardPassed = true;
        review();
      }, opts.hardMs),
    );
    nodes.forEach((node, i) => {
      const settle = (answer: T | undefined, error: string | undefined): void => {
        const ms = clock.now() - t0;
        if (done) {
          opts.onOutcome?.({ node, outcome: "late", ms });
          return;
        }
        settled.add(i);
        if (error === undefined) {
          out.answers.push({ node, value: answer as T, ms });
          armSoft();
        } else out.failures.push({ node, message: error, ms });
        opts.onOutcome?.({ node, outcome: error === undefined ? "answer" : "error", ms });
        review();
      };
      let p: Promise<T>;
      try {
        p = ask(i);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (v) => settle(v, opts.check?.(v)),
        (err: unknown) => settle(undefined, err instanceof Error ? err.message : String(err)),
      );
    });
    if (nodes.length === 0) finish();
  });
}
