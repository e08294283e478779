/**
 * The QBFT consensus component of a DV node: runs many {@link QbftInstance}s (one per slot and
 * duty type) over one {@link QbftTransport}, with one {@link QbftClock}, signer and verifier.
 *
 * Responsibilities around the per-instance state machine (instance.ts):
 * - wire decoding (codec.ts): any decode failure → drop + `decode.<reason>` counter, never throw;
 * - sender checks: the claimed source must be a cluster member and (by default) equal the
 *   transport-authenticated peer — messages are never relayed, only justifications are, so a
 *   forged source is dropped before paying for a signature verification;
 * - signature verification with a bounded cache (the same PREPARE arrives directly and again
 *   inside ROUND-CHANGE / PRE-PREPARE justifications);
 * - instance window: messages for slots more than `maxSlotsAhead` past the highest started slot or
 *   `maxSlotsBehind` before it are dropped; messages for not-yet-started instances inside the
 *   window are buffered (bounded per sender) and replayed on start; old instances are garbage
 *   collected;
 * - a serial queue: every handler (network input, own messages, timers, async validation
 *   continuations) runs to completion one at a time, so instance code is never re-entered.
 *
 * Own messages are delivered locally through the same queue (the transport's broadcast excludes
 * self), as Charon's transport loops its own broadcast back (core/consensus/qbft/transport.go).
 */
import { BaseError, InputError } from "../../errors.js";
import { bytesEqual } from "../../util/hex.js";
import {
  decodeEnvelope,
  encodeEnvelope,
  hashValue,
  MAX_OPERATORS,
  MAX_VALUE_SIZE,
  signedKey,
  signingBytes,
} from "./codec.js";
import { QbftInstance } from "./instance.js";
import { defaultLeader, faultyFor, type LeaderFn, quorumFor } from "./params.js";
import { RttEstimator, RttProbes } from "./rtt.js";
import type { Signer, Verifier } from "./signer.js";
import {
  adaptiveTimeoutMs,
  DEFAULT_ROUND_TIMER,
  type RoundTimerConfig,
  roundTimeoutMs,
} from "./timer.js";
import {
  type Decided,
  type Envelope,
  type InstanceId,
  MsgType,
  type QbftClock,
  type QbftTransport,
  type SignedMessage,
} from "./types.js";

/**
 * Default round window W: messages more than 10 rounds ahead/behind rᵢ are dropped (brief; ≥ 18 s of linear rounds).
 *
 * @example
 * createQbftNode({ ...cfg, maxRoundsAhead: DEFAULT_MAX_ROUNDS_AHEAD });
 */
export const DEFAULT_MAX_ROUNDS_AHEAD = 10;
/**
 * Default: accept messages up to 2 slots (24 s) ahead of the highest started slot — clock skew between operators.
 *
 * @example
 * createQbftNode({ ...cfg, maxSlotsAhead: DEFAULT_MAX_SLOTS_AHEAD });
 */
export const DEFAULT_MAX_SLOTS_AHEAD = 2;
/**
 * Default: keep instances for 32 slots (one epoch, SLOTS_PER_EPOCH) to answer laggards with DECIDED.
 *
 * @example
 * createQbftNode({ ...cfg, maxSlotsBehind: DEFAULT_MAX_SLOTS_BEHIND });
 */
export const DEFAULT_MAX_SLOTS_BEHIND = 32;
/**
 * Default cap on buffered messages for not-yet-started instances (shared equally by senders).
 *
 * @example
 * createQbftNode({ ...cfg, maxPendingMessages: DEFAULT_MAX_PENDING });
 */
export const DEFAULT_MAX_PENDING = 1024;
/**
 * Default signature-verification cache size (entries).
 *
 * @example
 * createQbftNode({ ...cfg, verifyCacheSize: DEFAULT_VERIFY_CACHE });
 */
export const DEFAULT_VERIFY_CACHE = 4096;

/**
 * Round timeout when the round's leader is not connected: long enough for a leader that is just
 * reconnecting (a redial on loopback/LAN takes a few ms) to be seen, short against a 4 s
 * attestation deadline.
 *
 * @example
 * createQbftNode({ ...cfg, peerConnected: (i) => transport.connectedPeers().includes(i) });
 */
export const UNREACHABLE_LEADER_TIMEOUT_MS = 50;

/**
 * Configuration of a {@link QbftNode}.
 *
 * @example
 * const cfg: QbftNodeConfig = { n: 4, self: 0, transport, clock: systemClock, signer, verifier,
 *   isValid: (v) => v.length > 0 };
 */
export type QbftNodeConfig = {
  n: number;
  self: number;
  transport: QbftTransport;
  clock: QbftClock;
  signer: Signer;
  verifier: Verifier;
  /** Value validity predicate β, checked on every proposal before PREPARE. May be async. */
  isValid: (value: Uint8Array, instance: InstanceId) => boolean | Promise<boolean>;
  timer?: RoundTimerConfig | undefined;
  leader?: LeaderFn | undefined;
  maxRoundsAhead?: number | undefined;
  maxSlotsAhead?: number | undefined;
  maxSlotsBehind?: number | undefined;
  maxPendingMessages?: number | undefined;
  /** Drop messages whose claimed source is not the transport peer (default true). */
  requireSourceMatch?: boolean | undefined;
  /**
   * Is operator `i` connected now? When a round's leader (not this node) is not, the round's
   * timer is {@link UNREACHABLE_LEADER_TIMEOUT_MS} instead of t(r): its PRE-PREPARE cannot arrive,
   * so waiting out t(r) only delays the duty (Charon's timers shorten rounds of absent leaders
   * too). Timers never affect QBFT safety; a wrong answer costs at most one round.
   */
  peerConnected?: ((operator: number) => boolean) | undefined;
  verifyCacheSize?: number | undefined;
};

/**
 * Counters and gauges of a node.
 *
 * @example
 * const { counters, instances, storedMessages } = node.stats();
 */
export type QbftStats = {
  counters: Record<string, number>;
  instances: number;
  pendingMessages: number;
  storedMessages: number;
  /** Measured p95 round trip to the peers (rtt.ts), ms; undefined until enough samples. */
  rttP95Ms: number | undefined;
  /** t(1) the next round-1 timer uses (timer.ts; the adaptive timer follows `rttP95Ms`). */
  firstRoundMs: number;
};

/**
 * The consensus component. See {@link createQbftNode}.
 *
 * @example
 * const node = createQbftNode(cfg);
 * node.onDecided((d) => signDuty(d.instance, d.value));
 * node.start({ slot, dutyType: 2 }, value);
 */
export interface QbftNode {
  readonly self: number;
  /** Start consensus for `instance` with our input value (idempotent per instance). */
  start(instance: InstanceId, value: Uint8Array): void;
  /** `start`, returning the decision (rejects if the instance is stopped/collected first). */
  propose(instance: InstanceId, value: Uint8Array): Promise<Decided>;
  /** Abandon an instance (e.g. duty deadline passed). */
  stop(instance: InstanceId): void;
  /** Subscribe to decisions (each instance delivers once); returns unsubscribe. */
  onDecided(cb: (d: Decided) => void): () => void;
  /** The decision of an instance, if delivered and not yet collected. */
  decided(instance: InstanceId): Decided | undefined;
  /** Current round of a started instance. */
  round(instance: InstanceId): number | undefined;
  /** Feed raw bytes from `from` (wired to the transport; public for tests/fuzzing). Never throws. */
  receive(from: number, bytes: Uint8Array): void;
  stats(): QbftStats;
  /** Unsubscribe from the transport and cancel all timers. */
  close(): void;
}

const keyOf = (i: InstanceId): string => `${i.slot}/${i.dutyType}`;

/** The node's settings, checked and defaulted (see {@link QbftNodeConfig}). */
type NodeSettings = {
  n: number;
  self: number;
  f: number;
  quorum: number;
  timer: RoundTimerConfig;
  leader: LeaderFn;
  maxRoundsAhead: number;
  slotsAhead: number;
  slotsBehind: number;
  perSourcePending: number;
  requireSourceMatch: boolean;
  verifyCacheSize: number;
};

function resolveSettings(cfg: QbftNodeConfig): NodeSettings {
  const { n, self } = cfg;
  if (!Number.isInteger(n) || n < 1 || n > MAX_OPERATORS) {
    throw new InputError(`Cluster size must be 1..${MAX_OPERATORS}, got ${n}`, { field: "n" });
  }
  if (!Number.isInteger(self) || self < 0 || self >= n) {
    throw new InputError(`Operator index must be 0..${n - 1}, got ${self}`, { field: "self" });
  }
  if (cfg.verifier.n !== n) {
    throw new InputError(`Verifier knows ${cfg.verifier.n} operators, cluster has ${n}`, {
      field: "verifier",
    });
  }
  const maxPending = cfg.maxPendingMessages ?? DEFAULT_MAX_PENDING;
  return {
    n,
    self,
    f: faultyFor(n),
    quorum: quorumFor(n),
    timer: cfg.timer ?? DEFAULT_ROUND_TIMER,
    leader: cfg.leader ?? defaultLeader,
    maxRoundsAhead: cfg.maxRoundsAhead ?? DEFAULT_MAX_ROUNDS_AHEAD,
    slotsAhead: cfg.maxSlotsAhead ?? DEFAULT_MAX_SLOTS_AHEAD,
    slotsBehind: cfg.maxSlotsBehind ?? DEFAULT_MAX_SLOTS_BEHIND,
    perSourcePending: Math.max(1, Math.floor(maxPending / n)),
    requireSourceMatch: cfg.requireSourceMatch ?? true,
    verifyCacheSize: cfg.verifyCacheSize ?? DEFAULT_VERIFY_CACHE,
  };
}

function checkStartArguments(instance: InstanceId, value: Uint8Array): void {
  if (
    !Number.isSafeInteger(instance.slot) ||
    instance.slot < 0 ||
    !Number.isInteger(instance.dutyType) ||
    instance.dutyType < 0 ||
    instance.dutyType > 0xffff
  ) {
    throw new InputError("Invalid QBFT instance id", {
      field: "instance",
      details: `slot must be a safe non-negative integer, dutyType 0..65535; got ${JSON.stringify(instance)}`,
    });
  }
  if (!(value instanceof Uint8Array) || value.length < 1 || value.length > MAX_VALUE_SIZE) {
    throw new InputError(`QBFT input value must be 1..${MAX_VALUE_SIZE} bytes`, {
      field: "value",
    });
  }
}

/**
 * The serial queue: every handler runs to completion one at a time (index-based so push/shift
 * stay O(1)); a handler's exception is counted, never propagated.
 */
class SerialQueue {
  closed = false;
  private queue: (() => void)[] = [];
  private head = 0;
  private draining = false;

  constructor(private readonly onError: () => void) {}

  run(fn: () => void): void {
    if (this.closed) return;
    this.queue.push(fn);
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.head < this.queue.length) {
        const next = this.queue[this.head++] as () => void;
        try {
          next();
        } catch {
          this.onError();
        }
      }
    } finally {
      this.queue = [];
      this.head = 0;
      this.draining = false;
    }
  }
}

/** Signature verification with a bounded FIFO cache of results. */
class VerifyCache {
  private readonly results = new Map<string, boolean>();

  constructor(
    private readonly verifier: Verifier,
    private readonly size: number,
    private readonly count: (label: string) => void,
  ) {}

  verify(m: SignedMessage): boolean {
    if (m.source >= this.verifier.n) return false;
    const k = signedKey(m);
    const hit = this.results.get(k);
    if (hit !== undefined) {
      this.count("verify-cache-hit");
      return hit;
    }
    let ok = false;
    try {
      ok = this.verifier.verify(m.source, signingBytes(m), m.signature) === true;
    } catch {
      ok = false;
    }
    this.count("verify");
    this.results.set(k, ok);
    if (this.results.size > this.size) {
      const oldest = this.results.keys().next().value;
      if (oldest !== undefined) this.results.delete(oldest);
    }
    return ok;
  }
}

type Waiter = { resolve: (d: Decided) => void; reject: (e: Error) => void };

/**
 * Create a QBFT node and subscribe it to its transport.
 *
 * @example
 * const node = createQbftNode({ n: 4, self: 1, transport, clock, signer, verifier, isValid });
 * const decided = await node.propose({ slot: 123, dutyType: 2 }, value);
 */
export function createQbftNode(cfg: QbftNodeConfig): QbftNode {
  return new QbftConsensus(cfg, resolveSettings(cfg));
}

/** The {@link QbftNode} (module header): instances, window, buffering, queue, delivery. */
class QbftConsensus implements QbftNode {
  readonly self: number;
  private readonly counters: Record<string, number> = {};
  private readonly instances = new Map<string, QbftInstance>();
  private readonly decisions = new Map<string, Decided>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly pending = new Map<string, { from: number; env: Envelope }[]>();
  private readonly pendingBySource = new Map<number, number>();
  private readonly listeners = new Set<(d: Decided) => void>();
  private readonly queue: SerialQueue;
  private readonly verifier: VerifyCache;
  private readonly unsubscribe: () => void;
  /** Round trips from own PRE-PREPAREs to the peers' PREPAREs (rtt.ts), for the round timer. */
  private readonly rtt = new RttProbes(new RttEstimator());
  /** Instance key → clock time it started (the adaptive timer's round schedule is anchored there). */
  private readonly startedAt = new Map<string, number>();
  private highestSlot: number | undefined;
  private closed = false;

  constructor(
    private readonly cfg: QbftNodeConfig,
    private readonly settings: NodeSettings,
  ) {
    this.self = settings.self;
    this.queue = new SerialQueue(() => this.count("internal-error"));
    this.verifier = new VerifyCache(cfg.verifier, settings.verifyCacheSize, this.count);
    this.unsubscribe = cfg.transport.onMessage(this.receive);
  }

  private readonly count = (label: string): void => {
    this.counters[label] = (this.counters[label] ?? 0) + 1;
  };

  private run(fn: () => void): void {
    this.queue.run(fn);
  }

  /** Feed raw bytes (wired to the transport): decode and sender checks, then route in the queue. */
  readonly receive = (from: number, bytes: Uint8Array): void => {
    if (this.closed) return;
    try {
      this.count("received");
      const r = decodeEnvelope(bytes);
      if (!r.ok) {
        this.count(`decode.${r.reason}`);
        return;
      }
      const env = r.envelope;
      if (env.msg.source >= this.settings.n) {
        this.count("drop.not-member");
        return;
      }
      if (this.settings.requireSourceMatch && env.msg.source !== from) {
        this.count("drop.source-mismatch");
        return;
      }
      if (env.msg.type === MsgType.Prepare && env.msg.source === from) {
        // Timed on arrival, before the queue: a sample is the network plus the peer's work.
        this.rtt.answered(keyOf(env.msg.instance), env.msg.round, from, this.cfg.clock.now());
      }
      this.run(() => this.route(from, env));
    } catch {
      this.count("internal-error");
    }
  };

  start(instance: InstanceId, value: Uint8Array): void {
    if (this.closed) throw new BaseError("QBFT node is closed");
    checkStartArguments(instance, value);
    const k = keyOf(instance);
    if (this.instances.has(k)) return;
    const { slotsBehind } = this.settings;
    if (this.highestSlot !== undefined && instance.slot < this.highestSlot - slotsBehind) {
      throw new InputError(`Slot ${instance.slot} is older than the instance window`, {
        field: "instance.slot",
        metaMessages: [`Highest started slot: ${this.highestSlot}; window: ${slotsBehind} slots.`],
      });
    }
    this.highestSlot = Math.max(this.highestSlot ?? instance.slot, instance.slot);
    this.collectGarbage();
    const inst = this.createInstance({ slot: instance.slot, dutyType: instance.dutyType });
    this.instances.set(k, inst);
    this.startedAt.set(k, this.cfg.clock.now());
    const buffered = this.pending.get(k) ?? [];
    this.pending.delete(k);
    for (const p of buffered) this.releasePending(p.from);
    this.run(() => inst.start(value.slice()));
    const requireSourceMatch = this.settings.requireSourceMatch;
    for (const p of buffered) this.run(() => inst.receive(p.env, false, requireSourceMatch));
  }

  propose(instance: InstanceId, value: Uint8Array): Promise<Decided> {
    const k = keyOf(instance);
    const done = this.decisions.get(k);
    if (done) return Promise.resolve(done);
    const p = new Promise<Decided>((resolve, reject) => {
      const list = this.waiters.get(k) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(k, list);
    });
    this.start(instance, value);
    return p;
  }

  stop(instance: InstanceId): void {
    const k = keyOf(instance);
    const inst = this.instances.get(k);
    if (!inst) return;
    inst.stop();
    if (!inst.delivered) this.rejectWaiters(k, "stopped");
  }

  onDecided(cb: (d: Decided) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  decided(instance: InstanceId): Decided | undefined {
    return this.decisions.get(keyOf(instance));
  }

  round(instance: InstanceId): number | undefined {
    return this.instances.get(keyOf(instance))?.round;
  }

  stats(): QbftStats {
    let stored = 0;
    for (const inst of this.instances.values()) stored += inst.storedMessages;
    let pend = 0;
    for (const l of this.pending.values()) pend += l.length;
    return {
      counters: { ...this.counters },
      instances: this.instances.size,
      pendingMessages: pend,
      storedMessages: stored,
      rttP95Ms: this.rtt.estimator.quantile(0.95),
      firstRoundMs: roundTimeoutMs(this.settings.timer, 1, this.rtt.estimator.quantile(0.95)),
    };
  }

  close(): void {
    if (this.closed) return;
    this.unsubscribe();
    for (const k of [...this.instances.keys()]) this.dropInstance(k, "closed");
    this.closed = true;
    this.queue.closed = true;
  }

  private createInstance(instance: InstanceId): QbftInstance {
    const { n, self, leader } = this.settings;
    const cfg = this.cfg;
    return new QbftInstance({
      n,
      f: this.settings.f,
      quorum: this.settings.quorum,
      self,
      instance,
      maxRoundsAhead: this.settings.maxRoundsAhead,
      leader: (round) => leader(instance, round, n),
      timeoutMs: (round) => this.roundTimeout(instance, round),
      isValid: (value) => cfg.isValid(value, instance),
      sign: (m) => {
        this.count("sign");
        return { ...m, signature: cfg.signer.sign(signingBytes(m)) };
      },
      verify: (m) => this.verifier.verify(m),
      broadcast: (env) => {
        const bytes = encodeEnvelope(env);
        if (env.msg.type === MsgType.PrePrepare) {
          this.rtt.sent(keyOf(instance), env.msg.round, cfg.clock.now());
        }
        this.sendBytes(() => cfg.transport.broadcast(bytes));
        this.run(() => this.instances.get(keyOf(instance))?.receive(env, true));
      },
      send: (to, env) => {
        const bytes = encodeEnvelope(env);
        this.sendBytes(() => cfg.transport.send(to, bytes));
      },
      setTimer: (ms, cb) => cfg.clock.setTimeout(() => this.run(cb), ms),
      schedule: (fn) => this.run(fn),
      decide: (d) => this.deliver(d),
      count: this.count,
    });
  }

  /**
   * t(r) (the adaptive timer from the measured p95 round trip), or
   * {@link UNREACHABLE_LEADER_TIMEOUT_MS} when the round's leader is not connected.
   */
  private roundTimeout(instance: InstanceId, round: number): number {
    const { n, self, timer, leader } = this.settings;
    const p95 = this.rtt.estimator.quantile(0.95);
    const started = this.startedAt.get(keyOf(instance)) ?? this.cfg.clock.now();
    const t =
      timer.kind === "adaptive"
        ? adaptiveTimeoutMs(timer, round, p95, this.cfg.clock.now() - started)
        : roundTimeoutMs(timer, round, p95);
    const l = leader(instance, round, n);
    if (l === self || !this.cfg.peerConnected || this.cfg.peerConnected(l)) return t;
    this.count("timer.leader-unreachable");
    return Math.min(t, UNREACHABLE_LEADER_TIMEOUT_MS);
  }

  private sendBytes(fn: () => void): void {
    try {
      fn();
    } catch {
      this.count("transport-error");
    }
  }

  private deliver(d: Decided): void {
    const k = keyOf(d.instance);
    this.decisions.set(k, d);
    this.count("decided");
    for (const cb of [...this.listeners]) {
      try {
        cb(d);
      } catch {
        this.count("listener-error");
      }
    }
    for (const w of this.waiters.get(k) ?? []) w.resolve(d);
    this.waiters.delete(k);
  }

  private rejectWaiters(k: string, why: string): void {
    for (const w of this.waiters.get(k) ?? []) {
      w.reject(new BaseError(`QBFT instance ${k} ${why} before deciding`));
    }
    this.waiters.delete(k);
  }

  private releasePending(from: number): void {
    this.pendingBySource.set(from, (this.pendingBySource.get(from) ?? 1) - 1);
  }

  private dropInstance(k: string, why: string): void {
    this.instances.get(k)?.stop();
    this.instances.delete(k);
    this.startedAt.delete(k);
    this.decisions.delete(k);
    this.rejectWaiters(k, why);
    const buffered = this.pending.get(k);
    if (buffered) {
      for (const p of buffered) this.releasePending(p.from);
      this.pending.delete(k);
    }
  }

  private collectGarbage(): void {
    if (this.highestSlot === undefined) return;
    const { slotsAhead, slotsBehind } = this.settings;
    const min = this.highestSlot - slotsBehind;
    for (const [k, inst] of this.instances) {
      if (inst.id.slot < min) this.dropInstance(k, "collected");
    }
    for (const k of [...this.pending.keys()]) {
      const slot = Number(k.split("/")[0]);
      if (slot < min || slot > this.highestSlot + slotsAhead) this.dropInstance(k, "collected");
    }
  }

  /** In the queue: drop outside the window, hand to a started instance, or buffer (bounded). */
  private route(from: number, env: Envelope): void {
    const id = env.msg.instance;
    const { slotsAhead, slotsBehind } = this.settings;
    if (this.highestSlot !== undefined) {
      if (id.slot > this.highestSlot + slotsAhead) {
        this.count("drop.instance-too-far-ahead");
        return;
      }
      if (id.slot < this.highestSlot - slotsBehind) {
        this.count("drop.instance-too-old");
        return;
      }
    }
    const k = keyOf(id);
    const inst = this.instances.get(k);
    if (inst) {
      inst.receive(env, false, this.settings.requireSourceMatch);
      return;
    }
    const used = this.pendingBySource.get(from) ?? 0;
    if (used >= this.settings.perSourcePending) {
      this.count("drop.pending-full");
      return;
    }
    let list = this.pending.get(k);
    if (!list) {
      list = [];
      this.pending.set(k, list);
    }
    list.push({ from, env });
    this.pendingBySource.set(from, used + 1);
    this.count("buffered-for-unstarted-instance");
  }
}

/**
 * Check a decision certificate: a quorum of correctly signed COMMITs from distinct members for
 * exactly (instance, round, hash), and the value hashing to `hash`. For consumers that receive a
 * {@link Decided} from elsewhere (e.g. persisted, or from another component).
 *
 * @example
 * if (!verifyDecided(d, verifier)) throw new VerificationError("bad QBFT certificate");
 */
export function verifyDecided(d: Decided, verifier: Verifier): boolean {
  try {
    const h = hashValue(d.value);
    if (!bytesEqual(h, d.hash)) return false;
    const seen = new Set<number>();
    for (const c of d.commits) {
      if (
        c.type !== MsgType.Commit ||
        c.instance.slot !== d.instance.slot ||
        c.instance.dutyType !== d.instance.dutyType ||
        c.round !== d.round ||
        !bytesEqual(c.valueHash, d.hash) ||
        c.source >= verifier.n ||
        seen.has(c.source)
      ) {
        return false;
      }
      seen.add(c.source);
      if (!verifier.verify(c.source, signingBytes(c), c.signature)) return false;
    }
    return seen.size >= quorumFor(verifier.n);
  } catch {
    return false;
  }
}
