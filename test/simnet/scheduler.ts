/**
 * Discrete-event scheduler with simulated time: a binary min-heap of events ordered by
 * (time, insertion sequence), so events at equal times run in the order they were scheduled and a
 * run is a pure function of the seed and the inputs. Time only moves when `run` pops an event.
 */

type Event = { at: number; seq: number; fn: () => void; cancelled: boolean };

/**
 * Handle of a scheduled event.
 *
 * @example
 * const ev = scheduler.at(100, () => {});
 * scheduler.cancel(ev);
 */
export type EventHandle = { readonly at: number };

/**
 * Simulated time and the event queue.
 *
 * @example
 * const s = new Scheduler();
 * s.after(5, () => console.log(s.now)); // 5
 * await s.run(10);
 */
export class Scheduler {
  /** Current simulated time (ms). */
  now = 0;
  /** Events executed so far. */
  executed = 0;
  /** Errors thrown by event callbacks (a run never aborts on them). */
  readonly errors: unknown[] = [];
  private heap: Event[] = [];
  private seq = 0;
  /** Drain pending promise continuations whenever simulated time is about to advance. */
  flushAsync = true;

  /** Schedule `fn` at absolute time `at` (clamped to now). */
  at(at: number, fn: () => void): EventHandle {
    const ev: Event = { at: Math.max(at, this.now), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  /** Schedule `fn` after `ms`. */
  after(ms: number, fn: () => void): EventHandle {
    return this.at(this.now + Math.max(0, ms), fn);
  }

  /** Cancel a scheduled event (no-op if it already ran). */
  cancel(h: EventHandle): void {
    (h as Event).cancelled = true;
  }

  /** Number of queued (possibly cancelled) events. */
  get pending(): number {
    return this.heap.length;
  }

  /**
   * Run events with time ≤ `until`, then set now = until. With `stop`, return early (true) as
   * soon as it holds after an event. Between distinct timestamps (and before giving up) pending
   * promise continuations are drained with a macrotask turn, so async callbacks (e.g. an async
   * validity predicate) complete at the simulated instant they were started.
   */
  async run(until: number, stop?: () => boolean): Promise<boolean> {
    if (stop?.()) return true;
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > until || (this.flushAsync && top.at > this.now)) {
        if (this.flushAsync) {
          const before = this.seq;
          await new Promise<void>((r) => setImmediate(r));
          if (stop?.()) return true;
          if (this.seq !== before) continue; // continuations scheduled more events
        }
        const t = this.heap[0];
        if (!t || t.at > until) break;
        if (t.at > this.now) this.now = t.at;
        continue;
      }
      this.pop();
      if (top.cancelled) continue;
      this.now = top.at;
      this.executed++;
      try {
        top.fn();
      } catch (err) {
        this.errors.push(err);
      }
      if (stop?.()) return true;
    }
    if (until > this.now && Number.isFinite(until)) this.now = until;
    return stop?.() ?? false;
  }

  private push(ev: Event): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(ev, h[p] as Event)) break;
      h[i] = h[p] as Event;
      i = p;
    }
    h[i] = ev;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Event;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mv = last;
      if (l < h.length && less(h[l] as Event, mv)) {
        m = l;
        mv = h[l] as Event;
      }
      if (r < h.length && less(h[r] as Event, mv)) {
        m = r;
        mv = h[r] as Event;
      }
      if (m === i) break;
      h[i] = mv;
      i = m;
    }
    h[i] = last;
  }
}

function less(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
