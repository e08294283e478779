/**
 * The scheduler (Charon core/scheduler): from a {@link Clock} and the chain's {@link ChainInfo},
 * resolves the cluster validators' duties through the beacon node once per epoch (for the current
 * and the next epoch — duties are stable one epoch ahead, phase0 validator.md "Lookahead") and
 * triggers each duty at its time within the slot (phase0 validator.md):
 *
 * - proposer (randao reveal, then block): at the start of the slot;
 * - prepare-aggregator (selection proof): at the start of the slot, so the proof is ready early;
 * - attester: one third into the slot ("Attesting": SECONDS_PER_SLOT / INTERVALS_PER_SLOT);
 *   with `attestOnHead`, as soon as the beacon node's `head` event for the slot arrives (the
 *   validator "should" attest once it has seen the slot's block, at the latest at ⅓; Charon's
 *   alpha feature `fetch_att_on_block`): only a head of the current slot, seen at or after the
 *   slot start, starts it (a late head of the previous slot does not); ⅓ stays the fallback;
 * - aggregator: two thirds into the slot ("Aggregation");
 * - sync committee (altair validator.md, validators in the current sync committee, every slot
 *   from the Altair fork on): selection proofs at the start of the slot, the sync committee
 *   message one third into the slot, the contribution two thirds into it.
 * Offsets are options (benchmarks fire everything at the slot start).
 *
 * Fee recipients (bellatrix validator.md "Block proposal"; Lodestar's validator client service
 * prepareBeaconProposer; Charon app `setFeeRecipient`): at start and at the first slot of every
 * epoch (and when more validators' indices become known), POST prepare_beacon_proposer with the
 * cluster definition's fee recipient of every validator whose index is known — beacon nodes
 * forget registrations after a few epochs (Lodestar: 2). A failure is reported through `onError`
 * and retried at the next epoch.
 *
 * Committee subscriptions (beacon-APIs POST /eth/v1/validator/beacon_committee_subscriptions;
 * Lodestar's AggregatorTracker pools an attestation — received by API or gossip — for aggregation
 * only on a (subnet, slot) with an earlier aggregator subscription, and keeps subscriptions two
 * epochs ahead): as soon as an epoch's attester duties are known — at start for the current and
 * the next epoch, then for every next epoch during the one before — this operator subscribes its
 * beacon node(s) for EVERY cluster attester duty of the epoch that has not passed, with
 * is_aggregator = true when the cluster aggregates. No operator can know in advance whether the
 * cluster's threshold selection proof will make a validator an aggregator, and any operator may be
 * the one that fetches the aggregate, so each one asks for all of them. Cost: one attestation
 * subnet joined per duty slot (at most one per validator per epoch, ≤ 64 subnets), as for a
 * validator client whose every validator aggregates; without it, an operator restarted or added
 * mid-epoch subscribed late and its node had nothing to aggregate ("No aggregated attestation").
 * Failures are retried at the next slot.
 *
 * Per-validator life cycle (Lodestar's validator client: IndicesService polls the statuses of
 * validators without an index, duties are asked for the indices it has; beacon-APIs
 * `ValidatorStatus`): the cluster definition may hold any mix of validators. Their statuses are
 * read at start, at every epoch's first slot for all of them, and every slot for those not yet
 * active (not deposited — no index — or in the queue, pending_*: activation happens at an epoch
 * boundary the head state may reach a slot late). Duties are resolved for the active ones only:
 * active_ongoing, and active_exiting / active_slashed until their exit epoch (the beacon node
 * hands out no duties from then on). exited_* / withdrawal_* ones are dropped. Every state change
 * is reported through `onValidator` (the node logs it, counts it in rpdvt_validators{state} and
 * starts or stops that validator's doppelganger watch); a validator that becomes active is picked
 * up without a restart (the cached duties of the current and next epoch are re-resolved).
 *
 * slot(t) = floor((t − genesis) / slotMs), with `genesisClockMs` the clock reading at genesis.
 * Beacon errors never stop the scheduler: resolution is retried every slot until it succeeds.
 */

import { toHex } from "../../util/hex.js";
import type {
  AttesterDuty,
  BeaconNode,
  ChainInfo,
  ProposerDuty,
  ProposerPreparation,
  SyncCommitteeDuty,
  ValidatorInfo,
} from "../beacon.js";
import type { Clock } from "../transport.js";
import { type Duty, type DutyDefinition, DutyType, epochOf, type PubkeyHex } from "../types.js";

/**
 * Duty start offsets within a slot, ms.
 *
 * @example
 * const offsets: Partial<DutyOffsets> = { proposer: 0, attester: 4000, aggregator: 8000 };
 */
export type DutyOffsets = {
  proposer: number;
  attester: number;
  prepareAggregator: number;
  aggregator: number;
  syncMessage: number;
  prepareSyncContribution: number;
  syncContribution: number;
};

/**
 * The phase0 / altair validator.md offsets for a slot length: 0, ⅓, 0, ⅔ (sync: ⅓, 0, ⅔).
 *
 * @example
 * specOffsets(12_000) // { proposer: 0, attester: 4000, prepareAggregator: 0, aggregator: 8000, … }
 */
export function specOffsets(slotMs: number): DutyOffsets {
  return {
    proposer: 0,
    attester: slotMs / 3,
    prepareAggregator: 0,
    aggregator: (2 * slotMs) / 3,
    syncMessage: slotMs / 3,
    prepareSyncContribution: 0,
    syncContribution: (2 * slotMs) / 3,
  };
}

/**
 * A cluster validator's life-cycle state, from its beacon-APIs status: `unknown` (no index: not
 * deposited, or the deposit not yet processed), `pending` (pending_initialized / pending_queued),
 * `active` (active_ongoing), `exiting` (active_exiting / active_slashed: duties until the exit
 * epoch), `exited` (exited_* / withdrawal_*: dropped).
 *
 * @example
 * const s: ValidatorState = validatorState("active_exiting"); // "exiting"
 */
export type ValidatorState = "unknown" | "pending" | "active" | "exiting" | "exited";

/**
 * Every {@link ValidatorState}, in life-cycle order (metric label values).
 *
 * @example
 * for (const s of VALIDATOR_STATES) metrics.validators.set({ state: s }, 0);
 */
export const VALIDATOR_STATES: readonly ValidatorState[] = [
  "unknown",
  "pending",
  "active",
  "exiting",
  "exited",
];

/**
 * The life-cycle state of a beacon-APIs validator status (undefined: the node does not know it).
 *
 * @example
 * validatorState("pending_queued") // "pending"
 * validatorState(undefined) // "unknown"
 */
export function validatorState(status: string | undefined): ValidatorState {
  if (status === undefined) return "unknown";
  if (status.startsWith("pending")) return "pending";
  if (status === "active_ongoing") return "active";
  if (status.startsWith("active")) return "exiting";
  if (status.startsWith("exited") || status.startsWith("withdrawal")) return "exited";
  return "unknown";
}

/** Does a validator in this state have duties (attest, propose, sync)? */
const hasDuties = (s: ValidatorState): boolean => s === "active" || s === "exiting";

/**
 * A validator's state change, reported by the scheduler.
 *
 * @example
 * onValidator: (c: ValidatorChange) => console.log(c.pubkey, c.from, "→", c.state)
 */
export type ValidatorChange = {
  pubkey: PubkeyHex;
  /** Previous state (undefined at the first reading). */
  from: ValidatorState | undefined;
  state: ValidatorState;
  /** The beacon node's record (undefined when it does not know the validator). */
  info: ValidatorInfo | undefined;
  /** Epoch of the slot at which the change was seen. */
  epoch: number;
};

/**
 * Options of {@link createScheduler}.
 *
 * @example
 * const opts: SchedulerOptions = { clock, chain, genesisClockMs: 0, beacon, pubkeys, onDuty };
 */
export type SchedulerOptions = {
  clock: Clock;
  chain: ChainInfo;
  /** Clock reading (ms) at genesis. */
  genesisClockMs: number;
  beacon: BeaconNode;
  /** The cluster's validator public keys. */
  pubkeys: readonly Uint8Array[];
  offsets?: Partial<DutyOffsets> | undefined;
  /** Fee recipient (0x-hex address) per cluster validator, registered every epoch. */
  feeRecipients?: ReadonlyMap<PubkeyHex, string> | undefined;
  /**
   * Fire the builder-registration duty (MEV-Boost) at start, at every epoch's first slot and when
   * the set of validators with duties changes: one definition per pending, active or exiting
   * validator with a fee recipient (never unknown or exited ones). Default false (builder off).
   */
  builderRegistrations?: boolean | undefined;
  /**
   * Start the attester duty on the beacon node's `head` event for the slot (`beacon.subscribeHead`),
   * the ⅓ offset staying the fallback (default false; no effect without `subscribeHead`).
   */
  attestOnHead?: boolean | undefined;
  /** Schedule aggregation duties (default true; also the committee subscriptions' is_aggregator). */
  aggregation?: boolean | undefined;
  onDuty: (duty: Duty, defs: Map<PubkeyHex, DutyDefinition>) => void;
  onSlot?: ((slot: number) => void) | undefined;
  onError?: ((what: string, err: unknown) => void) | undefined;
  /** A validator's life-cycle state changed (also called once per validator at the first read). */
  onValidator?: ((change: ValidatorChange) => void) | undefined;
};

/**
 * The scheduler.
 *
 * @example
 * const s = createScheduler(opts);
 * await s.start();
 */
export interface Scheduler {
  start(): Promise<void>;
  stop(): void;
  currentSlot(): number;
  slotStartMs(slot: number): number;
  readonly slotMs: number;
  /** The resolved duty of a validator, if any (used by validity checks). */
  definition(slot: number, type: number, pubkey: PubkeyHex): DutyDefinition | undefined;
  /** Validator index by pubkey, once resolved (validators with duties: active or exiting). */
  index(pubkey: PubkeyHex): number | undefined;
  /** Life-cycle state of every cluster validator (after the first status read). */
  states(): Map<PubkeyHex, ValidatorState>;
}

type EpochDuties = {
  attester: Map<number, AttesterDuty[]>;
  proposer: Map<number, ProposerDuty[]>;
  sync: SyncCommitteeDuty[];
};

/** An epoch's attester and sync duties by validator pubkey (one of each per validator, spec). */
type PubkeyIndex = {
  attester: Map<PubkeyHex, AttesterDuty>;
  sync: Map<PubkeyHex, SyncCommitteeDuty>;
};
const pubkeyIndexes = new WeakMap<EpochDuties, PubkeyIndex>();

/** The epoch's {@link PubkeyIndex}, built on first use (one pass over its duties). */
function pubkeyIndex(ed: EpochDuties): PubkeyIndex {
  let ix = pubkeyIndexes.get(ed);
  if (ix) return ix;
  const byPk = <D extends { pubkey: Uint8Array }>(ds: Iterable<D>): Map<PubkeyHex, D> => {
    const m = new Map<PubkeyHex, D>();
    for (const d of ds) {
      const k = toHex(d.pubkey);
      if (!m.has(k)) m.set(k, d);
    }
    return m;
  };
  ix = {
    attester: byPk([...ed.attester.values()].flat()),
    sync: byPk(ed.sync),
  };
  pubkeyIndexes.set(ed, ix);
  return ix;
}

/** Append `d` to the slot's list (no copy per duty: that was O(m²) per slot). */
function pushTo<D>(m: Map<number, D[]>, slot: number, d: D): void {
  const list = m.get(slot);
  if (list) list.push(d);
  else m.set(slot, [d]);
}

/** The duty types of a slot, where their definitions come from, and their offset (validator.md). */
type SlotPlanEntry = {
  type: DutyType;
  defs: keyof EpochDuties;
  offset: keyof DutyOffsets;
  /** Only with aggregation on. */
  aggregation?: true;
};
const SLOT_PLAN: readonly SlotPlanEntry[] = [
  { type: DutyType.Proposer, defs: "proposer", offset: "proposer" },
  { type: DutyType.Attester, defs: "attester", offset: "attester" },
  { type: DutyType.SyncMessage, defs: "sync", offset: "syncMessage" },
  {
    type: DutyType.PrepareAggregator,
    defs: "attester",
    offset: "prepareAggregator",
    aggregation: true,
  },
  { type: DutyType.Aggregator, defs: "attester", offset: "aggregator", aggregation: true },
  {
    type: DutyType.PrepareSyncContribution,
    defs: "sync",
    offset: "prepareSyncContribution",
    aggregation: true,
  },
  {
    type: DutyType.SyncContribution,
    defs: "sync",
    offset: "syncContribution",
    aggregation: true,
  },
];

/** The definitions of a slot's duties, by where they come from (an epoch's resolved duties). */
function slotDefinitions(
  ed: EpochDuties,
  slot: number,
): Record<keyof EpochDuties, Map<PubkeyHex, DutyDefinition>> {
  const defs = <D extends { pubkey: Uint8Array }>(
    ds: readonly D[],
    def: (d: D) => DutyDefinition,
  ): Map<PubkeyHex, DutyDefinition> => new Map(ds.map((d) => [toHex(d.pubkey), def(d)]));
  return {
    attester: defs(ed.attester.get(slot) ?? [], (duty) => ({ kind: "attester", duty })),
    proposer: defs(ed.proposer.get(slot) ?? [], (duty) => ({ kind: "proposer", duty })),
    sync: defs(ed.sync, (duty) => ({ kind: "sync", duty })),
  };
}

/**
 * Create a scheduler.
 *
 * @example
 * const scheduler = createScheduler({ clock, chain, genesisClockMs, beacon, pubkeys, onDuty });
 */
export function createScheduler(opts: SchedulerOptions): Scheduler {
  return new DutyScheduler(opts);
}

/**
 * The scheduler's state and steps (module header): the clock (slots, timers), the validators'
 * life cycle (statuses, indices, exit epochs), each epoch's duties (resolved, subscribed), the
 * per-epoch registrations (fee recipients, builders) and the slot's duty starts.
 *
 * @example
 * const s = new DutyScheduler(opts); await s.start(); s.stop();
 */
class DutyScheduler implements Scheduler {
  readonly slotMs: number;
  private readonly opts: SchedulerOptions;
  private readonly spe: number;
  private readonly offsets: DutyOffsets;
  private readonly aggregation: boolean;
  private readonly wanted: Set<PubkeyHex>;
  /** Validators with duties (active, exiting) → index. */
  private readonly indices = new Map<PubkeyHex, number>();
  private readonly stateOf = new Map<PubkeyHex, ValidatorState>();
  private readonly exitEpochs = new Map<PubkeyHex, number>();
  private statusesRead = false;
  /** Bumped whenever the set of validators with duties changes. */
  private version = 0;
  /** `version` at the last fee-recipient registration attempt. */
  private preparedVersion = -1;
  private readonly epochs = new Map<number, EpochDuties & { version: number }>();
  /** Epoch → `version` its committee subscriptions were sent for. */
  private readonly subscribed = new Map<number, number>();
  private readonly resolving = new Map<number, Promise<EpochDuties | undefined>>();
  private reading: Promise<void> | undefined;
  private readonly timers = new Set<() => void>();
  private stopped = false;
  // attestOnHead: the latest slot whose head arrived in time, and each slot's attester start.
  private headSlot = -1;
  private readonly attesterStarts = new Map<number, () => void>();
  private unsubscribeHead: (() => void) | undefined;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.slotMs = opts.chain.secondsPerSlot * 1000;
    this.spe = opts.chain.slotsPerEpoch;
    this.offsets = { ...specOffsets(this.slotMs), ...opts.offsets };
    this.aggregation = opts.aggregation ?? true;
    this.wanted = new Set(opts.pubkeys.map((p) => toHex(p)));
  }

  currentSlot = (): number =>
    Math.max(0, Math.floor((this.opts.clock.now() - this.opts.genesisClockMs) / this.slotMs));

  slotStartMs = (slot: number): number => this.opts.genesisClockMs + slot * this.slotMs;

  start = async (): Promise<void> => {
    this.stopped = false;
    const { beacon } = this.opts;
    if (this.opts.attestOnHead && beacon.subscribeHead && !this.unsubscribeHead) {
      this.unsubscribeHead = beacon.subscribeHead((head) => this.onHead(head));
    }
    await this.resolveEpoch(epochOf(this.currentSlot(), this.spe));
    if (this.stopped) return;
    const now = this.currentSlot();
    this.opts.onSlot?.(now);
    void this.prepareProposers(epochOf(now, this.spe));
    this.registerBuilders(now);
    void this.scheduleSlot(now, true);
    void this.resolveEpoch(epochOf(now, this.spe) + 1);
    this.later(this.slotStartMs(now + 1) - this.opts.clock.now(), () => this.tick(now + 1));
  };

  stop = (): void => {
    this.stopped = true;
    this.unsubscribeHead?.();
    this.unsubscribeHead = undefined;
    this.attesterStarts.clear();
    for (const c of this.timers) c();
    this.timers.clear();
  };

  definition = (slot: number, type: number, pk: PubkeyHex): DutyDefinition | undefined => {
    const ed = this.epochs.get(epochOf(slot, this.spe));
    if (!ed) return undefined;
    // Called per validator per duty (value validity, aggregator selection): an index by pubkey
    // built once per epoch, not a scan of the slot's duties (that was O(V²/32) per epoch).
    if (type === DutyType.Proposer || type === DutyType.Randao) {
      // At most one proposer per slot (and a validator may propose twice in an epoch).
      const d = ed.proposer.get(slot)?.find((x) => toHex(x.pubkey) === pk);
      return d ? { kind: "proposer", duty: d } : undefined;
    }
    const ix = pubkeyIndex(ed);
    if (
      type === DutyType.SyncMessage ||
      type === DutyType.PrepareSyncContribution ||
      type === DutyType.SyncContribution
    ) {
      const d = ix.sync.get(pk);
      return d ? { kind: "sync", duty: d } : undefined;
    }
    const d = ix.attester.get(pk);
    return d && d.slot === slot ? { kind: "attester", duty: d } : undefined;
  };

  index = (pk: PubkeyHex): number | undefined => this.indices.get(pk);

  states = (): Map<PubkeyHex, ValidatorState> => new Map(this.stateOf);

  // ── clock ─────────────────────────────────────────────────────────────────────────────────

  /** Run `fn` in `ms` (at once if ≤ 0), unless the scheduler stopped meanwhile. */
  private later(ms: number, fn: () => void): void {
    const cancel = this.opts.clock.setTimeout(
      () => {
        this.timers.delete(cancel);
        if (!this.stopped) fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(cancel);
  }

  private error(what: string, err: unknown): void {
    this.opts.onError?.(what, err);
  }

  /** A slot starts: prune, then statuses, registrations, this slot's duties, next epoch's. */
  private tick(slot: number): void {
    if (this.stopped) return;
    const epoch = epochOf(slot, this.spe);
    for (const e of this.epochs.keys()) if (e < epoch - 1) this.epochs.delete(e);
    for (const e of this.subscribed.keys()) if (e < epoch - 1) this.subscribed.delete(e);
    for (const s of this.attesterStarts.keys()) if (s < slot) this.attesterStarts.delete(s);
    this.opts.onSlot?.(slot);
    this.later(this.slotStartMs(slot + 1) - this.opts.clock.now(), () => this.tick(slot + 1));
    void this.slotWork(slot);
  }

  private async slotWork(slot: number): Promise<void> {
    const epoch = epochOf(slot, this.spe);
    // Statuses: all at an epoch's first slot; every slot those waiting for activation. Only
    // a waiting validator's activation can add duties to this slot: the read is awaited then,
    // else it runs alongside (exits only remove duties, and the beacon node stops them).
    const first = slot % this.spe === 0;
    const read =
      first || this.waiting()
        ? this.readStatuses(first ? "all" : "waiting").catch((err: unknown) =>
            this.error(`validator statuses at slot ${slot}`, err),
          )
        : undefined;
    if (read && this.waiting()) await read;
    if (this.stopped) return;
    // Every epoch, and as soon as the set of validators with duties changes (activation).
    if (first || this.version !== this.preparedVersion) {
      void this.prepareProposers(epoch);
      this.registerBuilders(slot);
    }
    void this.scheduleSlot(slot, false);
    void this.resolveEpoch(epoch + 1);
  }

  // ── validator life cycle ──────────────────────────────────────────────────────────────────

  /**
   * Read the statuses of `which` (all cluster validators, or those not yet active) and apply the
   * changes. A validator the beacon node does not answer for is `unknown`.
   */
  private readStatuses(which: "all" | "waiting"): Promise<void> {
    if (this.reading) return this.reading;
    this.reading = (async () => {
      try {
        const ask = this.opts.pubkeys.filter((p) => {
          const s = this.stateOf.get(toHex(p));
          return which === "all" || s === undefined || s === "unknown" || s === "pending";
        });
        if (!ask.length) return;
        const infos = new Map<PubkeyHex, ValidatorInfo>();
        for (const v of await this.opts.beacon.validators(ask)) {
          const pk = toHex(v.pubkey);
          if (this.wanted.has(pk)) infos.set(pk, v);
        }
        this.applyStatuses(ask, infos);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** Record the read statuses; a change of the validators with duties re-resolves duties. */
  private applyStatuses(ask: readonly Uint8Array[], infos: Map<PubkeyHex, ValidatorInfo>): void {
    const epoch = epochOf(this.currentSlot(), this.spe);
    let changed = false;
    for (const p of ask) {
      const pk = toHex(p);
      const info = infos.get(pk);
      const state = validatorState(info?.status);
      const from = this.stateOf.get(pk);
      if (info?.exitEpoch !== undefined && Number.isFinite(info.exitEpoch)) {
        this.exitEpochs.set(pk, info.exitEpoch);
      }
      if (info && hasDuties(state)) {
        if (this.indices.get(pk) !== info.index) changed = true;
        this.indices.set(pk, info.index);
      } else if (this.indices.delete(pk)) changed = true;
      if (from === state) continue;
      this.stateOf.set(pk, state);
      try {
        this.opts.onValidator?.({ pubkey: pk, from, state, info, epoch });
      } catch (err) {
        this.error(`validator ${pk} state`, err);
      }
    }
    this.statusesRead = true;
    if (changed) {
      this.version++;
      // Re-resolve the duties of this and later epochs with the new set of validators.
      for (const e of this.epochs.keys()) if (e >= epoch) this.epochs.delete(e);
    }
  }

  private waiting(): boolean {
    for (const s of this.stateOf.values()) if (s === "unknown" || s === "pending") return true;
    return false;
  }

  // ── per-epoch registrations ───────────────────────────────────────────────────────────────

  private async prepareProposers(epoch: number): Promise<void> {
    this.preparedVersion = this.version;
    const entries: ProposerPreparation[] = [];
    for (const [pk, feeRecipient] of this.opts.feeRecipients ?? []) {
      const validatorIndex = this.indices.get(pk);
      if (validatorIndex !== undefined) entries.push({ validatorIndex, feeRecipient });
    }
    if (!entries.length) return;
    try {
      await this.opts.beacon.prepareBeaconProposer(entries);
    } catch (err) {
      this.error(`fee recipients for epoch ${epoch}`, err);
    }
  }

  // Builder registrations (src/core/duties/builder-registration.ts): pending/active/exiting only,
  // an exiting one until its exit epoch (the epoch's status read may not be in yet), and none
  // before genesis (the timestamp, the epoch's start, would lie in the future: relays refuse a
  // registration more than 10 s ahead; tick(0) at genesis registers — 1 s of slack, since a timer
  // may fire a little before the slot start it was set for).
  private registerBuilders(slot: number): void {
    const now = this.opts.clock.now();
    if (!this.opts.builderRegistrations || now + 1000 < this.slotStartMs(slot)) return;
    const epoch = epochOf(slot, this.spe);
    const defs = new Map<PubkeyHex, DutyDefinition>();
    for (const [pk, feeRecipient] of this.opts.feeRecipients ?? []) {
      const st = this.stateOf.get(pk);
      if ((this.exitEpochs.get(pk) ?? Infinity) <= epoch) continue;
      if (st === "pending" || st === "active" || st === "exiting") {
        defs.set(pk, { kind: "registration", feeRecipient });
      }
    }
    this.fire(slot, DutyType.BuilderRegistration, defs, now);
  }

  private subscribe(epoch: number, duties: EpochDuties, v: number): void {
    if (this.subscribed.get(epoch) === v) return;
    const now = this.currentSlot();
    const subs = [...duties.attester.values()].flat().flatMap((d) =>
      d.slot >= now
        ? [
            {
              validatorIndex: d.validatorIndex,
              committeeIndex: d.committeeIndex,
              committeesAtSlot: d.committeesAtSlot,
              slot: d.slot,
              isAggregator: this.aggregation,
            },
          ]
        : [],
    );
    if (!subs.length) return;
    this.subscribed.set(epoch, v);
    this.opts.beacon.subscribeToCommittees(subs).catch((err: unknown) => {
      if (this.subscribed.get(epoch) === v) this.subscribed.delete(epoch); // retried next slot
      this.error(`committee subscriptions for epoch ${epoch}`, err);
    });
  }

  // ── duties of an epoch ────────────────────────────────────────────────────────────────────

  private resolveEpoch(epoch: number): Promise<EpochDuties | undefined> {
    const have = this.epochs.get(epoch);
    if (have) {
      this.subscribe(epoch, have, have.version); // retries a failed subscription
      return Promise.resolve(have);
    }
    let p = this.resolving.get(epoch);
    if (p) return p;
    p = (async () => {
      try {
        if (!this.statusesRead) await this.readStatuses("all");
        const v0 = this.version;
        const { out, complete } = await this.fetchEpoch(epoch);
        // Only cache complete resolutions for the current set of validators, else retry.
        if (complete && this.version === v0) this.epochs.set(epoch, { ...out, version: v0 });
        if (this.version === v0) this.subscribe(epoch, out, v0);
        return out;
      } catch (err) {
        this.error(`duties for epoch ${epoch}`, err);
        return undefined;
      } finally {
        this.resolving.delete(epoch);
      }
    })();
    this.resolving.set(epoch, p);
    return p;
  }

  /** Ask the beacon node for the epoch's duties of the validators with duties then. */
  private async fetchEpoch(epoch: number): Promise<{ out: EpochDuties; complete: boolean }> {
    const { beacon, chain } = this.opts;
    // Exiting validators have duties until their exit epoch (and none from then on).
    const idx = [...this.indices].flatMap(([pk, i]) =>
      (this.exitEpochs.get(pk) ?? Infinity) > epoch ? [i] : [],
    );
    const out: EpochDuties = { attester: new Map(), proposer: new Map(), sync: [] };
    if (!idx.length) return { out, complete: true };
    // Proposer duties may be unavailable for the next epoch (Lodestar 1.5 answers them
    // wrongly; the client rejects that): keep the attester duties and retry the rest.
    const altair = chain.forks.some((f) => f.name !== "phase0" && f.epoch <= epoch);
    const [att, propResult, sync] = await Promise.all([
      beacon.attesterDuties(epoch, idx),
      beacon.proposerDuties(epoch).then(
        (d) => ({ ok: true as const, d }),
        (err: unknown) => ({ ok: false as const, err }),
      ),
      altair ? beacon.syncCommitteeDuties(epoch, idx) : [],
    ]);
    out.sync = sync.filter(
      (d) => this.wanted.has(toHex(d.pubkey)) && d.validatorSyncCommitteeIndices.length > 0,
    );
    if (!propResult.ok && epochOf(this.currentSlot(), this.spe) >= epoch) {
      this.error(`proposer duties for epoch ${epoch}`, propResult.err);
    }
    const ours = (d: { pubkey: Uint8Array; slot: number }): boolean =>
      this.wanted.has(toHex(d.pubkey)) && epochOf(d.slot, this.spe) === epoch;
    for (const d of att) if (ours(d)) pushTo(out.attester, d.slot, d);
    for (const d of propResult.ok ? propResult.d : []) if (ours(d)) pushTo(out.proposer, d.slot, d);
    return { out, complete: propResult.ok };
  }

  // ── duties of a slot ──────────────────────────────────────────────────────────────────────

  private async scheduleSlot(slot: number, fromNow: boolean): Promise<void> {
    const ed = await this.resolveEpoch(epochOf(slot, this.spe));
    if (!ed || this.stopped) return;
    const start = this.slotStartMs(slot);
    const now = this.opts.clock.now();
    // A duty whose start time has passed is only fired if we are still inside its slot.
    const due = (off: number): number | undefined =>
      start + off >= now || (!fromNow && now < start + this.slotMs) ? start + off : undefined;
    const defs = slotDefinitions(ed, slot);
    for (const entry of SLOT_PLAN) {
      if (entry.aggregation && !this.aggregation) continue;
      const at = due(this.offsets[entry.offset]);
      const run = at === undefined ? undefined : this.fire(slot, entry.type, defs[entry.defs], at);
      if (run && entry.type === DutyType.Attester && this.unsubscribeHead) {
        this.startOnHead(slot, run);
      }
    }
  }

  /** Run the duty at `at` (at once if passed); the returned start runs it earlier, once. */
  private fire(
    slot: number,
    type: DutyType,
    defs: Map<PubkeyHex, DutyDefinition>,
    at: number,
  ): (() => void) | undefined {
    if (!defs.size) return undefined;
    let started = false;
    const run = (): void => {
      if (started || this.stopped) return;
      started = true;
      try {
        this.opts.onDuty({ slot, type }, defs);
      } catch (err) {
        this.error(`duty ${slot}/${type}`, err);
      }
    };
    const now = this.opts.clock.now();
    if (at <= now) run();
    else this.later(at - now, run);
    return run;
  }

  /** The slot's attester start, run at once if its head already arrived, else on the head. */
  private startOnHead(slot: number, start: () => void): void {
    if (this.headSlot === slot) start();
    else this.attesterStarts.set(slot, start);
  }

  private onHead(head: { slot: number }): void {
    // Only the current slot's head, after the slot started (currentSlot() is the local clock's):
    // a late head of the previous slot, or one ahead of this clock, starts nothing.
    if (this.stopped || head.slot !== this.currentSlot() || this.headSlot === head.slot) return;
    this.headSlot = head.slot;
    const start = this.attesterStarts.get(head.slot);
    this.attesterStarts.delete(head.slot);
    start?.();
  }
}
