/**
 * Time as rpdvt's components see it: an injectable clock (the system clock in production, a
 * simulated one in tests), so timers and timeouts are testable without waiting.
 */

/**
 * Time source and one-shot timers, in milliseconds. Injected so that consensus can run on a
 * simulated clock (test/simnet) as well as on wall-clock time.
 *
 * @example
 * const cancel = clock.setTimeout(() => console.log("round expired at", clock.now()), 750);
 * cancel(); // no-op if it already fired
 */
export interface Clock {
  /** Current time in ms (any fixed origin). */
  now(): number;
  /** Run `cb` once after `ms` milliseconds; returns a cancel function. */
  setTimeout(cb: () => void, ms: number): () => void;
}

/**
 * The real clock: `performance.now()` and Node timers.
 *
 * @example
 * const node = createQbftNode({ ...config, clock: systemClock });
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(cb, ms) {
    const t = setTimeout(cb, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};
