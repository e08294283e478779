/**
 * The duty-type-agnostic steps of a duty, in the order wire.ts connects them (Charon core: the
 * steps never switch on the duty type; the duty's own handler, src/core/duties/, decides what is
 * fetched, signed and used). {@link DutyWorkflow} is the {@link DutyContext} handlers act through:
 *
 *   startDuty      scheduler / operator request → the duty type's handler
 *   propose        fetcher result → tracker (failures) → consensus (QBFT, one instance per duty)
 *   decide         consensus decision → dutydb → the handler's sign request → signer
 *   signAndExchange own partials → sigagg + parsigex (retransmitted until aggregated)
 *   aggregated     sigagg's aggregate → tracker, latency → the handler (next phase / broadcast)
 *   submit         broadcast outcome → tracker
 *   onSlot         housekeeping: state older than RETAIN_SLOTS dropped
 *
 * Slashing protection (src/core/signer/signer.ts): attestations and blocks carry an EIP-3076
 * `protect` rule in their sign request (their handlers set it); the other messages are not
 * slashable. Observers of {@link DvEvent}s never break the workflow.
 */
import { decodeUnsignedSet, encodeUnsignedSet } from "./codec.js";
import type { QbftNode } from "./consensus/node.js";
import type { Decided } from "./consensus/types.js";
import type { SigningRoots } from "./domain.js";
import type { DutyContext, DutyHandler } from "./duty-handler.js";
import type { DutyDb } from "./dutydb/dutydb.js";
import type { Broadcaster, Fetcher, FetchResult, SignRequest } from "./interfaces.js";
import type { DvMetrics } from "./metrics.js";
import type { ParSigEx } from "./parsigex/parsigex.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { SigAgg } from "./sigagg/sigagg.js";
import type { Signer } from "./signer/signer.js";
import type { Tracker } from "./tracker/tracker.js";
import type { Clock } from "./transport.js";
import {
  type Duty,
  type DutyDefinition,
  type DutyType,
  dutyKey,
  dutyTypeName,
  type PubkeyHex,
  type UnsignedData,
  type UnsignedDataSet,
} from "./types.js";

/**
 * A workflow event (for demos, dashboards and the benchmark's wall-clock timing).
 *
 * @example
 * const onEvent = (e: DvEvent) => e.step === "aggregated" && console.log(e.duty.slot, e.pubkey);
 */
export type DvEvent = {
  step: "duty" | "fetched" | "decided" | "signed" | "aggregated" | "broadcast" | "failed";
  duty: Duty;
  pubkey?: PubkeyHex | undefined;
  details?: string | undefined;
};

/**
 * The steps a {@link DutyWorkflow} drives (built by node.ts, passed through wire.ts).
 *
 * @example
 * const steps: WorkflowSteps = { clock, slotsPerEpoch, roots, scheduler, fetcher, qbft, dutydb,
 *   signer, parsigex, sigagg, broadcaster, tracker, metrics, graffiti, parsigexRetries: 3,
 *   parsigexRetryMs: 1000 };
 */
export type WorkflowSteps = {
  clock: Clock;
  slotsPerEpoch: number;
  roots: SigningRoots;
  scheduler: Scheduler;
  fetcher: Fetcher;
  qbft: QbftNode;
  dutydb: DutyDb;
  signer: Signer;
  parsigex: ParSigEx;
  sigagg: SigAgg;
  broadcaster: Broadcaster;
  tracker: Tracker;
  metrics: DvMetrics;
  /** Block graffiti (32 bytes). */
  graffiti: Uint8Array;
  /** Re-broadcast own partials every `parsigexRetryMs` up to `parsigexRetries` times. */
  parsigexRetryMs: number;
  parsigexRetries: number;
  onEvent?: ((e: DvEvent) => void) | undefined;
};

/** Slots of state kept behind the current slot (2 epochs of mainnet SLOTS_PER_EPOCH = 32). */
export const RETAIN_SLOTS = 64;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * The duty workflow over its steps and the duty handlers. See the module header.
 *
 * @example
 * const flow = new DutyWorkflow(steps, indexHandlers(createDutyHandlers()));
 * flow.startDuty({ slot: 10, type: DutyType.Attester }, defs);
 */
export class DutyWorkflow implements DutyContext {
  readonly slotsPerEpoch: number;
  readonly roots: SigningRoots;
  readonly fetcher: Fetcher;
  readonly broadcaster: Broadcaster;
  readonly graffiti: Uint8Array;
  private readonly timers = new Set<() => void>();
  /** dutyKey → when its data was fetched (fetch-to-broadcast latency). */
  private readonly fetchedAt = new Map<string, { slot: number; at: number }>();

  constructor(
    private readonly s: WorkflowSteps,
    private readonly handlers: ReadonlyMap<DutyType, DutyHandler>,
  ) {
    this.slotsPerEpoch = s.slotsPerEpoch;
    this.roots = s.roots;
    this.fetcher = s.fetcher;
    this.broadcaster = s.broadcaster;
    this.graffiti = s.graffiti;
  }

  // ─── DutyContext: reads ──────────────────────────────────────────────────────────────────────
  get slotMs(): number {
    return this.s.scheduler.slotMs;
  }
  now(): number {
    return this.s.clock.now();
  }
  slotStartMs(slot: number): number {
    return this.s.scheduler.slotStartMs(slot);
  }
  definition(slot: number, type: DutyType, pubkey: PubkeyHex): DutyDefinition | undefined {
    return this.s.scheduler.definition(slot, type, pubkey);
  }
  validatorIndex(pubkey: PubkeyHex): number | undefined {
    return this.s.scheduler.index(pubkey);
  }
  decided(duty: Duty, pubkey: PubkeyHex): UnsignedData | undefined {
    return this.s.dutydb.get(duty, pubkey);
  }
  aggregated(duty: Duty, pubkey: PubkeyHex): Uint8Array | undefined {
    return this.s.sigagg.aggregate(duty, pubkey);
  }
  holds(pubkey: PubkeyHex): boolean {
    return this.s.signer.has(pubkey);
  }

  /** The handler of a duty type (the registry covers every type: duty-handler.ts indexHandlers). */
  handler(type: DutyType): DutyHandler | undefined {
    return this.handlers.get(type);
  }

  /** The duty's deadline on the node clock: its handler's, else the next slot's start. */
  deadline(duty: Duty): number {
    const h = this.handler(duty.type);
    return h?.deadline ? h.deadline(this, duty) : this.slotStartMs(duty.slot + 1);
  }

  // ─── scheduler → handler ─────────────────────────────────────────────────────────────────────
  /** A duty starts (scheduler or operator request): its handler takes it. */
  startDuty(duty: Duty, defs: ReadonlyMap<PubkeyHex, DutyDefinition>): void {
    this.handler(duty.type)?.onDuty?.(this, duty, defs);
  }

  start(duty: Duty, pubkeys: readonly PubkeyHex[], pubkey?: PubkeyHex): void {
    this.track(duty, pubkeys);
    this.emit({ step: "duty", duty, pubkey });
  }
  track(duty: Duty, pubkeys: readonly PubkeyHex[]): void {
    this.s.tracker.start(duty, pubkeys, this.deadline(duty));
  }

  // ─── fetcher → consensus ─────────────────────────────────────────────────────────────────────
  propose(duty: Duty, fetched: Promise<FetchResult>, pubkey?: PubkeyHex): void {
    void fetched.then(({ set, failed }) => {
      for (const f of failed) {
        this.s.tracker.event(duty, f.pubkey, { step: "fetch-failed", error: f.error });
      }
      if (set.size) this.emit({ step: "fetched", duty, pubkey });
      this.toConsensus(duty, set);
    });
  }

  private toConsensus(duty: Duty, set: UnsignedDataSet): void {
    if (!set.size) return;
    const { clock, qbft, tracker, metrics } = this.s;
    const instance = { slot: duty.slot, dutyType: duty.type };
    const startedAt = clock.now();
    this.fetchedAt.set(dutyKey(duty), { slot: duty.slot, at: startedAt });
    tracker.event(duty, undefined, { step: "proposed" });
    let value: Uint8Array;
    try {
      value = encodeUnsignedSet(set);
    } catch {
      return;
    }
    let decided: Promise<Decided>;
    try {
      decided = qbft.propose(instance, value);
    } catch (err) {
      // Outside the instance window (e.g. a duty fetched too late): the duty fails.
      tracker.event(duty, undefined, { step: "fetch-failed", error: messageOf(err) });
      return;
    }
    decided.then(
      (d) => this.decide(duty, d, startedAt),
      () => metrics.consensusTimeouts.inc({ type: dutyTypeName(duty.type) }),
    );
    this.later(this.deadline(duty) - clock.now(), () => {
      if (!qbft.decided(instance)) qbft.stop(instance);
    });
  }

  // ─── consensus → dutydb → signer ─────────────────────────────────────────────────────────────
  private decide(duty: Duty, d: Decided, startedAt: number): void {
    const decoded = decodeUnsignedSet(d.value);
    if (!decoded) return; // cannot happen: the value passed isValid
    const { tracker, metrics, dutydb, sigagg } = this.s;
    const type = dutyTypeName(duty.type);
    metrics.consensusRounds.observe({ type }, d.round);
    metrics.consensusLatency.observe({ type }, (this.now() - startedAt) / 1000);
    tracker.event(duty, undefined, { step: "decided", round: d.round });
    const { conflicts } = dutydb.store(duty, decoded.set);
    for (const pk of conflicts) {
      tracker.event(duty, pk, {
        step: "refused",
        reason: "slashing-protection",
        details: "a different value is already stored for this duty",
      });
    }
    const handler = this.handler(duty.type);
    const requests: SignRequest[] = [];
    const expected: [PubkeyHex, Uint8Array][] = [];
    for (const [pk, u] of decoded.set) {
      if (conflicts.includes(pk)) continue;
      this.emit({ step: "decided", duty, pubkey: pk });
      const req = handler?.signRequest?.(this, pk, u, duty);
      if (!req) continue;
      expected.push([pk, req.signingRoot]);
      if (this.holds(pk)) requests.push(req);
    }
    sigagg.expect(duty, expected);
    this.signAndExchange(duty, requests);
  }

  /** No-consensus signing (randao, selection proofs, exits): see DutyContext.sign. */
  sign(duty: Duty, roots: readonly (readonly [PubkeyHex, Uint8Array])[]): void {
    this.s.sigagg.expect(duty, roots);
    const requests: SignRequest[] = [];
    for (const [pubkey, signingRoot] of roots) {
      if (this.holds(pubkey)) requests.push({ pubkey, signingRoot });
    }
    this.signAndExchange(duty, requests);
  }

  // ─── signer → sigagg + parsigex ──────────────────────────────────────────────────────────────
  private signAndExchange(duty: Duty, requests: SignRequest[]): void {
    if (!requests.length) return;
    const { tracker, metrics, sigagg, parsigex } = this.s;
    let result: ReturnType<Signer["sign"]>;
    try {
      result = this.s.signer.sign(requests, duty);
    } catch (err) {
      // Database I/O failure: nothing was recorded, nothing is signed.
      const details = messageOf(err);
      for (const r of requests) {
        tracker.event(duty, r.pubkey, { step: "refused", reason: "slashing-protection", details });
      }
      metrics.signerRefusals.inc({ reason: "db-error" }, requests.length);
      return;
    }
    for (const r of result.refused) {
      tracker.event(duty, r.pubkey, { step: "refused", reason: r.reason, details: r.details });
      metrics.signerRefusals.inc({ reason: r.reason });
      this.emit({ step: "failed", duty, pubkey: r.pubkey, details: `${r.reason}: ${r.details}` });
    }
    if (!result.signed.length) return;
    for (const p of result.signed) {
      tracker.event(duty, p.pubkey, { step: "signed" });
      this.emit({ step: "signed", duty, pubkey: p.pubkey });
    }
    sigagg.add(duty, result.signed);
    parsigex.broadcast(duty, result.signed);
    this.retransmit(duty, result.signed);
  }

  /** Re-broadcast what is not yet aggregated here (lossy networks; receivers dedupe). */
  private retransmit(duty: Duty, signed: ReturnType<Signer["sign"]>["signed"]): void {
    let left = this.s.parsigexRetries;
    const retry = (): void => {
      const pending = signed.filter((p) => !this.s.sigagg.complete(duty, p.pubkey));
      if (!pending.length || --left < 0 || this.now() > this.deadline(duty)) return;
      this.s.parsigex.broadcast(duty, pending);
      this.later(this.s.parsigexRetryMs, retry);
    };
    if (left > 0) this.later(this.s.parsigexRetryMs, retry);
  }

  // ─── sigagg → handler (next phase or broadcast) ──────────────────────────────────────────────
  /** sigagg made the signature of (duty, pubkey); `backup`: a deferred aggregation. */
  onAggregated(duty: Duty, pubkey: PubkeyHex, signature: Uint8Array, backup: boolean): void {
    this.s.tracker.event(duty, pubkey, { step: "aggregated", backup });
    this.emit({ step: "aggregated", duty, pubkey });
    const fetched = this.fetchedAt.get(dutyKey(duty));
    // A backup aggregation is late on purpose (node.ts aggregationBackupDelayMs): not a latency.
    if (fetched && !backup) {
      this.s.metrics.fetchToBroadcast.observe(
        { type: dutyTypeName(duty.type) },
        (this.now() - fetched.at) / 1000,
      );
    }
    this.handler(duty.type)?.onAggregated(this, duty, pubkey, signature);
  }

  used(duty: Duty, pubkey: PubkeyHex): void {
    this.s.tracker.event(duty, pubkey, { step: "broadcast" });
  }

  // ─── broadcast → tracker ─────────────────────────────────────────────────────────────────────
  submit(duty: Duty, pubkey: PubkeyHex, submission: Promise<void>): void {
    submission.then(
      () => {
        this.s.tracker.event(duty, pubkey, { step: "broadcast" });
        this.emit({ step: "broadcast", duty, pubkey });
      },
      (err) => {
        const error = messageOf(err);
        this.s.tracker.event(duty, pubkey, { step: "broadcast-failed", error });
        this.emit({ step: "failed", duty, pubkey, details: `beacon: ${error}` });
      },
    );
  }

  // ─── housekeeping ────────────────────────────────────────────────────────────────────────────
  /** Drop the state of slots before `slot − RETAIN_SLOTS` in every step and handler. */
  prune(slot: number): void {
    const min = slot - RETAIN_SLOTS;
    this.s.dutydb.prune(min);
    this.s.sigagg.prune(min);
    this.s.parsigex.prune();
    for (const [k, v] of this.fetchedAt) if (v.slot < min) this.fetchedAt.delete(k);
    for (const h of this.handlers.values()) h.prune?.(min);
  }

  /** Cancel pending timers (retransmits, consensus deadlines). */
  stop(): void {
    for (const cancel of this.timers) cancel();
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const cancel = this.s.clock.setTimeout(
      () => {
        this.timers.delete(cancel);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(cancel);
  }

  private emit(e: DvEvent): void {
    try {
      this.s.onEvent?.(e);
    } catch {
      // observers never break the workflow
    }
  }
}
