/**
 * The tracker (Charon core/tracker): follows every duty of every validator through the workflow
 * steps and, at the duty's deadline (+ a grace period for late submissions), decides its outcome
 * and — for failures — the reason, from what the steps reported:
 *
 * - success: the aggregate reached the beacon node before the deadline;
 * - late: it reached the beacon node after the deadline;
 * - doppelganger / slashing-protection: this operator's signer refused, and no aggregate went out;
 * - beacon-error: fetching the unsigned data or submitting the aggregate failed;
 * - no-quorum: consensus did not decide and fewer than a quorum of operators (self included) were
 *   heard from for the instance; consensus-timeout: it did not decide although a quorum was heard;
 * - insufficient-partials: the data was decided (or needs no consensus) but fewer than t valid
 *   partial signatures arrived.
 * Reports are exposed via {@link Tracker.reports} / {@link Tracker.summary} / {@link Tracker.onReport}
 * (dashboard, demo) and counted in the node's metrics.
 */

import type { DvMetrics } from "../metrics.js";
import type { Clock } from "../transport.js";
import { type Duty, dutyKey, dutyTypeName, type FailureReason, type PubkeyHex } from "../types.js";

/**
 * A step report for one (duty, validator) — or for every validator of the duty when `pubkey` is
 * omitted in {@link Tracker.event}.
 *
 * @example
 * tracker.event(duty, pk, { step: "refused", reason: "slashing-protection", details: "double vote" });
 */
export type TrackerEvent =
  | { step: "fetched" }
  | { step: "fetch-failed"; error: string }
  | { step: "proposed" }
  | { step: "decided"; round: number }
  | { step: "signed" }
  | { step: "refused"; reason: FailureReason; details: string }
  | {
      step: "aggregated";
      /** A backup aggregation (deferred on purpose): not observed as duty latency. */
      backup?: boolean | undefined;
    }
  | { step: "broadcast" }
  | { step: "broadcast-failed"; error: string };

/**
 * The outcome of one duty for one validator.
 *
 * @example
 * for (const r of tracker.reports({ sinceSlot: 100 })) console.log(r.slot, r.type, r.outcome, r.reason);
 */
export type DutyReport = {
  slot: number;
  dutyType: number;
  /** Duty type name (attester, proposer, …). */
  type: string;
  pubkey: PubkeyHex;
  outcome: "success" | "failed" | "pending";
  reason?: FailureReason | undefined;
  /** Human-readable detail of the failure (beacon error text, refusal message). */
  details?: string | undefined;
  /** Clock time the duty started (ms). */
  startedAt: number;
  /** ms from duty start to aggregate ready. */
  latencyMs?: number | undefined;
  /** Consensus round of the decision (consensus duties). */
  round?: number | undefined;
  /** Valid partial signatures held for the expected root at finalisation. */
  partials: number;
};

/**
 * Options of {@link createTracker}.
 *
 * @example
 * const t = createTracker({ clock, metrics, quorum: 3, threshold: 3, graceMs: 12_000,
 *   partials: () => 0, consensusPeers: () => 0, consensusDuty: (t) => t !== DutyType.Randao });
 */
export type TrackerOptions = {
  clock: Clock;
  metrics?: DvMetrics | undefined;
  quorum: number;
  threshold: number;
  /** How long after the deadline a duty is finalised (late submissions still count as late). */
  graceMs: number;
  /** Valid partials held for (duty, pubkey) (sigagg). */
  partials: (duty: Duty, pubkey: PubkeyHex) => number;
  /** Distinct other operators heard from for the duty's consensus instance. */
  consensusPeers: (duty: Duty) => number;
  /** Whether duties of this type are decided by consensus (the duty handler's `decides`). */
  consensusDuty: (type: number) => boolean;
  /** Reports kept for {@link Tracker.reports} (default 10 000, oldest dropped first). */
  maxReports?: number | undefined;
};

/**
 * The tracker. See the module header.
 *
 * @example
 * tracker.start(duty, pubkeys, deadlineMs);
 * tracker.event(duty, undefined, { step: "fetched" });
 */
export interface Tracker {
  start(duty: Duty, pubkeys: readonly PubkeyHex[], deadlineMs: number): void;
  event(duty: Duty, pubkey: PubkeyHex | undefined, ev: TrackerEvent): void;
  /** Finalised reports (newest last), optionally filtered. */
  reports(filter?: {
    sinceSlot?: number;
    type?: number;
    pubkey?: PubkeyHex;
    outcome?: DutyReport["outcome"];
  }): DutyReport[];
  /** Duties still in flight. */
  pending(): DutyReport[];
  /** Counts: `${type}` → `${outcome}` or `failed:${reason}` → n. */
  summary(): Record<string, Record<string, number>>;
  /** Subscribe to finalised reports; returns unsubscribe. */
  onReport(cb: (r: DutyReport) => void): () => void;
  /** Finalise everything now (node stop). */
  flush(): void;
}

/** What the steps reported for one (duty, validator). */
type State = {
  pk: PubkeyHex;
  fetchError?: string;
  decided?: number;
  proposed?: boolean;
  signed?: boolean;
  refused?: { reason: FailureReason; details: string };
  aggregatedAt?: number;
  broadcastAt?: number;
  broadcastError?: string;
};

/** A duty in flight: its validators' states until it is finalised at deadline + grace. */
type Tracked = {
  duty: Duty;
  startedAt: number;
  deadline: number;
  states: Map<PubkeyHex, State>;
  cancel: () => void;
};

/**
 * Create a tracker.
 *
 * @example
 * const tracker = createTracker(opts);
 * tracker.onReport((r) => r.outcome === "failed" && console.warn(r));
 */
export function createTracker(opts: TrackerOptions): Tracker {
  return new DutyTracker(opts);
}

/**
 * The tracker's implementation (see the module header): `start`/`event` record, a timer per duty
 * finalises it, {@link analyse} decides each outcome.
 *
 * @example
 * const tracker: Tracker = new DutyTracker(opts);
 */
export class DutyTracker implements Tracker {
  private readonly duties = new Map<string, Tracked>();
  private readonly done: DutyReport[] = [];
  private readonly listeners = new Set<(r: DutyReport) => void>();
  private readonly counts: Record<string, Record<string, number>> = {};

  constructor(private readonly opts: TrackerOptions) {}

  start(duty: Duty, pubkeys: readonly PubkeyHex[], deadline: number): void {
    const k = dutyKey(duty);
    let d = this.duties.get(k);
    if (!d) {
      const { clock, graceMs } = this.opts;
      const cancel = clock.setTimeout(
        () => this.finalise(k),
        Math.max(0, deadline + graceMs - clock.now()),
      );
      d = { duty, startedAt: clock.now(), deadline, states: new Map(), cancel };
      this.duties.set(k, d);
    }
    for (const pk of pubkeys) if (!d.states.has(pk)) d.states.set(pk, { pk });
  }

  event(duty: Duty, pk: PubkeyHex | undefined, ev: TrackerEvent): void {
    const d = this.duties.get(dutyKey(duty));
    if (!d) return;
    const targets = pk === undefined ? [...d.states.values()] : [d.states.get(pk)];
    const now = this.opts.clock.now();
    for (const s of targets) if (s) this.record(d, s, ev, now);
  }

  reports(filter: Parameters<Tracker["reports"]>[0] = {}): DutyReport[] {
    return this.done.filter(
      (r) =>
        (filter.sinceSlot === undefined || r.slot >= filter.sinceSlot) &&
        (filter.type === undefined || r.dutyType === filter.type) &&
        (filter.pubkey === undefined || r.pubkey === filter.pubkey) &&
        (filter.outcome === undefined || r.outcome === filter.outcome),
    );
  }

  pending(): DutyReport[] {
    const out: DutyReport[] = [];
    for (const d of this.duties.values()) {
      for (const s of d.states.values()) out.push(this.analyse(d, s, false));
    }
    return out;
  }

  summary(): Record<string, Record<string, number>> {
    return JSON.parse(JSON.stringify(this.counts)) as Record<string, Record<string, number>>;
  }

  onReport(cb: (r: DutyReport) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  flush(): void {
    for (const k of [...this.duties.keys()]) this.finalise(k);
  }

  /** One step report into a validator's state. */
  private record(d: Tracked, s: State, ev: TrackerEvent, now: number): void {
    switch (ev.step) {
      case "fetched":
        break;
      case "fetch-failed":
        s.fetchError = ev.error;
        break;
      case "proposed":
        s.proposed = true;
        break;
      case "decided":
        s.decided = ev.round;
        break;
      case "signed":
        s.signed = true;
        break;
      case "refused":
        s.refused = { reason: ev.reason, details: ev.details };
        break;
      case "aggregated":
        if (s.aggregatedAt !== undefined) break;
        s.aggregatedAt = now;
        if (!ev.backup) {
          this.opts.metrics?.dutyLatency.observe(
            { type: dutyTypeName(d.duty.type) },
            (now - d.startedAt) / 1000,
          );
        }
        break;
      case "broadcast":
        s.broadcastAt ??= now;
        break;
      case "broadcast-failed":
        s.broadcastError = ev.error;
        break;
    }
  }

  /** The outcome of one validator's duty: pending until `final`, then success or why it failed. */
  private analyse(d: Tracked, s: State, final: boolean): DutyReport {
    const { duty, startedAt, deadline } = d;
    const base: DutyReport = {
      slot: duty.slot,
      dutyType: duty.type,
      type: dutyTypeName(duty.type),
      pubkey: s.pk,
      outcome: "pending",
      startedAt,
      latencyMs: s.aggregatedAt !== undefined ? s.aggregatedAt - startedAt : undefined,
      round: s.decided,
      partials: this.opts.partials(duty, s.pk),
    };
    if (s.broadcastAt !== undefined) {
      return s.broadcastAt <= deadline
        ? { ...base, outcome: "success" }
        : {
            ...base,
            outcome: "failed",
            reason: "late",
            details: `${s.broadcastAt - deadline} ms late`,
          };
    }
    if (!final) return base;
    const fail = (reason: FailureReason, details?: string): DutyReport => ({
      ...base,
      outcome: "failed",
      reason,
      details,
    });
    if (s.refused) return fail(s.refused.reason, s.refused.details);
    if (s.fetchError !== undefined) return fail("beacon-error", s.fetchError);
    if (s.broadcastError !== undefined) return fail("beacon-error", s.broadcastError);
    if (this.opts.consensusDuty(duty.type) && s.decided === undefined) {
      const heard = this.opts.consensusPeers(duty) + 1;
      const { quorum } = this.opts;
      return heard < quorum
        ? fail("no-quorum", `heard from ${heard} of ${quorum} needed operators`)
        : fail("consensus-timeout", `heard from ${heard} operators, no decision`);
    }
    if (s.aggregatedAt !== undefined) return fail("beacon-error", "aggregate not submitted");
    return fail("insufficient-partials", `${base.partials} of ${this.opts.threshold} partials`);
  }

  /** The duty's deadline + grace passed: report every validator, count, notify listeners. */
  private finalise(k: string): void {
    const d = this.duties.get(k);
    if (!d) return;
    this.duties.delete(k);
    d.cancel();
    for (const s of d.states.values()) this.report(this.analyse(d, s, true));
  }

  private report(r: DutyReport): void {
    this.done.push(r);
    if (this.done.length > (this.opts.maxReports ?? 10_000)) this.done.shift();
    const bucket = this.counts[r.type] ?? {};
    this.counts[r.type] = bucket;
    const key = r.outcome === "success" ? "success" : `failed:${r.reason}`;
    bucket[key] = (bucket[key] ?? 0) + 1;
    this.opts.metrics?.dutyOutcomes.inc({
      type: r.type,
      outcome: r.outcome,
      reason: r.reason ?? "",
    });
    for (const cb of [...this.listeners]) {
      try {
        cb(r);
      } catch {
        // listeners never break the tracker
      }
    }
  }
}
