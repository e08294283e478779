/**
 * When the key guard looks (issue 16 part 2: a keystore recreated while a squad runs → that
 * validator stops "within one epoch"). Looking only at epoch starts found a key recreated just
 * after one ~1 epoch later (first refusal 5–21 slots after the recreate on the devnet). Now:
 *
 * - at the start of every slot (the ground truth; a look of a quarantined Smartnode folder costs
 *   ~0.35 ms at 3,000 validators, bench/key-guard.bench.ts), so a recreated key is refused from
 *   the next slot's duties on;
 * - within {@link DEFAULT_TRIGGER_MS} of a change a source reports (`KeySource.watch`: fs.watch
 *   on the Smartnode folders, ./watch.ts), usually before the slot ends;
 * - a source without a watch (the VC's keymanager API, ./keymanager.ts) is asked at most once
 *   per slot ({@link oncePerSlot}): a triggered look reuses that slot's answer.
 *
 * One look at a time (KeyGuard.check); a trigger during a look asks for one more look after it.
 */
import type { KeyGuard } from "./guard.js";
import type { KeyFindings, KeySource } from "./smartnode.js";

/** A change trigger's delay before the look (lets a copy in progress finish; at most 10 looks/s). */
export const DEFAULT_TRIGGER_MS = 100;

/**
 * The chain's clock, for the guard's timer.
 *
 * @example
 * const t: GuardClock = { genesisMs: genesisTime * 1000, slotMs: 12_000, slotsPerEpoch: 32 };
 */
export type GuardClock = {
  genesisMs: number;
  slotMs: number;
  slotsPerEpoch: number;
  /** Wall clock (tests). Default Date.now. */
  now?: (() => number) | undefined;
};

/** Slot at `ms` (0 before genesis). */
const slotAt = (t: GuardClock, ms: number): number =>
  Math.max(0, Math.floor((ms - t.genesisMs) / t.slotMs));

/**
 * The epoch now by `t` (0 before genesis).
 *
 * @example
 * guardEpoch({ genesisMs: 0, slotMs: 2000, slotsPerEpoch: 8, now: () => 40_000 }) // 2
 */
export function guardEpoch(t: GuardClock): number {
  return Math.floor(slotAt(t, (t.now ?? Date.now)()) / t.slotsPerEpoch);
}

/**
 * `src` asked at most once per slot: a second `find` in the same slot (same pubkey set) gets the
 * first one's answer. For sources that cost a request (the keymanager API).
 *
 * @example
 * const km = oncePerSlot(createKeymanagerSource(client), { genesisMs, slotMs: 12_000, slotsPerEpoch: 32 });
 */
export function oncePerSlot(src: KeySource, t: GuardClock): KeySource {
  let last: { slot: number; want: ReadonlySet<string>; answer: Promise<KeyFindings> } | undefined;
  const out: KeySource = {
    name: src.name,
    find(want) {
      const slot = slotAt(t, (t.now ?? Date.now)());
      if (last && last.slot === slot && last.want === want) return last.answer;
      const answer = src.find(want);
      last = { slot, want, answer };
      return answer;
    },
  };
  if (src.watch) out.watch = src.watch.bind(src);
  return out;
}

/**
 * Run `guard.check` at the start of every slot and shortly after a change any of `sources`
 * reports, until stopped. Does not look at once (the caller's first look is awaited).
 *
 * @example
 * const stop = startKeyGuard(guard, sources, { genesisMs, slotMs: 12_000, slotsPerEpoch: 32 });
 * stop();
 */
export function startKeyGuard(
  guard: KeyGuard,
  sources: readonly KeySource[],
  t: GuardClock & { triggerMs?: number | undefined },
): () => void {
  const now = t.now ?? Date.now;
  let stopped = false;
  let running = false;
  let again = false;
  let slotTimer: NodeJS.Timeout | undefined;
  let triggerTimer: NodeJS.Timeout | undefined;

  const lookNow = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await guard.check(guardEpoch(t));
      } while (again && !stopped);
    } finally {
      running = false;
    }
  };
  const nextSlot = (): void => {
    if (stopped) return;
    const elapsed = now() - t.genesisMs;
    const next = elapsed < 0 ? 0 : (Math.floor(elapsed / t.slotMs) + 1) * t.slotMs;
    slotTimer = setTimeout(
      () => {
        void lookNow();
        nextSlot();
      },
      Math.max(0, next - elapsed),
    );
    slotTimer.unref?.();
  };
  const trigger = (): void => {
    if (stopped || triggerTimer) return;
    triggerTimer = setTimeout(() => {
      triggerTimer = undefined;
      if (!stopped) void lookNow();
    }, t.triggerMs ?? DEFAULT_TRIGGER_MS);
    triggerTimer.unref?.();
  };
  const unwatch = sources.map((s) => s.watch?.(trigger));
  nextSlot();
  return () => {
    stopped = true;
    if (slotTimer) clearTimeout(slotTimer);
    if (triggerTimer) clearTimeout(triggerTimer);
    for (const u of unwatch) u?.();
  };
}
